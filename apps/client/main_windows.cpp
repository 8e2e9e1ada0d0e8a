// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client.exe: a console program (Ctrl-C disconnects), or a Windows service.
//   udpvpn-client.exe [--config FILE] [--check-config]
//   udpvpn-client.exe install-service [--config FILE]   register (auto start, LocalSystem)
//   udpvpn-client.exe uninstall-service                 stop and remove it
//   udpvpn-client.exe --service --config FILE           how the service manager starts it
// The default configuration is client.toml beside the executable. As a service, which has no
// console, the log goes to udpvpn-client.log beside the configuration file.
#include "client_checks.hpp"
#include "client_config.hpp"
#include "command_line.hpp"
#include "log.hpp"
#include "run_client.hpp"
#include "toml_reader.hpp"
#include "win_service.hpp"
#include "wintun_api.hpp"

#include <cstdio>

using namespace udpvpn::app;

namespace {

std::string directory_of(const std::string& path) {
    const auto slash = path.find_last_of("\\/");
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

std::optional<ClientConfig> load(const std::string& path) {
    try {
        return load_client_config(path);
    } catch (const ConfigError& e) {
        UVLOG_ERROR("%s", e.what());
        return std::nullopt;
    }
}

int run_service(const std::string& config_path) {
    log_to_file(directory_of(config_path) + "udpvpn-client.log");
    std::string error;
    const int code = winsvc::run(winsvc::kServiceName,
        [&](const winsvc::StopRegistrar& registrar) {
            const auto cfg = load(config_path);
            if (!cfg) return 1;
            log_set_level(cfg->log_level);
            return run_client(*cfg, registrar);
        },
        error);
    if (code < 0) UVLOG_ERROR("%s", error.c_str());
    return code < 0 ? 1 : code;
}

}  // namespace

int main(int argc, char** argv) {
    const ProgramInfo program{"udpvpn-client", narrow(exe_directory()) + "client.toml",
                              {{"install-service", "register the Windows service (auto start) with --config"},
                               {"uninstall-service", "stop and remove the Windows service"},
                               {"--service", "run as the service (the Service Control Manager passes this)"}}};
    CommandLine cl;
    if (auto code = parse_command_line(argc, argv, program, cl)) return *code;
    log_init(program.name, LogLevel::info);

    if (cl.command == "uninstall-service") {
        const std::string err = winsvc::uninstall(winsvc::kServiceName);
        if (!err.empty()) UVLOG_ERROR("%s", err.c_str());
        else std::printf("service %s removed\n", winsvc::kServiceName);
        return err.empty() ? 0 : 1;
    }
    if (cl.command == "--service") return run_service(cl.config_path);

    if (cl.command == "install-service") {
        // A service that cannot start is not installed: the configuration is checked first.
        if (!load(cl.config_path)) return 1;
        const std::string err = winsvc::install(winsvc::kServiceName, cl.config_path);
        if (!err.empty()) UVLOG_ERROR("%s", err.c_str());
        else std::printf("service %s installed (starts at boot; now: sc start %s)\n", winsvc::kServiceName, winsvc::kServiceName);
        return err.empty() ? 0 : 1;
    }
    ClientConfig cfg;
    if (auto code = load_configuration(cl, load_client_config, check_client_startup, cfg)) return *code;
    return run_client(cfg);
}

// SPDX-License-Identifier: GPL-3.0-or-later
// The Linux side of dns_config.hpp: pushed DNS servers go to systemd-resolved (per-link, through
// resolvectl) where it runs. Elsewhere nothing is touched and the log says so: rewriting
// /etc/resolv.conf behind a resolver manager's back is how VPN clients break machines.
#include "dns_config.hpp"

#include "log.hpp"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace udpvpn::app {
namespace {

// Runs resolvectl with arguments (no shell), waits, true on exit status 0.
bool run_resolvectl(std::vector<std::string> args) {
    args.insert(args.begin(), "resolvectl");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawnp(&pid, "resolvectl", nullptr, nullptr, argv.data(), environ) != 0) return false;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

bool DnsConfigurator::resolved_running() {
    struct stat st{};
    // resolved creates its varlink socket at start; the stub resolv.conf alone may be stale.
    return ::stat("/run/systemd/resolve/io.systemd.Resolve", &st) == 0;
}

bool DnsConfigurator::apply(const std::string& device, const std::vector<IpPrefix>& servers, bool route_all) {
    if (servers.empty()) return false;
    std::string list;
    for (const auto& s : servers) list += (list.empty() ? "" : " ") + to_string(s, false);
    if (!resolved_running()) {
        UVLOG_NOTICE("DNS: the server pushed %s, but systemd-resolved is not running: left /etc/resolv.conf "
                     "and the system resolver alone",
                     list.c_str());
        return false;
    }
    std::vector<std::string> args{"dns", device};
    for (const auto& s : servers) args.push_back(to_string(s, false));
    if (!run_resolvectl(args)) {
        UVLOG_WARN("DNS: resolvectl dns %s %s failed; DNS left unchanged", device.c_str(), list.c_str());
        return false;
    }
    if (route_all) run_resolvectl({"domain", device, "~."});
    applied_device_ = device;
    UVLOG_INFO("DNS: %s uses %s through systemd-resolved%s", device.c_str(), list.c_str(),
               route_all ? " for every domain" : "");
    return true;
}

void DnsConfigurator::revert() {
    if (applied_device_.empty()) return;
    run_resolvectl({"revert", applied_device_});
    applied_device_.clear();
}

}  // namespace udpvpn::app

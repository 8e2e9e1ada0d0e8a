// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpnctl: asks a running udpvpn-server who is connected.
#include "status_client.hpp"
#include "status_view.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <ctime>
#include <iostream>

using namespace udpvpn::ctl;

int main(int argc, char** argv) {
    CLI::App app{"udpvpnctl: query a running udpvpn-server"};
    app.require_subcommand(1);
    app.fallthrough();  // --socket may come before or after the command
    app.set_version_flag("--version", UDPVPN_VERSION);
    const char* env = std::getenv("UDPVPN_STATUS_SOCKET");
    std::string socket_path = env && *env ? env : "/run/udpvpn/server.sock";
    app.add_option("-s,--socket", socket_path,
                   "status socket of the server (status.socket; default $UDPVPN_STATUS_SOCKET or "
                   "/run/udpvpn/server.sock)");
    int timeout_s = 5;
    app.add_option("--timeout", timeout_s, "seconds to wait for the server")->check(CLI::Range(1, 600));

    bool json = false;
    auto* status = app.add_subcommand("status", "Show the connected clients as a table (or JSON)");
    status->add_flag("-j,--json", json, "print the server's reply as JSON (one line, for scripts)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    try {
        if (*status) {
            const std::string line = exchange(socket_path, status_request(), timeout_s * 1000);
            const StatusReply reply = parse_status_reply(line);  // validates before printing, even for --json
            if (json) {
                std::cout << line << "\n";
            } else {
                std::cout << format_status_table(reply, static_cast<std::int64_t>(std::time(nullptr)));
            }
        }
    } catch (const CtlError& e) {
        std::cerr << "udpvpnctl: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
#include "server_checks.hpp"

#include "pki_files.hpp"
#include "privileges.hpp"
#include "toml_reader.hpp"
#include "tun_device.hpp"
#include "udp_socket.hpp"

#include <asio/io_context.hpp>

#include <stdexcept>

namespace udpvpn::app {

void check_server_startup(const ServerConfig& cfg) {
    const KeyPermissions perms = cfg.strict_key_permissions ? KeyPermissions::refuse : KeyPermissions::warn;
    load_verifier(cfg.ca_file, cfg.crl_file, cfg.require_crl, cfg.allow_missing_eku);
    load_identity(cfg.cert_file, cfg.key_file, perms);
    check_admission_key_file(cfg.admission_key_file, perms);
    check_cluster_key_file(cfg.cluster_key_file, perms);
    if (cfg.mode == TunnelMode::ip && !cfg.test_tunnel.enabled())
        if (std::string problem = tun_name_problem(cfg.device); !problem.empty()) throw ConfigError(problem);
    if (std::string problem = check_user_group(cfg.user, cfg.group); !problem.empty()) throw ConfigError(problem);
    // Bound and closed again at once: "address in use" and "cannot assign" show up here.
    asio::io_context io(1);
    std::string err;
    auto sock = open_udp_socket(io, cfg.listen_address, cfg.port, 0, err);
    if (!sock) throw ConfigError("server.listen: " + err);
}

}  // namespace udpvpn::app

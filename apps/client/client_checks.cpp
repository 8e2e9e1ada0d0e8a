// SPDX-License-Identifier: GPL-3.0-or-later
#include "client_checks.hpp"

#include "pki_files.hpp"
#include "toml_reader.hpp"
#include "tun_device.hpp"

namespace udpvpn::app {

void check_client_startup(const ClientConfig& cfg) {
    const KeyPermissions perms = cfg.strict_key_permissions ? KeyPermissions::refuse : KeyPermissions::warn;
    load_verifier(cfg.ca_file, cfg.crl_file, false, cfg.allow_missing_eku);
    load_identity(cfg.cert_file, cfg.key_file, perms);
    check_admission_key_file(cfg.admission_key_file, perms);
    if (cfg.mode == TunnelMode::ip && !cfg.test_tunnel.enabled())
        if (std::string problem = tun_name_problem(cfg.device); !problem.empty()) throw ConfigError(problem);
}

}  // namespace udpvpn::app

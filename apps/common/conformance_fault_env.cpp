// SPDX-License-Identifier: GPL-3.0-or-later
#include "conformance_fault_env.hpp"

#include "log.hpp"
#include "toml_reader.hpp"

#include <cstdlib>
#include <string>
#include <utility>

namespace udpvpn::app {

namespace {

constexpr std::pair<const char*, ConformanceFault> kFaults[] = {
    {"replay_check_off", ConformanceFault::replay_check_off},
    {"amplification_unlimited", ConformanceFault::amplification_unlimited},
    {"cookie_never_required", ConformanceFault::cookie_never_required},
    {"client_finished_unverified", ConformanceFault::client_finished_unverified},
    {"client_cert_verify_unchecked", ConformanceFault::client_cert_verify_unchecked},
    {"half_open_address_unchecked", ConformanceFault::half_open_address_unchecked},
    {"crl_ignored", ConformanceFault::crl_ignored},
    {"disconnect_code_wrong", ConformanceFault::disconnect_code_wrong},
    {"admission_key_unchecked", ConformanceFault::admission_key_unchecked},
    {"version_unchecked", ConformanceFault::version_unchecked},
};

ConformanceFault read_env() {
    const char* v = std::getenv("UDPVPN_CONFORMANCE_FAULT");
    if (!v || !*v) return ConformanceFault::none;
    for (const auto& [name, fault] : kFaults) {
        if (std::string(v) != name) continue;
        UVLOG_WARN("UDPVPN_CONFORMANCE_FAULT=%s: this server is DELIBERATELY BROKEN (a conformance test build)", v);
        return fault;
    }
    std::string known;
    for (const auto& [name, fault] : kFaults) known += std::string(known.empty() ? "" : ", ") + name;
    throw ConfigError(std::string("UDPVPN_CONFORMANCE_FAULT=") + v + " is not a fault; known: " + known);
}

}  // namespace

ConformanceFault conformance_fault_from_env() {
    static const ConformanceFault fault = read_env();
    return fault;
}

}  // namespace udpvpn::app

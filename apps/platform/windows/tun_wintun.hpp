// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client's tunnel device on Windows: a Wintun adapter, with wintun.dll loaded at run time
// from beside the executable (wintun_api.hpp).
#pragma once
#include "tun_device.hpp"
#include "wintun_api.hpp"

namespace udpvpn::app {

// Creates (or reuses) the adapter `name` and starts a session. Needs Administrator rights (or the
// service's LocalSystem) and wintun.dll beside the .exe; `error` says which is missing.
// Closing the device removes the adapter and with it every address and route on it.
std::unique_ptr<TunDevice> open_wintun(const std::string& name, std::uint16_t mtu, std::string& error);

}  // namespace udpvpn::app

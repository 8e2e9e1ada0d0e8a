// SPDX-License-Identifier: GPL-3.0-or-later
// The client's life from a loaded configuration to the exit code, the same for the console program
// and the Windows service: start, run until a stop (signal, console event or service control),
// disconnect and undo every change.
#pragma once
#include "client_config.hpp"

#include <functional>

namespace udpvpn::app {

// `on_stop_ready`, if given, receives a function that stops the client from any thread (the
// service manager's stop control), and an empty function once stopping it is no longer possible.
using StopRegistrar = std::function<void(std::function<void()>)>;
int run_client(const ClientConfig& cfg, const StopRegistrar& on_stop_ready = nullptr);

}  // namespace udpvpn::app

// SPDX-License-Identifier: GPL-3.0-or-later
// udpvpn-client as a Windows service, through the Service Control Manager: `install-service`
// registers this executable (auto start, LocalSystem, restart on failure) with its config path;
// `--service` is how the SCM starts it; `uninstall-service` stops and removes it.
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace udpvpn::app::winsvc {

inline constexpr const char* kServiceName = "udpvpn-client";

// Each returns "" on success or a message naming what failed and why.
std::string install(const std::string& name, const std::string& config_path);
std::string uninstall(const std::string& name);

// The command line the SCM runs for `name`, if such a service exists.
std::optional<std::string> command_line(const std::string& name);

// What the service runs: `body` gets a function to register its stop action (called on the SCM's
// thread: post into the event loop) and returns the exit code once stopped.
using StopRegistrar = std::function<void(std::function<void()>)>;
using ServiceBody = std::function<int(const StopRegistrar&)>;

// Hands this process to the SCM and runs `body` as service `name` until it returns. Returns the
// exit code, or -1 with `error` set when the process was not started by the SCM.
int run(const std::string& name, ServiceBody body, std::string& error);

}  // namespace udpvpn::app::winsvc

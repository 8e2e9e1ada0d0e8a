// SPDX-License-Identifier: GPL-3.0-or-later
// Gives up root after the device and sockets are open. All capabilities go with it: the process can
// still use the file descriptors it holds, but cannot open new devices or change routes.
#pragma once
#include <string>

namespace udpvpn::app {

// user "" = stay as we are. group "" = the user's primary group. Returns "" or an error message.
std::string drop_privileges(const std::string& user, const std::string& group);
// What drop_privileges would refuse, checked without changing anything: "" if the user and group
// exist (or are empty).
std::string check_user_group(const std::string& user, const std::string& group);

}  // namespace udpvpn::app

// SPDX-License-Identifier: GPL-3.0-or-later
// secret_file_exposure on Windows: files carry ACLs, not modes; the installer's directory ACL
// (Administrators and SYSTEM only) is what protects the key.
#include "config_files.hpp"

namespace udpvpn::app {

std::string secret_file_exposure(const std::string&) { return ""; }

}  // namespace udpvpn::app

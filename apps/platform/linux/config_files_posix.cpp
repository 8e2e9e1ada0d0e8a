// SPDX-License-Identifier: GPL-3.0-or-later
// secret_file_exposure on POSIX: the file's mode bits.
#include "config_files.hpp"

#include <sys/stat.h>

#include <cstdio>

namespace udpvpn::app {

std::string secret_file_exposure(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return "";
    const unsigned mode = st.st_mode & 07777;
    const bool group = (mode & 070) != 0, others = (mode & 07) != 0;
    if (!group && !others) return "";
    char text[80];
    std::snprintf(text, sizeof text, "mode %04o: accessible to %s", mode,
                  group && others ? "its group and others" : group ? "its group" : "others");
    return text;
}

}  // namespace udpvpn::app

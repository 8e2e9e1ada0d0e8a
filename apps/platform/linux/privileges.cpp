// SPDX-License-Identifier: GPL-3.0-or-later
#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace udpvpn::app {

std::string check_user_group(const std::string& user, const std::string& group) {
    if (!user.empty() && ::getpwnam(user.c_str()) == nullptr)
        return "privileges.user: no such user: " + user + " (create it, e.g. adduser --system " + user + ")";
    if (!group.empty() && ::getgrnam(group.c_str()) == nullptr)
        return "privileges.group: no such group: " + group;
    return "";
}

std::string drop_privileges(const std::string& user, const std::string& group) {
    if (user.empty() && group.empty()) return "";
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (!user.empty()) {
        const passwd* pw = ::getpwnam(user.c_str());
        if (!pw) return "privileges.user: no such user: " + user;
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    if (!group.empty()) {
        const struct group* gr = ::getgrnam(group.c_str());
        if (!gr) return "privileges.group: no such group: " + group;
        gid = gr->gr_gid;
    }
    // Order matters: supplementary groups and gid while still root, uid last.
    if (::setgroups(1, &gid) != 0) return std::string("setgroups: ") + std::strerror(errno);
    if (::setresgid(gid, gid, gid) != 0) return std::string("setresgid: ") + std::strerror(errno);
    if (::setresuid(uid, uid, uid) != 0) return std::string("setresuid: ") + std::strerror(errno);
    // Make sure there is no way back.
    if (uid != 0 && ::setuid(0) == 0) return "could not drop root: setuid(0) still succeeds";
    return "";
}

}  // namespace udpvpn::app

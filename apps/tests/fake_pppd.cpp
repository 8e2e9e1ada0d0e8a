// SPDX-License-Identifier: GPL-3.0-or-later
// A stand-in for pppd in pppd_link_test: opens the tty named by argv[1] as pppd does and echoes
// every byte back (a loopback peer). Options it understands, anywhere in argv:
//   fake-report FILE   write argv (one per line) and UDPVPN_PEER to FILE once signals are set up
//   fake-exit N        exit with status N at once
//   fake-ignore-term   ignore SIGTERM and SIGHUP (tests the SIGKILL escalation)
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    bool stubborn = false;
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "fake-exit") == 0 && i + 1 < argc) return std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "fake-ignore-term") == 0) {
            stubborn = true;
            std::signal(SIGTERM, SIG_IGN);
            std::signal(SIGHUP, SIG_IGN);
        }
    }
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "fake-report") == 0 && i + 1 < argc) {
            FILE* f = std::fopen(argv[i + 1], "w");
            if (!f) return 1;
            for (int k = 0; k < argc; ++k) std::fprintf(f, "%s\n", argv[k]);
            const char* peer = std::getenv("UDPVPN_PEER");
            std::fprintf(f, "env UDPVPN_PEER=%s\n", peer ? peer : "(unset)");
            std::fclose(f);
        }
    }
    const int fd = open(argv[1], O_RDWR);   // no O_NOCTTY: becomes the controlling tty, like pppd
    if (fd < 0) {
        while (stubborn) pause();
        return 7;
    }
    termios t{};
    tcgetattr(fd, &t);
    cfmakeraw(&t);
    tcsetattr(fd, TCSANOW, &t);
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            while (stubborn) pause();   // only SIGKILL ends it
            return 16;   // "link hung up", as pppd reports it
        }
        for (ssize_t off = 0; off < n;) {
            const ssize_t w = write(fd, buf + off, static_cast<size_t>(n - off));
            if (w <= 0) return 16;
            off += w;
        }
    }
}

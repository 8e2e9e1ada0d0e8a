/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Built by check_install.sh against the installed header and library only. */
#include <udpvpn.h>

#include <stdio.h>
#include <stdlib.h>

static int64_t wall_clock(void *user) {
    (void)user;
    return INT64_C(1780272000);
}

int main(void) {
    if (udpvpn_abi_version() != UDPVPN_ABI_VERSION) {
        fprintf(stderr, "ABI mismatch: header %d, library %d\n", UDPVPN_ABI_VERSION, udpvpn_abi_version());
        return 1;
    }
    const char *pki = getenv("UDPVPN_TEST_PKI");
    char path[1024];
    snprintf(path, sizeof path, "%s/ca.crt", pki ? pki : "tests/pki");
    FILE *f = fopen(path, "rb");
    if (!f) return 1;
    static uint8_t ca[65536];
    const size_t n = fread(ca, 1, sizeof ca, f);
    fclose(f);
    udpvpn_verifier *v = NULL;
    const int rc = udpvpn_verifier_new(&v, ca, n, NULL, 0, 0, wall_clock, NULL);
    printf("libudpvpn %s, ABI %d: verifier_new -> %s\n", udpvpn_version_string(), udpvpn_abi_version(),
           udpvpn_strerror(rc));
    udpvpn_verifier_free(v);
    return rc == UDPVPN_OK ? 0 : 1;
}

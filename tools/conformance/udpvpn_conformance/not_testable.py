# SPDX-License-Identifier: GPL-3.0-or-later
"""Requirements no black-box check can decide from the wire, each with the reason."""
from .registry import not_testable

not_testable("GEN-1", "drop counters are local state (udpvpnctl status shows the reference's)")
not_testable("SID-2", "routing between workers is internal; one address shows one worker")
not_testable("SID-3", "routing between workers is internal; one address shows one worker")
not_testable("CRY-2", "depends on the host's CPU; the wire shows only the choice")
not_testable("INNER-1", "advisory; what a peer may send depends on its tunnel's traffic")
not_testable("INNER-2", "the check happens before the server's own network stack")
not_testable("HS-21", "a default of the implementation: the wire shows the choice, which "
             "depends on the server's CPU and configuration")
not_testable("HS-19", "the order of events inside the implementation's API")
not_testable("HS-20", "inner delivery happens inside the server's tunnel "
             "(tests/e2e/first_packets.py checks the reference's)")
not_testable("DOS-11", "memory is not visible on the wire (tests/e2e/amplification.sh measures "
             "the reference's)")
not_testable("DOS-12", "buffered early datagrams are not visible on the wire")
not_testable("KEY-2", "needs 2^36 (ChaCha20) or 2^52 (AES-GCM) forgeries per key")
not_testable("VER-3", "binds future versions of the protocol")
not_testable("CERT-8", "a configuration rule, not behaviour on the wire")
not_testable("CERT-12", "an application's authorization policy")
not_testable("PPP-1", "needs a PPP-mode client and pppd (tests/ppp checks the reference's)")
not_testable("DOS-17", "timing of a comparison inside the client")

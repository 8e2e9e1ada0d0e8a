# SPDX-License-Identifier: GPL-3.0-or-later
"""udpvpn-conformance: a black-box conformance suite for docs/rfc-draft.txt, written from the draft
and independent of libudpvpn's state machines."""

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Regenerates the committed test PKI (see README.md). Test-only keys. Needs the openssl CLI (3.0+).
# Every validity window and CRL date is fixed, so the tests run with an injected wall clock
# (kTestTime = 2026-06-01T00:00:00Z) and never need this script to be rerun.
set -euo pipefail
cd "$(dirname "$0")"
OUT=$PWD
CNF=$OUT/openssl.cnf
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OPENSSL_CONF=$CNF SAN_DNS=unused CA_DIR=$WORK/unused

# Fixed windows around kTestTime (2026-06-01).
VALID_FROM=20250101000000Z
VALID_TO=20450101000000Z

keygen() {  # keygen TYPE OUTFILE   (PKCS#8 PEM)
    case $1 in
    ed25519) openssl genpkey -algorithm ed25519 -out "$2" ;;
    p256)    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
    rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$2" 2>/dev/null ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
    rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$2" 2>/dev/null ;;
    p384)    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
    esac
}

new_ca_dir() {  # new_ca_dir NAME SERIAL_HEX
    mkdir -p "$WORK/$1/newcerts"
    : >"$WORK/$1/index.txt"
    echo "$2" >"$WORK/$1/serial"
    echo 01 >"$WORK/$1/crlnumber"
}

sign() {  # sign CA NAME SUBJ EXT FROM TO   (key $WORK/NAME.key must exist)
    local ca=$1 name=$2 subj=$3 ext=$4 from=$5 to=$6
    openssl req -new -key "$WORK/$name.key" -subj "$subj" -out "$WORK/$name.csr"
    CA_DIR=$WORK/$ca openssl ca -batch -notext -preserveDN -in "$WORK/$name.csr" -out "$WORK/$name.pem" \
        -extensions "$ext" -startdate "$from" -enddate "$to" 2>/dev/null
}

root_ca() {  # root_ca NAME KEYTYPE SUBJ SERIAL
    local name=$1
    new_ca_dir "$name" "$4"
    keygen "$2" "$WORK/$name/ca.key"
    openssl req -new -key "$WORK/$name/ca.key" -subj "$3" -out "$WORK/$name.csr"
    CA_DIR=$WORK/$name openssl ca -batch -notext -preserveDN -selfsign -in "$WORK/$name.csr" \
        -out "$WORK/$name/ca.crt" -extensions v3_root_ca -startdate "$VALID_FROM" -enddate "$VALID_TO" 2>/dev/null
    cp "$WORK/$name/ca.crt" "$OUT/$name.crt"
    cp "$WORK/$name/ca.key" "$OUT/$name.key"
}

int_ca() {  # int_ca PARENT NAME KEYTYPE SUBJ SERIAL
    local parent=$1 name=$2
    new_ca_dir "$name" "$5"
    keygen "$3" "$WORK/$name.key"
    sign "$parent" "$name" "$4" v3_int_ca "$VALID_FROM" "$VALID_TO"
    cp "$WORK/$name.pem" "$WORK/$name/ca.crt"
    cp "$WORK/$name.key" "$WORK/$name/ca.key"
    cp "$WORK/$name.key" "$OUT/$name.key"
}

leaf() {  # leaf CA NAME KEYTYPE SUBJ EXT [FROM TO [EXTRA_CHAIN_FILES...]]
    local ca=$1 name=$2 type=$3 subj=$4 ext=$5 from=${6:-$VALID_FROM} to=${7:-$VALID_TO}
    shift 7 2>/dev/null || shift $#
    keygen "$type" "$WORK/$name.key"
    sign "$ca" "$name" "$subj" "$ext" "$from" "$to"
    cat "$WORK/$name.pem" "$@" >"$OUT/$name.crt"   # chain, leaf first
    cp "$WORK/$name.key" "$OUT/$name.key"
}

crl() {  # crl CA OUTFILE LAST NEXT
    CA_DIR=$WORK/$1 openssl ca -gencrl -crl_lastupdate "$3" -crl_nextupdate "$4" -out "$2" 2>/dev/null
}

O="/O=udpvpn tests"

# RSA leaves (RSA-PSS in CertificateVerify) and leaf keys the protocol refuses. A function so that
# `./generate.sh --add-rsa` can add them to a committed PKI without regenerating the rest.
add_rsa_and_unsupported_leaves() {
    leaf ca client_rsa rsa2048 "/CN=frank$O" v3_client
    openssl rsa -in "$OUT/client_rsa.key" -traditional -outform DER -out "$OUT/client_rsa_pkcs1.der" 2>/dev/null
    SAN_DNS=vpn.example.test leaf ca server_rsa rsa4096 "/CN=vpn.example.test$O" v3_server
    leaf ca client_rsa1024 rsa1024 "/CN=grace$O" v3_client
    leaf ca client_p384 p384 "/CN=heidi$O" v3_client
}

# A client in two groups (subject OUs, what the server's access rules match): `--add-groups`.
add_group_leaves() {
    leaf ca client_groups ed25519 "/CN=carol/OU=ops/OU=on call$O" v3_client
}

if [ "${1:-}" = --add-groups ]; then
    new_ca_dir ca 1200
    cp "$OUT/ca.crt" "$OUT/ca.key" "$WORK/ca/"
    add_group_leaves
    echo "group leaves added to $OUT"
    exit 0
fi

if [ "${1:-}" = --add-rsa ]; then   # sign with the committed root instead of a new one
    new_ca_dir ca 1100
    cp "$OUT/ca.crt" "$OUT/ca.key" "$WORK/ca/"
    add_rsa_and_unsupported_leaves
    echo "RSA and unsupported-key leaves added to $OUT"
    exit 0
fi

# --- Ed25519 root and its leaves ----------------------------------------------------------------
root_ca ca ed25519 "/CN=udpvpn test root CA$O" 1000
SAN_DNS=vpn.example.test   leaf ca server ed25519 "/CN=vpn.example.test$O" v3_server
SAN_DNS=other.example.test leaf ca server_othername ed25519 "/CN=other.example.test$O" v3_server
leaf ca server_cn_only ed25519 "/CN=vpn.example.test$O" v3_server_cn_only
leaf ca client ed25519 "/CN=alice$O" v3_client
leaf ca client_ecdsa p256 "/CN=bob$O" v3_client
leaf ca server_ecdsa p256 "/CN=vpn.example.test$O" v3_server
leaf ca client_expired ed25519 "/CN=carol$O" v3_client 20240101000000Z 20250101000000Z
leaf ca client_notyet ed25519 "/CN=dave$O" v3_client 20300101000000Z "$VALID_TO"
leaf ca client_revoked ed25519 "/CN=eve$O" v3_client
leaf ca client_as_server ed25519 "/CN=mallory$O" v3_client_as_server
leaf ca noeku ed25519 "/CN=vpn.example.test$O" v3_noeku
leaf ca noeku_nosig ed25519 "/CN=vpn.example.test$O" v3_noeku_nosig
add_rsa_and_unsupported_leaves
add_group_leaves

# CRLs of the root, both listing client_revoked: one valid at kTestTime, one expired (2026-01-01).
CA_DIR=$WORK/ca openssl ca -revoke "$WORK/client_revoked.pem" -crl_reason keyCompromise 2>/dev/null
# Fixed revocation date (the CLI records "now"): 2026-01-15.
sed -i -E 's/^R\t([0-9]+Z)\t[0-9]+Z/R\t\1\t260115000000Z/' "$WORK/ca/index.txt"
crl ca "$OUT/crl.pem" 20260101000000Z 20450101000000Z
crl ca "$OUT/crl_expired.pem" 20250601000000Z 20260101000000Z

# --- An unrelated Ed25519 CA ---------------------------------------------------------------------
root_ca other_ca ed25519 "/CN=udpvpn unrelated CA$O" 2000
leaf other_ca client_otherca ed25519 "/CN=alice$O" v3_client

# --- Long chain: RSA-4096 root -> RSA-4096 int1 -> RSA-4096 int2 -> Ed25519 leaves ------------
root_ca long_ca rsa4096 "/CN=udpvpn test RSA root CA$O" 3000
int_ca long_ca long_int1 rsa4096 "/CN=udpvpn test RSA intermediate 1$O" 3100
int_ca long_int1 long_int2 rsa4096 "/CN=udpvpn test RSA intermediate 2$O" 3200
SAN_DNS=vpn.example.test leaf long_int2 long_server ed25519 "/CN=vpn.example.test$O" v3_server \
    "$VALID_FROM" "$VALID_TO" "$WORK/long_int2.pem" "$WORK/long_int1.pem"
leaf long_int2 long_client ed25519 "/CN=alice$O" v3_client \
    "$VALID_FROM" "$VALID_TO" "$WORK/long_int2.pem" "$WORK/long_int1.pem"
# One valid (empty) CRL per CA of the long chain, in one file.
for c in long_ca long_int1 long_int2; do crl "$c" "$WORK/$c.crl" 20260101000000Z 20450101000000Z; done
cat "$WORK/long_ca.crl" "$WORK/long_int1.crl" "$WORK/long_int2.crl" >"$OUT/long_crls.pem"

echo "test PKI written to $OUT"

# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates and CERTIFICATE_VERIFY signatures (sections 5.3, 8.3, 8.4) with python3-cryptography."""
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding

SCHEME_ED25519, SCHEME_ECDSA, SCHEME_RSA_PSS = 0x0807, 0x0403, 0x0804


def load_chain(path):
    """The DER certificates of a PEM or DER file, in file order (leaf first)."""
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        end = b"-----END CERTIFICATE-----"
        blocks = [b[b.index(b"-----BEGIN CERTIFICATE-----"):] + end for b in data.split(end) if b"-----BEGIN CERTIFICATE-----" in b]
        return [x509.load_pem_x509_certificate(b).public_bytes(serialization.Encoding.DER) for b in blocks]
    return [data]


def load_key(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        return serialization.load_pem_private_key(data, None)
    return serialization.load_der_private_key(data, None)


def scheme_of(key):
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return SCHEME_ED25519
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return SCHEME_ECDSA
    return SCHEME_RSA_PSS


def sign(key, content, salt_length=32, pkcs1=False):
    """(scheme, signature) over content with the leaf key, as section 8.4 says (or, for RSA, with
    another salt length or PKCS #1 v1.5 when asked)."""
    s = scheme_of(key)
    if s == SCHEME_ED25519:
        return s, key.sign(content)
    if s == SCHEME_ECDSA:
        return s, key.sign(content, ec.ECDSA(hashes.SHA256()))
    if pkcs1:
        return s, key.sign(content, padding.PKCS1v15(), hashes.SHA256())
    return s, key.sign(content, padding.PSS(padding.MGF1(hashes.SHA256()), salt_length), hashes.SHA256())


def verify(leaf_der, scheme, sig, content):
    """True if sig is a valid signature of content by the leaf's key under scheme."""
    pub = x509.load_der_x509_certificate(leaf_der).public_key()
    if scheme != scheme_of(pub):
        return False
    try:
        if scheme == SCHEME_ED25519:
            pub.verify(sig, content)
        elif scheme == SCHEME_ECDSA:
            pub.verify(sig, content, ec.ECDSA(hashes.SHA256()))
        else:
            if len(sig) != pub.key_size // 8:
                return False
            pub.verify(sig, content, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
        return True
    except Exception:
        return False


class CertDir:
    """A directory of test credentials, by name (see udpvpn-conformance(1), CERTIFICATE DIRECTORY):
    NAME.crt (chain, leaf first) and NAME.key for each kind of bad client certificate."""

    KINDS = {
        "expired": "a client certificate whose notAfter has passed",
        "not-yet-valid": "a client certificate whose notBefore is in the future",
        "unknown-ca": "a client certificate from a CA the server does not trust",
        "revoked": "a client certificate listed in the CRL the server loaded",
        "wrong-eku": "a client certificate with extendedKeyUsage serverAuth only",
        "no-digital-signature": "a client certificate whose keyUsage lacks digitalSignature",
        "bad-signature": "a client certificate whose CA signature does not verify",
        "rsa": "an RSA-2048 client certificate (rsa_pss_rsae_sha256)",
        "rsa-1024": "an RSA-1024 client certificate (a leaf key the profile refuses)",
        "revoke-later": "a good client certificate that --revoke-command revokes",
    }

    def __init__(self, path, base=None):
        self.path, self.base = path, base

    def get(self, kind):
        """(chain, key) or None when the directory has no such credential.  Without a
        bad-signature credential, the good one with a bit of its CA signature flipped."""
        if kind == "bad-signature" and self.base and not (
                self.path and os.path.exists(os.path.join(self.path, kind + ".crt"))):
            chain, key = self.base
            leaf = chain[0][:-1] + bytes([chain[0][-1] ^ 1])
            return [leaf] + chain[1:], key
        if not self.path:
            return None
        crt, key = os.path.join(self.path, kind + ".crt"), os.path.join(self.path, kind + ".key")
        if not (os.path.exists(crt) and os.path.exists(key)):
            return None
        return load_chain(crt), load_key(key)

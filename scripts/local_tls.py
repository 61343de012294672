"""The certificate scripts/run-portal serves on this machine, and the local CA that signs it.

A browser told once to trust the CA (var/tls/ca.pem) trusts every leaf it signs, so the leaf can
stay short-lived (90 days) and be renewed here without the operator doing anything again. The CA
is name-constrained to localhost, 127.0.0.1 and ::1: even its key could vouch for no other site.

    python scripts/local_tls.py var/tls

makes whatever is missing or due and says what it did on standard error.
"""

from __future__ import annotations

import argparse
import datetime
import getpass
import ipaddress
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_COMMON_NAME = "Member Portal local CA"
DNS_NAMES = ("localhost",)
IP_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))

CA_LIFETIME = datetime.timedelta(days=3650)
LEAF_LIFETIME = datetime.timedelta(days=90)
RENEW_WHEN_LEFT = datetime.timedelta(days=7)
# Certificates start a little in the past, so a clock slightly behind this one accepts them too.
BACKDATE = datetime.timedelta(minutes=5)

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
LEAF_CERT = "cert.pem"
LEAF_KEY = "key.pem"

Key = ec.EllipticCurvePrivateKey


@dataclass
class Outcome:
    """What ensure() changed; leaf_reason says why a leaf was issued, None when the old one was kept."""

    made_ca: bool = False
    replaced_ca: bool = False
    leaf_reason: str | None = None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def _same_key(certificate: x509.Certificate, key: Key) -> bool:
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return certificate.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replaces path in one step, with mode from the start (a key is never readable by others)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_key(path: Path, key: Key) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write(path, pem, 0o600)


def _write_certificate(path: Path, certificate: x509.Certificate) -> None:
    _write(path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def _read(certificate_path: Path, key_path: Path) -> tuple[x509.Certificate, Key] | None:
    try:
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, Key) or not _same_key(certificate, key):
        return None
    return certificate, key


def _owner() -> str:
    """Who and where, so the CA is told apart from other machines' in a browser's list."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def _make_ca(now: datetime.datetime) -> tuple[x509.Certificate, Key]:
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _owner()),
        ]
    )
    permitted: list[x509.GeneralName] = [x509.DNSName(name) for name in DNS_NAMES]
    permitted += [x509.IPAddress(ipaddress.ip_network(address)) for address in IP_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _issue_leaf(ca: x509.Certificate, ca_key: Key, now: datetime.datetime) -> tuple[x509.Certificate, Key]:
    key = _new_key()
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in DNS_NAMES]
    names += [x509.IPAddress(address) for address in IP_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DNS_NAMES[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + LEAF_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return certificate, key


def _usable_ca(directory: Path, now: datetime.datetime) -> tuple[x509.Certificate, Key] | None:
    """The CA on disk, unless it is missing, damaged, or would expire before a new leaf does."""
    found = _read(directory / CA_CERT, directory / CA_KEY)
    if found is None:
        return None
    certificate, _ = found
    if not _is_ca(certificate) or certificate.not_valid_after_utc < now + LEAF_LIFETIME:
        return None
    return found


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _names(certificate: x509.Certificate) -> set[object]:
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return set(alternative.get_values_for_type(x509.DNSName)) | set(alternative.get_values_for_type(x509.IPAddress))


def leaf_problem(directory: Path, ca: x509.Certificate, now: datetime.datetime) -> str | None:
    """Why the leaf on disk must be issued again, or None while it is good."""
    if not (directory / LEAF_CERT).exists():
        return "there was none"
    found = _read(directory / LEAF_CERT, directory / LEAF_KEY)
    if found is None:
        return "the one there was unreadable or did not match its key"
    certificate, _ = found
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return "the one there was not signed by the local CA"
    if _is_ca(certificate):
        return "the one there was a CA certificate"
    if _names(certificate) != {*DNS_NAMES, *IP_ADDRESSES}:
        return "the one there named other hosts"
    left = certificate.not_valid_after_utc - now
    if left < RENEW_WHEN_LEFT:
        return f"the one there had {max(left.days, 0)} days left"
    return None


def ensure(directory: Path, now: datetime.datetime | None = None) -> Outcome:
    """Makes the CA and the leaf in directory where missing, damaged or due; keeps a good CA."""
    now = now or _now()
    outcome = Outcome()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    ca = _usable_ca(directory, now)
    if ca is None:
        outcome.replaced_ca = (directory / CA_CERT).exists()
        outcome.made_ca = True
        ca = _make_ca(now)
        _write_key(directory / CA_KEY, ca[1])
        _write_certificate(directory / CA_CERT, ca[0])
    outcome.leaf_reason = leaf_problem(directory, ca[0], now)
    if outcome.leaf_reason is not None:
        leaf, leaf_key = _issue_leaf(*ca, now)
        _write_key(directory / LEAF_KEY, leaf_key)
        _write_certificate(directory / LEAF_CERT, leaf)
    for key_name in (CA_KEY, LEAF_KEY):
        os.chmod(directory / key_name, 0o600)
    return outcome


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where the CA and the certificate live (var/tls)")
    directory = parser.parse_args(argv).directory
    outcome = ensure(directory)
    ca_path = directory / CA_CERT
    if outcome.replaced_ca:
        _say(f"The local CA in {ca_path} was missing its key, damaged or near its end: made a new one.")
        _say(f'Remove the old "{CA_COMMON_NAME}" from browsers that trusted it, and trust the new one.')
    elif outcome.made_ca:
        _say(f"Made a certificate authority for this machine only: {ca_path}.")
    if outcome.made_ca:
        _say('Trust it once to browse without a warning: README.md, "Trust the local certificate".')
    if outcome.leaf_reason is not None:
        days = LEAF_LIFETIME.days
        _say(f"Issued {directory / LEAF_CERT} for localhost, 127.0.0.1 and ::1 ({days} days): {outcome.leaf_reason}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""scripts/local_tls.py: a local CA that signs a short-lived leaf, renewed without changing the CA."""

import datetime
import importlib.util
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "local_tls.py"

_spec = importlib.util.spec_from_file_location("local_tls", SCRIPT)
local_tls = importlib.util.module_from_spec(_spec)
sys.modules["local_tls"] = local_tls
_spec.loader.exec_module(local_tls)

NOW = datetime.datetime.now(datetime.UTC)


def certificate(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def basic_constraints(cert):
    return cert.extensions.get_extension_for_class(x509.BasicConstraints).value


def handshake(directory, cafile, server_hostname):
    """The peer certificate a client trusting only cafile accepts from a server of directory's leaf."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)

        def serve():
            connection, _ = listener.accept()
            with connection:
                try:
                    with server_context.wrap_socket(connection, server_side=True) as tls:
                        tls.recv(1)
                except (ssl.SSLError, OSError):
                    pass  # the client refused the certificate: that is the client's answer to check

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        client_context = ssl.create_default_context(cafile=cafile)
        try:
            with (
                socket.create_connection(listener.getsockname(), timeout=5) as raw,
                client_context.wrap_socket(raw, server_hostname=server_hostname) as tls,
            ):
                return tls.getpeercert()
        finally:
            server.join(5)


@pytest.fixture
def tls_dir(tmp_path):
    return tmp_path / "tls"


def test_the_leaf_is_a_90_day_server_certificate_for_the_three_local_names(tls_dir):
    outcome = local_tls.ensure(tls_dir, now=NOW)

    assert outcome.made_ca
    assert outcome.leaf_reason == "there was none"
    leaf = certificate(tls_dir / "cert.pem")
    assert basic_constraints(leaf).ca is False
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= datetime.timedelta(days=90)
    assert leaf.not_valid_after_utc - NOW <= datetime.timedelta(days=90)
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    ca = certificate(tls_dir / "ca.pem")
    assert basic_constraints(ca).ca is True
    assert leaf.issuer == ca.subject != leaf.subject


def test_the_ca_and_leaf_keys_are_readable_by_the_owner_only(tls_dir):
    local_tls.ensure(tls_dir, now=NOW)

    assert tls_dir.stat().st_mode & 0o777 == 0o700
    assert (tls_dir / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert (tls_dir / "key.pem").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_a_client_trusting_the_ca_accepts_the_served_leaf(tls_dir, server_hostname):
    local_tls.ensure(tls_dir, now=NOW)

    peer = handshake(tls_dir, tls_dir / "ca.pem", server_hostname)

    assert dict(name for rdn in peer["subject"] for name in rdn) == {"commonName": "localhost"}


def test_a_client_trusting_another_ca_refuses_the_leaf(tls_dir, tmp_path):
    local_tls.ensure(tls_dir, now=NOW)
    local_tls.ensure(tmp_path / "elsewhere", now=NOW)

    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls_dir, tmp_path / "elsewhere" / "ca.pem", "localhost")


def test_the_ca_cannot_vouch_for_another_site(tls_dir, monkeypatch):
    local_tls.ensure(tls_dir, now=NOW)
    monkeypatch.setattr(local_tls, "DNS_NAMES", ("bank.example",))
    ca = certificate(tls_dir / "ca.pem")
    ca_key = serialization.load_pem_private_key((tls_dir / "ca-key.pem").read_bytes(), password=None)
    leaf, leaf_key = local_tls._issue_leaf(ca, ca_key, NOW)
    local_tls._write_certificate(tls_dir / "cert.pem", leaf)
    local_tls._write_key(tls_dir / "key.pem", leaf_key)

    with pytest.raises(ssl.SSLCertVerificationError, match="subtree"):
        handshake(tls_dir, tls_dir / "ca.pem", "bank.example")


def test_a_leaf_with_under_seven_days_left_is_renewed_by_the_same_ca(tls_dir):
    local_tls.ensure(tls_dir, now=NOW)
    ca_before = (tls_dir / "ca.pem").read_bytes(), (tls_dir / "ca-key.pem").read_bytes()
    leaf_before = (tls_dir / "cert.pem").read_bytes()

    kept = local_tls.ensure(tls_dir, now=NOW + datetime.timedelta(days=80))
    assert kept.leaf_reason is None
    assert (tls_dir / "cert.pem").read_bytes() == leaf_before

    later = NOW + datetime.timedelta(days=84)
    renewed = local_tls.ensure(tls_dir, now=later)

    assert renewed.leaf_reason == "the one there had 5 days left"
    assert not renewed.made_ca
    assert ((tls_dir / "ca.pem").read_bytes(), (tls_dir / "ca-key.pem").read_bytes()) == ca_before
    leaf = certificate(tls_dir / "cert.pem")
    assert (tls_dir / "cert.pem").read_bytes() != leaf_before
    leaf.verify_directly_issued_by(certificate(tls_dir / "ca.pem"))
    assert leaf.not_valid_after_utc - later > datetime.timedelta(days=89)


def test_a_missing_leaf_is_issued_again_by_the_same_ca(tls_dir):
    local_tls.ensure(tls_dir, now=NOW)
    ca_before = (tls_dir / "ca.pem").read_bytes()
    (tls_dir / "cert.pem").unlink()

    outcome = local_tls.ensure(tls_dir, now=NOW)

    assert outcome.leaf_reason == "there was none"
    assert not outcome.made_ca
    assert (tls_dir / "ca.pem").read_bytes() == ca_before
    certificate(tls_dir / "cert.pem").verify_directly_issued_by(certificate(tls_dir / "ca.pem"))


def test_an_old_self_signed_certificate_is_replaced_once(tls_dir):
    # As the earlier scripts/run-portal made it: self-signed, CA:TRUE, 825 days.
    tls_dir.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    old = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW)
        .not_valid_after(NOW + datetime.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tls_dir / "cert.pem").write_bytes(old.public_bytes(serialization.Encoding.PEM))
    (tls_dir / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )

    first = local_tls.ensure(tls_dir, now=NOW)

    assert first.leaf_reason == "the one there was not signed by the local CA"
    leaf = certificate(tls_dir / "cert.pem")
    assert basic_constraints(leaf).ca is False
    leaf.verify_directly_issued_by(certificate(tls_dir / "ca.pem"))
    replaced = (tls_dir / "cert.pem").read_bytes(), (tls_dir / "key.pem").read_bytes()

    second = local_tls.ensure(tls_dir, now=NOW)

    assert second.leaf_reason is None
    assert not second.made_ca
    assert ((tls_dir / "cert.pem").read_bytes(), (tls_dir / "key.pem").read_bytes()) == replaced


def test_the_script_says_what_it_made_then_stays_quiet(tls_dir):
    made = subprocess.run([sys.executable, SCRIPT, tls_dir], capture_output=True, text=True, timeout=30)
    assert made.returncode == 0, made.stderr
    assert "Trust the local certificate" in made.stderr
    assert {path.name for path in tls_dir.iterdir()} == {"ca.pem", "ca-key.pem", "cert.pem", "key.pem"}

    again = subprocess.run([sys.executable, SCRIPT, tls_dir], capture_output=True, text=True, timeout=30)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""

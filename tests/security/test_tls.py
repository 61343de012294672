"""The TLS that gunicorn.conf.py sets up, scanned as an outsider would scan it: with sslyze."""

import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.live


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A private CA and a 30-day certificate for localhost that it signed."""
    folder = tmp_path_factory.mktemp("tls")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *curve,
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=Portal Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    openssl("req", *curve, "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=localhost", cwd=folder)
    (folder / "ext.cnf").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        "keyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n"
    )
    openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "30",
        "-sha256",
        "-extfile",
        "ext.cnf",
        cwd=folder,
    )
    return folder


@pytest.fixture(scope="module")
def tls_server(certificate):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DATABASE_URL": f"sqlite:///{certificate / 'db.sqlite3'}",
        "PORTAL_BIND": f"127.0.0.1:{port}",
        "PORTAL_CERTFILE": str(certificate / "cert.pem"),
        "PORTAL_KEYFILE": str(certificate / "key.pem"),
        "WEB_CONCURRENCY": "1",
    }
    env.pop("CACHE_URL", None)
    log = open(certificate / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start:\n" + (certificate / "gunicorn.log").read_text())
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_it_is_compliant_with_mozillas_intermediate_profile(tls_server, certificate):
    scan = subprocess.run(
        [
            sys.executable,
            "-m",
            "sslyze",
            "--mozilla_config=intermediate",
            f"--certinfo_ca_file={certificate / 'ca.pem'}",
            f"localhost:{tls_server}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "OK - Compliant." in scan.stdout, scan.stdout[-3000:]
    assert scan.returncode == 0


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1], ids=["TLS1.0", "TLS1.1"])
def test_it_refuses_old_protocol_versions(tls_server, certificate, version):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(certificate / "ca.pem")
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.maximum_version = version
    context.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError), socket.create_connection(("127.0.0.1", tls_server), timeout=5) as raw:
        context.wrap_socket(raw, server_hostname="localhost")


def test_it_refuses_a_cipher_weaker_than_128_bits(tls_server, certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(certificate / "ca.pem")
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("DES-CBC3-SHA:AES128-SHA:@SECLEVEL=0")  # 3DES and non-AEAD CBC
    with pytest.raises(ssl.SSLError), socket.create_connection(("127.0.0.1", tls_server), timeout=5) as raw:
        context.wrap_socket(raw, server_hostname="localhost")


def test_it_serves_the_portal_over_tls(tls_server, certificate):
    context = ssl.create_default_context(cafile=certificate / "ca.pem")
    with (
        socket.create_connection(("127.0.0.1", tls_server), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        head = tls.recv(4096).decode()
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert head.startswith("HTTP/1.1 ") and "Strict-Transport-Security: max-age=63072000" in head

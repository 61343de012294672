"""scripts/run-portal refuses a taken port before it sets anything up or prints the demo password."""

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_PORTAL = ROOT / "scripts" / "run-portal"
# The script's own lookup: with nginx it also listens on the page and sign-in pools' ports.
HAS_NGINX = bool(shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK))


@pytest.fixture
def held_port():
    """A port some other server listens on."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


def free_port():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def run_portal(**ports):
    """Runs the script until it exits; had it started servers instead, the timeout stops them all."""
    env = {**os.environ, **{name: str(port) for name, port in ports.items()}}
    process = subprocess.Popen(
        [RUN_PORTAL], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate()
        pytest.fail("scripts/run-portal did not stop at the taken port")
    return process.returncode, stdout, stderr


def sees_holder(port):
    """Whether ss here names the process that listens on port (it shows only this user's processes)."""
    if not shutil.which("ss"):
        return False
    listing = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    return f"pid={os.getpid()}," in listing


def process_name():
    return Path(f"/proc/{os.getpid()}/comm").read_text().strip()


def assert_refused_before_anything(returncode, stdout, stderr):
    assert returncode != 0
    assert "Password:" not in stdout + stderr
    assert "Applying migrations" not in stderr


def test_a_taken_port_is_named_with_what_to_do_before_the_banner(held_port):
    returncode, stdout, stderr = run_portal(PORT=held_port, PAGES_PORT=free_port(), SIGN_IN_PORT=free_port())

    assert_refused_before_anything(returncode, stdout, stderr)
    assert f"127.0.0.1:{held_port} (PORT={held_port})" in stderr
    assert "Stop that server, or choose another port: PORT=" in stderr
    assert " scripts/run-portal" in stderr
    if sees_holder(held_port):
        assert f"It is held by {process_name()} (pid {os.getpid()})." in stderr


@pytest.mark.skipif(not HAS_NGINX, reason="without nginx, scripts/run-portal listens on PORT only")
def test_a_taken_pool_port_is_named_when_nginx_serves(held_port):
    returncode, stdout, stderr = run_portal(PORT=free_port(), PAGES_PORT=free_port(), SIGN_IN_PORT=held_port)

    assert_refused_before_anything(returncode, stdout, stderr)
    assert f"127.0.0.1:{held_port} (SIGN_IN_PORT={held_port})" in stderr
    assert "SIGN_IN_PORT=" in stderr.split("Stop that server, or choose another port:")[1]


@pytest.mark.skipif(not HAS_NGINX, reason="without nginx, scripts/run-portal listens on PORT only")
def test_one_port_for_two_servers_is_refused():
    port = free_port()
    returncode, stdout, stderr = run_portal(PORT=port, PAGES_PORT=port, SIGN_IN_PORT=free_port())

    assert_refused_before_anything(returncode, stdout, stderr)
    assert "must be three different ports" in stderr

"""The documented nginx configuration in front of two app hosts, each with its page pool and its
sign-in pool: every POST that checks or hashes a secret reaches a sign-in pool, everything else a
page pool (which pool answered is read from the pools' own access logs)."""

import os
import secrets
import time
from pathlib import Path

import pytest

from tests.conftest import MEMBER_PASSWORD
from tests.live import LiveClient, Nginx

pytestmark = pytest.mark.live

# Every view whose POST runs the password hasher: a password, an answer or a code checked, or new ones hashed.
PASSWORD_CHECKING_POSTS = [
    "/accounts/login/",
    "/accounts/login/code/",
    "/accounts/password-reset/questions/",
    "/accounts/password-reset/second-factor/",
    "/accounts/password-reset/new-password/",
    "/accounts/security/password/",
    "/accounts/security/questions/",
    "/accounts/security/two-factor/setup/",
    "/accounts/security/two-factor/backup-codes/",
    "/accounts/security/two-factor/remove/",
    "/profile/email/",
]
PAGE_REQUESTS = [
    ("GET", "/accounts/login/"),
    ("GET", "/"),
    ("GET", "/claims/"),
    ("GET", "/accounts/password-reset/questions/"),
    ("POST", "/accounts/password-reset/"),
    ("POST", "/accounts/logout/"),
    ("POST", "/accounts/security/sessions/end-others/"),
]


@pytest.fixture
def pools(app_servers):
    """Two hosts' pools: (page servers, sign-in servers), started as gunicorn.conf.py sizes each."""
    pages = app_servers.start(2, workers=1, threads=2)
    # A niced pool boots slowly on a busy machine.
    sign_in = app_servers.start(2, workers=1, threads=2, PORTAL_POOL="sign-in", start_timeout=120)
    return pages, sign_in


@pytest.fixture
def nginx(pools, tmp_path):
    pages, sign_in = pools
    with Nginx(pages, sign_in_servers=sign_in, workdir=tmp_path) as proxy:
        yield proxy


@pytest.fixture
def member(live_member):
    return live_member


def answered_by(servers, marker, timeout=5):
    """The servers whose access log has a request carrying `marker` (each logs just after answering)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [server for server in servers if marker in server.log_path.read_text(errors="replace")]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def send(client, method, path):
    """The request with a marker of its own in the query string (the pool is chosen by path alone)."""
    marker = f"probe={secrets.token_hex(8)}"
    response = client.request(method, f"{path}?{marker}", "" if method == "POST" else None)
    assert response.status < 500, (method, path, response.status)
    return marker


def test_it_sends_every_password_checking_post_to_a_sign_in_pool(pools, nginx, member):
    pages, sign_in = pools
    client = LiveClient(nginx)
    assert client.sign_in("alice", MEMBER_PASSWORD).status == 302
    for path in PASSWORD_CHECKING_POSTS:
        marker = send(client, "POST", path)
        assert len(answered_by(sign_in, marker)) == 1, path
        assert answered_by(pages, marker, timeout=0) == [], path


def test_it_sends_pages_and_every_other_request_to_a_page_pool(pools, nginx, member):
    pages, sign_in = pools
    client = LiveClient(nginx)
    assert client.sign_in("alice", MEMBER_PASSWORD).status == 302
    for method, path in PAGE_REQUESTS:
        marker = send(client, method, path)
        assert len(answered_by(pages, marker)) == 1, (method, path)
        assert answered_by(sign_in, marker, timeout=0) == [], (method, path)


def test_it_spreads_sign_ins_over_both_hosts_and_the_page_pools_honour_them(pools, nginx, member):
    pages, sign_in = pools
    markers = []
    for _ in range(2):
        client = LiveClient(nginx)
        token = client.login_form()
        marker = f"probe={secrets.token_hex(8)}"
        fields = {"username": "alice", "password": MEMBER_PASSWORD, "csrfmiddlewaretoken": token}
        assert client.post(f"/accounts/login/?{marker}", fields).status == 302
        markers.append(marker)
        home = client.get("/")
        assert home.status == 200 and "Signed in as <strong>alice</strong>" in home.text

    # nginx takes the hosts in turn: one sign-in on each host's sign-in pool.
    assert sorted(sign_in.index(answered_by(sign_in, marker)[0]) for marker in markers) == [0, 1]


def test_it_runs_the_sign_in_pool_below_the_priority_of_the_page_pool(pools):
    def worker_nice_values(server):
        values = []
        for pid in _children(server.process.pid):
            with open(f"/proc/{pid}/stat") as stat:
                values.append(int(stat.read().rsplit(")", 1)[1].split()[16]))  # field 19: nice
        return values

    pages, sign_in = pools
    assert [worker_nice_values(server) for server in pages] == [[0], [0]]
    assert [worker_nice_values(server) for server in sign_in] == [[10], [10]]


def test_it_lowers_the_sign_in_pools_scheduling_group_too(pools):
    # Each server here is a session of its own, so the kernel weighs it as one group against the others.
    if not Path("/proc/self/autogroup").exists():
        pytest.skip("this kernel has no autogroups")

    def group_nice(server):
        (worker,) = _children(server.process.pid)
        return Path(f"/proc/{worker}/autogroup").read_text().split()[-1]

    pages, sign_in = pools
    assert [group_nice(server) for server in pages] == ["0", "0"]
    assert [group_nice(server) for server in sign_in] == ["10", "10"]


def _children(parent):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                        children.append(int(entry))
            except OSError:
                continue
    return children

"""Workers replaced under load: a graceful reload loses nothing, a killed worker only what it held.

The documented topology: Debian's nginx with the location block of docs/deploy.md in front of two
gunicorn servers (two workers of two threads each, gunicorn.conf.py's worker_connections).

- `kill -HUP` of each master in turn, as the release steps say, during a steady stream of
  sign-ins and page loads: every answer is a page or a redirect.
- `kill -9` of one worker while twenty members sign in at once, each one failure from the freeze:
  only the sign-ins that worker had taken are lost (nginx's 502: it never resends a POST), and a
  password-check slot it left behind stops counting after PORTAL_VERIFICATION_RESERVATION_SECONDS.
"""

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from security.models import VerificationSlot
from tests.conftest import MEMBER_PASSWORD
from tests.live import LiveClient, Nginx

pytestmark = pytest.mark.live

ORIGIN = {"Origin": "https://127.0.0.1"}  # what a browser sends with a form, behind the TLS proxy
WORKERS = 2
THREADS = 2
SLOT_SECONDS = 8
MEMBERS = 20


def worker_pids(server):
    """The gunicorn master's children: its workers (Linux)."""
    children = f"/proc/{server.process.pid}/task/{server.process.pid}/children"
    with open(children) as listing:
        return {int(pid) for pid in listing.read().split()}


def requests_held(pid, port):
    """Connections to `port` that the process `pid` has accepted and not closed (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    held = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            held += local_port == port and state == "01" and inode in inodes  # 01: established
    return held


def replaced(server, old):
    """Every worker in `old` has exited and as many new ones run."""
    now = worker_pids(server)
    return not now & old and len(now) == WORKERS


def wait_until(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


@pytest.fixture
def nginx(app_servers, tmp_path):
    started = app_servers.start(
        2,
        workers=WORKERS,
        threads=THREADS,
        # The production grace period: the servers' default in the live tests is three seconds.
        gunicorn_args=("--graceful-timeout", "20"),
        PORTAL_THREADS=THREADS,  # gunicorn.conf.py sizes worker_connections from it
        PORTAL_BEHIND_TLS_PROXY="true",
        PORTAL_TRUSTED_PROXIES="127.0.0.1",
        PORTAL_VERIFICATION_RESERVATION_SECONDS=SLOT_SECONDS,
        # Twenty sign-ins at once all wait for a hash here: this test counts losses, not refusals.
        PORTAL_HASH_QUEUE_LIMIT=MEMBERS,
    )
    with Nginx(started, workdir=tmp_path) as proxy:
        proxy.app_servers = started
        yield proxy


@pytest.fixture
def members(db):
    password = make_password(MEMBER_PASSWORD, hasher="argon2")  # the servers verify the real hash
    names = [f"member{number}" for number in range(MEMBERS)]
    User.objects.bulk_create(
        User(username=name, email=f"{name}@example.com", password=password, security_questions_set_at=timezone.now())
        for name in [*names, "pages"]
    )
    return names


def sign_in(nginx, username):
    client = LiveClient(nginx, timeout=30, headers=ORIGIN)
    try:
        return client.sign_in(username, MEMBER_PASSWORD)
    finally:
        client.close()


class Load:
    """Members signing in and members loading pages, each client as fast as it gets answers."""

    def __init__(self, nginx, cookies, usernames, kinds=("sign-in", "sign-in", "page", "page")):
        self.nginx, self.cookies, self.usernames = nginx, cookies, usernames
        self.statuses = Counter()
        self.answered_at = []
        self.errors = []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.keep, args=(n, kind), daemon=True) for n, kind in enumerate(kinds)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=40)

    def keep(self, number, kind):
        member = LiveClient(self.nginx, timeout=30, cookies=self.cookies, headers=ORIGIN)
        count = 0
        while not self.done.is_set():
            count += 1
            try:
                if kind == "sign-in":
                    status = sign_in(self.nginx, self.usernames[(number + 2 * count) % len(self.usernames)]).status
                else:
                    status = member.get("/" if count % 2 else "/claims/").status
                self.statuses[(kind, status)] += 1
                self.answered_at.append(time.monotonic())
            except Exception as error:  # noqa: BLE001 - a dropped connection is the finding
                self.errors.append((kind, repr(error)))


def test_it_loses_no_request_when_each_server_reloads_under_load(nginx, members):
    page_client = LiveClient(nginx, headers=ORIGIN)
    assert page_client.sign_in(members[0], MEMBER_PASSWORD).status == 302
    reloads = []
    with Load(nginx, page_client.cookies, members[1:]) as load:
        time.sleep(1)
        for server in nginx.app_servers:
            old = worker_pids(server)
            os.kill(server.process.pid, signal.SIGHUP)
            reloaded_at = time.monotonic()
            wait_until(
                lambda server=server, old=old: replaced(server, old),
                timeout=30,
                message=f"the workers of {server.port} were not replaced",
            )
            reloads.append((reloaded_at, time.monotonic()))
            time.sleep(0.5)  # the new workers take requests before the next server reloads
        time.sleep(1)

    print(f"answers during two reloads: {dict(load.statuses)}")
    assert not load.errors, load.errors[:5]
    assert set(load.statuses) == {("sign-in", 302), ("page", 200)}, load.statuses
    # The load went on through each reload, not only around them.
    for start, end in reloads:
        assert [at for at in load.answered_at if start < at < end], (start, end, load.answered_at)
    for server in nginx.app_servers:
        assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log_tail()


def test_it_loses_only_what_a_killed_worker_held_and_its_slots_expire(nginx, members):
    # Each member one failure from the freeze: a slot left behind would refuse their next check.
    AccessAttempt.objects.bulk_create(
        AccessAttempt(username=name, failures_since_start=settings.PORTAL_FREEZE_AFTER_FAILURES - 1, user_agent="")
        for name in members
    )
    page_client = LiveClient(nginx, headers=ORIGIN)
    assert page_client.sign_in("pages", MEMBER_PASSWORD).status == 302
    clients = [LiveClient(nginx, timeout=30, headers=ORIGIN) for _ in members]
    tokens = [client.login_form() for client in clients]
    for client in clients:
        client.close()
    barrier = threading.Barrier(len(members) + 1)

    def attempt(number):
        barrier.wait(timeout=30)
        try:
            return clients[number].sign_in(members[number], MEMBER_PASSWORD, tokens[number]).status
        except OSError as error:
            return repr(error)

    victim_server = nginx.app_servers[0]
    pages = Load(nginx, page_client.cookies, [], kinds=("page", "page"))
    with pages, ThreadPoolExecutor(max_workers=len(members)) as pool:
        answers = pool.map(attempt, range(len(members)))
        barrier.wait(timeout=30)
        time.sleep(0.15)  # the first hashes are under way
        victim = min(worker_pids(victim_server))
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        answers = list(answers)

    lost = [name for name, answer in zip(members, answers, strict=True) if answer != 302]
    held = VerificationSlot.objects.count()
    # Asked again at once: a member whose check died holding a slot is refused until it expires.
    retried = {name: sign_in(nginx, name).status for name in lost}
    print(
        f"kill -9 of one of {2 * WORKERS} workers during {len(members)} sign-ins: answers {Counter(answers)}, "
        f"slots held after the kill {held}, asked again at once {Counter(retried.values())}, "
        f"page loads meanwhile {dict(pages.statuses)}"
    )
    assert set(answers) <= {302, 502}, answers  # nginx's 502 for a POST the worker had taken
    # A GET the worker had taken went to the other server: every page load was answered, except one
    # whose answer the worker was writing at the instant of the kill (nginx cannot send on a response
    # already begun): at most one per thread of the killed worker, cut short, never an error page.
    cut = [error for kind, error in pages.errors if "IncompleteRead" in error]
    assert len(cut) == len(pages.errors) and len(cut) <= THREADS, pages.errors
    assert set(pages.statuses) == {("page", 200)}, (pages.errors, pages.statuses)
    # No more than the one worker had taken on: its threads' worth, and as many waiting.
    assert len(lost) <= 2 * THREADS, answers
    assert held <= len(lost)
    assert set(retried.values()) <= {302, 429}, retried  # 429: the held slot, "try again in a moment"

    wait_until(lambda: time.monotonic() > killed_at + SLOT_SECONDS + 0.5, timeout=SLOT_SECONDS + 5, message="")
    for name in (name for name, status in retried.items() if status != 302):
        assert sign_in(nginx, name).status == 302, f"{name}'s slot outlived its {SLOT_SECONDS} s"
    # Nothing the dead worker took is left: no slot counts, and nobody is a strike from the freeze.
    assert VerificationSlot.objects.count() == 0
    assert not AccessAttempt.objects.filter(username__in=members, failures_since_start__gt=0).exists()
    assert victim not in worker_pids(victim_server) and len(worker_pids(victim_server)) == WORKERS


def test_it_sends_a_page_load_a_killed_worker_had_taken_to_the_other_server(nginx, members):
    page_client = LiveClient(nginx, headers=ORIGIN)
    assert page_client.sign_in(members[0], MEMBER_PASSWORD).status == 302
    server = nginx.app_servers[0]
    victim = min(worker_pids(server))
    with Load(nginx, page_client.cookies, [], kinds=("page",) * 6) as pages:
        # Frozen, the worker serves nothing more; killed once it holds a page load, that one is cut.
        for _ in range(50):
            os.kill(victim, signal.SIGSTOP)
            time.sleep(0.2)
            if requests_held(victim, server.port):
                break
            os.kill(victim, signal.SIGCONT)
            time.sleep(0.1)
        held = requests_held(victim, server.port)
        os.kill(victim, signal.SIGKILL)
        time.sleep(2)

    cut = [line for line in nginx.error_log.read_text().splitlines() if "[error]" in line and '"GET ' in line]
    print(f"page loads held by the killed worker: {held}; cut and sent on by nginx: {len(cut)}; {dict(pages.statuses)}")
    assert held >= 1 and len(cut) >= 1, "no page load was under way on the killed worker"
    assert not pages.errors and set(pages.statuses) == {("page", 200)}, (pages.errors, pages.statuses)

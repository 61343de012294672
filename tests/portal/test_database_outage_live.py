"""PostgreSQL stopped under a stream of requests, through nginx and two gunicorn servers.

The documented topology on a PostgreSQL cluster of the test's own (tests/live/postgres.py): the
shared database server is never stopped. While it is down, every request that needs it gets the
site's 503 page with Retry-After (nothing is a 500 or nginx's 502), the servers log one line per
outage and no traceback, and once it is back the next requests succeed without restarting anything.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from tests.conftest import MEMBER_PASSWORD
from tests.live import AppServers, LiveClient, Nginx
from tests.live.postgres import PostgresCluster

pytestmark = pytest.mark.live

DATABASE = "portal"
ORIGIN = {"Origin": "https://127.0.0.1"}  # what a browser sends with a form, behind the TLS proxy
RETRY_AFTER = "12"
DOWN_SECONDS = 3
PAGE_TITLE = "The portal is unavailable for a moment"


@pytest.fixture
def cluster():
    with PostgresCluster() as cluster:
        cluster.create_database(DATABASE)
        cluster.create_members(DATABASE, ["alice", "bob"], MEMBER_PASSWORD)
        yield cluster


@pytest.fixture
def nginx(cluster, tmp_path):
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": DATABASE, "USER": "postgres"}
    database.update(HOST="127.0.0.1", PORT=cluster.port)
    with AppServers(workdir=tmp_path, database=database) as servers:
        started = servers.start(
            2,
            workers=1,
            threads=4,
            PORTAL_BEHIND_TLS_PROXY="true",
            PORTAL_TRUSTED_PROXIES="127.0.0.1",
            PORTAL_DATABASE_RETRY_AFTER_SECONDS=RETRY_AFTER,
            LOG_LEVEL="INFO",
        )
        with Nginx(started, workdir=tmp_path) as proxy:
            proxy.app_servers = started
            yield proxy


@dataclass
class Answer:
    at: float
    kind: str
    status: int
    retry_after: str | None
    text: str


class Stream:
    """Clients that keep asking until told to stop: a member's pages, sign-ins, the load balancer, a visitor."""

    def __init__(self, nginx, member_cookies):
        self.nginx = nginx
        self.member_cookies = member_cookies
        self.answers = []
        self.errors = []
        self.done = threading.Event()
        self.threads = [
            threading.Thread(target=self.keep, args=(kind,), daemon=True)
            for kind in ("member page", "claims page", "sign-in", "healthz", "sign-in page")
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=15)

    def keep(self, kind):
        member = LiveClient(self.nginx, timeout=10, cookies=self.member_cookies, headers=ORIGIN)
        while not self.done.is_set():
            try:
                self.note(kind, self.ask(kind, member))
            except Exception as error:  # noqa: BLE001 - a connection nginx dropped is itself the finding
                self.errors.append((kind, repr(error)))
            time.sleep(0.02)

    def ask(self, kind, member):
        if kind == "member page":
            return member.get("/")
        if kind == "claims page":
            return member.get("/claims/")
        if kind == "healthz":
            return LiveClient(self.nginx, timeout=10).get("/healthz")
        visitor = LiveClient(self.nginx, timeout=10, headers=ORIGIN)
        page = visitor.get("/accounts/login/")
        if kind == "sign-in page" or page.status != 200:
            return page
        return visitor.sign_in("bob", MEMBER_PASSWORD)

    def note(self, kind, response):
        retry_after = response.headers["Retry-After"]
        self.answers.append(Answer(time.monotonic(), kind, response.status, retry_after, response.text))

    def between(self, start, end):
        return [answer for answer in self.answers if start <= answer.at <= end]


def signed_in_cookies(nginx):
    client = LiveClient(nginx, headers=ORIGIN)
    assert client.sign_in("alice", MEMBER_PASSWORD).status == 302
    assert client.get("/").status == 200
    return client.cookies


def test_it_answers_503_while_postgresql_is_down_and_recovers_without_a_restart(cluster, nginx):
    cookies = signed_in_cookies(nginx)
    with Stream(nginx, cookies) as stream:
        time.sleep(1)
        cluster.stop()
        stopped = time.monotonic()
        time.sleep(DOWN_SECONDS)
        restarting = time.monotonic()
        cluster.start()
        started = time.monotonic()
        time.sleep(3)
    finished = time.monotonic()

    assert not stream.errors, stream.errors[:5]
    statuses = Counter((answer.kind, answer.status) for answer in stream.answers)
    print(f"answers: {dict(statuses)}; down {restarting - stopped:.1f} s, start took {started - restarting:.1f} s")
    # Nothing at any moment, the stop and the start included, was a 500, a 400 or nginx's 502.
    assert not [answer for answer in stream.answers if answer.status not in (200, 302, 503)], statuses

    down = stream.between(stopped + 0.2, restarting)
    needing_database = [answer for answer in down if answer.kind != "sign-in page"]
    assert len(needing_database) > 50, "the stream kept asking while the database was down"
    assert {answer.status for answer in needing_database} == {503}
    assert {answer.retry_after for answer in needing_database} == {RETRY_AFTER}
    pages = [answer for answer in needing_database if answer.kind != "healthz"]
    assert all(PAGE_TITLE in answer.text and "Signed in as" not in answer.text for answer in pages)
    assert all('"database": "unavailable"' in answer.text for answer in down if answer.kind == "healthz")

    # Back: after the first reconnect, every request succeeds, on the same servers, in the same session.
    after = stream.between(started + 1, finished)
    assert after and {answer.status for answer in after} <= {200, 302}, Counter(a.status for a in after)
    assert {answer.kind for answer in after} == {"member page", "claims page", "sign-in", "healthz", "sign-in page"}
    assert LiveClient(nginx, cookies=cookies).get("/").status == 200
    assert all(server.process.poll() is None for server in nginx.app_servers)

    for server in nginx.app_servers:
        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, server.log_tail(60)
        assert log.count("Database unavailable") == 1, log
        assert log.count("Database available again") == 1, log

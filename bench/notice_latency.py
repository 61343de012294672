"""A password change's request time with a slow mail server beside a fast one, in one run.

Run (SQLite in a temporary directory by default; with --database-url a PostgreSQL server, where a
database bench_notice_<pid> is created for the run and dropped after it):

    .venv/bin/python bench/notice_latency.py [--database-url postgres://postgres@127.0.0.1:5432/postgres] \\
        [--changes 12] [--slow-seconds 2]

Two aiosmtpd servers on loopback, one answering at once and one taking --slow-seconds per message;
for each, a gunicorn app server (production settings) and a `db_worker` process sending to it, all
on one database. Members sign in, then change their password, alternating between the two portals;
only the password change's POST is timed. Prints the median and p90 for each, the ratio of the
medians against the target (within 10%), that every notice arrived exactly once, and the duplicate
window: how long after the server's 250 the worker had recorded the notice as sent.
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = 1.10
PASSWORD = "bench member passphrase"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (postgres://user@host:port/any)")
    parser.add_argument("--changes", type=int, default=12, help="timed password changes per portal")
    parser.add_argument("--slow-seconds", type=float, default=2.0, help="the slow server's time per message")
    return parser.parse_args()


def setup_database(args, workdir):
    if not args.database_url:
        return f"sqlite:///{workdir / 'bench.sqlite3'}", None
    import psycopg

    name = f"bench_notice_{os.getpid()}"
    admin = psycopg.connect(urlsplit(args.database_url)._replace(path="/postgres").geturl(), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(args.database_url)._replace(path=f"/{name}").geturl(), (admin, name)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-notice-"))
    database_url, dropper = setup_database(args, workdir)
    os.environ.update(DJANGO_SETTINGS_MODULE="settings.test", DATABASE_URL=database_url, PORTAL_RECENT_AUTH_SECONDS="0")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from security.models import SecurityNotice
    from tests.live import AppServers, LiveClient, csrf_token
    from tests.live.smtp import Mailbox, SMTPServer
    from tests.live.task_worker import TaskWorker

    # The test settings would give the SQLite database another name for tests: use this one as is.
    settings.DATABASES["default"].pop("TEST", None)
    call_command("migrate", verbosity=0)
    count = args.changes + 1  # the first change of each portal warms it up, untimed
    hashed = make_password(PASSWORD, hasher="argon2")
    for kind in ("fast", "slow"):
        User.objects.bulk_create(
            User(
                username=f"{kind}-{n}",
                email=f"{kind}-{n}@example.com",
                password=hashed,
                security_questions_set_at=timezone.now(),  # past the set-up steps
                password_changed_at=timezone.now(),
            )
            for n in range(count)
        )
    mail = {"fast": SMTPServer(Mailbox()).start(), "slow": SMTPServer(Mailbox(delay=args.slow_seconds)).start()}
    timings = {"fast": [], "slow": []}
    workers = []
    try:
        with AppServers(workdir=workdir, database=connection.settings_dict) as app_servers:
            portals = {}
            for kind, smtp in mail.items():
                env = {"EMAIL_URL": smtp.url, "PORTAL_SUPPORT_PHONE": "1-800-555-0199"}
                (portals[kind],) = app_servers.start(1, workers=1, threads=2, **env)
                workers.append(TaskWorker(app_servers, log_path=workdir / f"worker-{kind}.log", **env).start())
            for n in range(count):
                for kind in ("fast", "slow"):
                    client = LiveClient(portals[kind])
                    assert client.sign_in(f"{kind}-{n}", PASSWORD).status == 302
                    page = client.get("/accounts/security/password/")
                    new = f"a new bench passphrase {secrets.token_hex(4)}"
                    fields = {
                        "csrfmiddlewaretoken": csrf_token(page.text),
                        "current_password": PASSWORD,
                        "new_password1": new,
                        "new_password2": new,
                    }
                    started = time.perf_counter()
                    response = client.post("/accounts/security/password/", fields)
                    elapsed = time.perf_counter() - started
                    assert response.status == 302, response.status
                    if n:
                        timings[kind].append(elapsed)
            # Both workers share the one queue, so either may send any notice: count them together.
            deadline = time.monotonic() + count * args.slow_seconds + 30
            while sum(len(smtp.mailbox.messages()) for smtp in mail.values()) < 2 * count:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            time.sleep(2)
            arrived = [r.message["Message-ID"] for smtp in mail.values() for r in smtp.mailbox.messages()]
            windows = []
            for received in mail["fast"].mailbox.messages():
                notice_id = int(received.message["Message-ID"].split("-")[-1].split("@")[0])
                sent_at = SecurityNotice.objects.get(pk=notice_id).sent_at.timestamp()
                windows.append((sent_at - received.accepted_at) * 1000)
    finally:
        for worker in workers:
            worker.stop()
        for smtp in mail.values():
            smtp.stop()
        connection.close()
        if dropper:
            admin, name = dropper
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    fast, slow = statistics.median(timings["fast"]), statistics.median(timings["slow"])
    ratio = slow / fast
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"password change POST, {args.changes} per portal, {engine}, one gunicorn worker each")
    for kind, label in (("fast", "mail server answers at once"), ("slow", f"{args.slow_seconds:g} s per message")):
        values = timings[kind]
        median, p90 = statistics.median(values) * 1000, percentile(values, 0.9) * 1000
        print(f"  {label:32} median {median:7.1f} ms   p90 {p90:7.1f} ms")
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"  ratio slow/fast (medians): {ratio:.3f}   target <= {TARGET:.2f}: {verdict}")
    once = "yes" if len(arrived) == len(set(arrived)) == 2 * count else "NO"
    print(f"  notices delivered: {len(set(arrived))} of {2 * count}, {len(arrived)} messages; once each: {once}")
    if windows:
        print(
            f"  duplicate window (server's 250 to the delivery recorded): median {statistics.median(windows):.1f} ms, "
            f"max {max(windows):.1f} ms"
        )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

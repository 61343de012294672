"""Audited events per second through record_event, beside plain inserts of the same rows.

Run (PostgreSQL; a database bench_audit_<pid> is created for the run and dropped after it):

    .venv/bin/python bench/audit_chain.py --database-url postgres://postgres@127.0.0.1:5432/postgres \\
        [--threads 1,2,4,8,16] [--transactions 400]

For each thread count, each thread runs N transactions of one event: first plain inserts of the
same columns (SecurityEvent.objects.create), then record_event, the project's own function, with the
in-process sealer running as it does in an app server (or, with --sealer process, seal_audit --loop
in a process of its own). Prints events/s for both, the ratio against
the 0.8 target at 16 threads, the time a record_event call took (p50, p99), how often a writer's
statement was seen waiting on a lock (pg_stat_activity sampled every 2 ms), the sealing lag (the
oldest unsealed event's age, sampled, and how long after the last commit everything was sealed),
and verify_audit's verdict on the chain afterwards.
"""

import argparse
import collections
import itertools
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = 0.8
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


def admin_connection(url):
    import psycopg

    return psycopg.connect(urlsplit(url)._replace(path="/postgres").geturl(), autocommit=True)


class Sampler(threading.Thread):
    """Looks at the server from outside: writers waiting on locks, and the oldest unsealed event."""

    def __init__(self, url, database):
        super().__init__(daemon=True)
        import psycopg

        self.connection = psycopg.connect(urlsplit(url)._replace(path=f"/{database}").geturl(), autocommit=True)
        self.database = database
        self.stop = threading.Event()
        self.phase = None  # "plain" or "chained" while the writers run
        self.samples = collections.Counter()
        self.writer_waits = collections.Counter()  # (phase, wait_event) of a writer's INSERT seen waiting
        self.sealer_waits = 0
        self.max_lag = 0.0

    def run(self):
        waits = (
            "SELECT query, wait_event FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        lag = "SELECT EXTRACT(EPOCH FROM now() - min(created_at)) FROM security_securityevent WHERE sequence IS NULL"
        n = 0
        while not self.stop.is_set():
            phase = self.phase
            if phase is None:
                time.sleep(0.002)
                continue
            rows = self.connection.execute(waits, [self.database]).fetchall()
            self.samples[phase] += 1
            for event in {event for query, event in rows if query.startswith("INSERT")}:
                self.writer_waits[phase, event] += 1
            self.sealer_waits += any("auditchainhead" in query for query, _ in rows)
            n += 1
            if n % 25 == 0:
                (age,) = self.connection.execute(lag).fetchone()
                self.max_lag = max(self.max_lag, float(age or 0))
            time.sleep(0.002)
        self.connection.close()


def waits_seen(sampler, phase):
    """Samples in which a writer's INSERT waited on a lock, by kind, out of all samples of the phase."""
    kinds = [f"{count} {event}" for (seen, event), count in sorted(sampler.writer_waits.items()) if seen == phase]
    return f"{', '.join(kinds) or 0}/{sampler.samples[phase]}"


def run_threads(threads, transactions, work):
    from django.db import connection

    barrier = threading.Barrier(threads + 1)
    durations = []

    def worker(index):
        work(index, None)  # connect and warm up before the clock starts
        barrier.wait()
        mine = []
        for n in range(transactions):
            started = time.perf_counter()
            work(index, n)
            mine.append(time.perf_counter() - started)
        durations.extend(mine)
        connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, durations


def empty_log():
    from django.db import connection

    with connection.cursor() as cursor:
        # The head first, as a sealer locks them: a sealer at work finishes, then the TRUNCATE goes on.
        cursor.execute("TRUNCATE security_auditchainhead, security_securityevent")


def wait_until_sealed(timeout=60):
    from security.models import SecurityEvent

    started = time.perf_counter()
    while SecurityEvent.objects.filter(sequence__isnull=True).exists():
        if time.perf_counter() - started > timeout:
            return None
        time.sleep(0.001)
    return time.perf_counter() - started


def measure(url, database, thread_counts, transactions, rounds=3, with_sealer=True):
    from django.db import transaction
    from django.test import RequestFactory

    from accounts.models import User
    from security import chain
    from security.audit import Kind, record_event
    from security.models import SecurityEvent

    members = [User.objects.create(username=f"member{n:03d}") for n in range(max(thread_counts))]
    requests = []
    for n in range(max(thread_counts)):
        request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=f"10.0.0.{n + 1}", HTTP_USER_AGENT=USER_AGENT)
        requests.append(request)

    # Plain rows carry a place of their own (negative, unique), so no sealer ever reads them.
    places = itertools.count(-1, -1)

    def plain(index, n):
        with transaction.atomic():
            SecurityEvent.objects.create(
                sequence=next(places),
                kind=Kind.SIGN_IN_FAILED,
                username=members[index].username,
                member=members[index],
                ip_address=f"10.0.0.{index + 1}",
                user_agent=USER_AGENT,
                reason="",
                row_hash="0" * 64,
            )

    def chained(index, n):
        with transaction.atomic():
            record_event(Kind.SIGN_IN_FAILED, request=requests[index], member=members[index])

    print(
        f"{transactions} transactions of one event per thread, {rounds} rounds of each;"
        f" target chained/plain >= {TARGET} at 16 threads."
    )
    print(
        f"{'threads':>7} {'plain/s':>9} {'chained/s':>10} {'ratio':>6}  {'plain p50':>8} {'call p50':>8}"
        f" {'call p99':>8}  {'writer lock waits: chained | plain':>34}  {'max lag':>8} {'drain':>7}  chain"
    )
    results = {}
    for threads in thread_counts:
        total = threads * transactions
        plain_time = chained_time = 0.0
        plain_calls, chained_calls, verdicts, drains = [], [], set(), []
        sampler = Sampler(url, database)
        sampler.start()
        # Plain and chained take turns, so a change in the machine's load falls on both alike.
        for _ in range(rounds):
            empty_log()
            sampler.phase = "plain"
            elapsed, durations = run_threads(threads, transactions, plain)
            sampler.phase = None
            plain_time, plain_calls = plain_time + elapsed, plain_calls + durations
            empty_log()
            sampler.phase = "chained"
            elapsed, durations = run_threads(threads, transactions, chained)
            chained_time, chained_calls = chained_time + elapsed, chained_calls + durations
            sampler.phase = None
            drains.append(wait_until_sealed() if with_sealer else None)
            problem, checked, _ = chain.verify() if with_sealer else ("not sealed", 0, None)
            intact = problem is None and checked == total + threads
            verdicts.add(f"intact, {checked} rows" if intact else f"BROKEN: {problem}")
        sampler.stop.set()
        sampler.join()
        plain_rate, chained_rate = rounds * total / plain_time, rounds * total / chained_time
        ratio = chained_rate / plain_rate
        results[threads] = ratio
        plain_p50 = statistics.median(plain_calls) * 1000
        quantiles = statistics.quantiles(chained_calls, n=100)
        waits = f"{waits_seen(sampler, 'chained')} | {waits_seen(sampler, 'plain')}"
        drained = f"{max(drains) * 1000:.0f} ms" if None not in drains else "never"
        print(
            f"{threads:>7} {plain_rate:>9.0f} {chained_rate:>10.0f} {ratio:>6.2f}  {plain_p50:>6.2f}ms"
            f" {quantiles[49] * 1000:>6.2f}ms {quantiles[98] * 1000:>6.2f}ms  {waits:>34}"
            f"  {sampler.max_lag * 1000:>6.0f}ms {drained:>7}  {'; '.join(sorted(verdicts))}"
        )
        if sampler.sealer_waits:
            print(f"        (the sealer was seen waiting for the chain head in {sampler.sealer_waits} samples)")
    if 16 in results:
        verdict = "PASS" if results[16] >= TARGET else "FAIL"
        print(f"At 16 threads: chained/plain {results[16]:.2f} (target {TARGET}): {verdict}")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--threads", default="1,2,4,8,16")
    parser.add_argument("--transactions", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sealer",
        choices=["thread", "process", "none"],
        default="thread",
        help="thread: the app's own (default); process: seal_audit --loop beside it; none: the request path alone.",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("this benchmark needs PostgreSQL")
    thread_counts = [int(n) for n in args.threads.split(",")]
    database = f"bench_audit_{os.getpid()}"
    with admin_connection(args.database_url) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "settings.dev",
            # Connections kept open as in production (settings/prod.py), the sealer's as the writers'.
            "DATABASE_URL": urlsplit(args.database_url)._replace(path=f"/{database}", query="conn_max_age=60").geturl(),
            "DEBUG": "false",
            "PORTAL_AUDIT_SEAL_IN_PROCESS": "true" if args.sealer == "thread" else "false",
        }
    )
    try:
        import django
        from django.core.management import call_command
        from django.db import connections

        django.setup()
        call_command("migrate", verbosity=0)
        sealer = None
        if args.sealer == "process":
            loop = [sys.executable, str(ROOT / "manage.py"), "seal_audit", "--loop", "--interval", "0.05"]
            sealer = subprocess.Popen(loop, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(
            f"Sealer: {args.sealer}. Load before the run: {os.getloadavg()[0]:.2f}"
            f" (1-minute average, {os.cpu_count()} CPUs)"
        )
        measure(
            args.database_url,
            database,
            thread_counts,
            args.transactions,
            rounds=args.rounds,
            with_sealer=args.sealer != "none",
        )
        if sealer is not None:
            sealer.terminate()
            sealer.wait(10)
        print(f"Load after the run: {os.getloadavg()[0]:.2f}")
        connections.close_all()
    finally:
        with admin_connection(args.database_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()

"""Sign-in throughput against a real gunicorn server, beside the bound the password hash sets.

Run:    .venv/bin/python bench/signin.py [--workers 2] [--threads 4] [--clients 16] [--seconds 10]
            [--database-url URL] [--cache-url URL] [--profile]

With no --database-url it uses a new SQLite file in a temporary directory. With PostgreSQL, name a
scratch database: it is migrated, and members named bench-* are created or reset. For example:

    createdb -h 127.0.0.1 -U postgres portal_bench
    .venv/bin/python bench/signin.py --database-url postgres://postgres@127.0.0.1:5432/portal_bench \\
        --cache-url redis://127.0.0.1:6379/2

The server runs settings.prod as the live tests do (tests/live/server_settings.py); the hash cost
comes from PORTAL_ARGON2_MEMORY_KIB / _TIME_COST / _PARALLELISM in the environment, as in production.
The clients run in this process, on the same machine, so they take some of its CPU.

Prints each figure with its target and PASS/FAIL:
  (a) the hash bound: cores / CPU seconds per password check, measured here with the configured hasher
      before and after the servers run (the mean of the two)
  (b) successful sign-ins per second from --clients concurrent clients (one member each, a reused
      CSRF cookie and token, keep-alive connections, redirects not followed), as a ratio of (a)
      (>= 0.9) and per vCPU (>= 15); beside it, CPU per sign-in of the server (hash and the rest),
      of its PostgreSQL backends (when local), of the clients and of the whole machine
  (c) password checks among 40 simultaneous wrong guesses at one account (<= 5)
  (d) server CPU for a refused attempt on a frozen account / for a real sign-in (< 1/20)
With --profile, also the queries of one sign-in and of one refused attempt, their CPU, and the
functions their time goes to, measured in this process with Django's test client.

The server is started as the live tests start it (tests/live), so gunicorn also reads the project's
gunicorn.conf.py; the options here override its sizing. The default, one worker per core with four
threads each, is how gunicorn.conf.py sizes production: the hash runs outside the GIL, and the
threads overlap the database round trips around it. Each worker computes one hash at a time
(PORTAL_ARGON2_HASHES_AT_ONCE, security.hashers).
"""

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

PASSWORD = "correct horse battery staple"
TICKS = os.sysconf("SC_CLK_TCK")


def configure(args, workdir):
    """Settings for this process: the servers' own, on the chosen database and cache."""
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.live.server_settings",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CACHE_URL=args.cache_url,
        SECURE_SSL_REDIRECT="false",
        # Every request comes from 127.0.0.1: the per-address limit would refuse the bench itself.
        PORTAL_IP_FAILURE_LIMIT="1000000",
    )
    # WhiteNoise warns that there is no collectstatic directory; the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def prepare_members(count):
    """Members bench-0.. (one per client), bench-storm and bench-frozen, each with no failures yet."""
    from axes.models import AccessAttempt
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from accounts.models import User
    from security.lockout import freeze_account
    from security.models import VerificationGate

    call_command("migrate", verbosity=0)
    AccessAttempt.objects.filter(username__startswith="bench-").delete()
    VerificationGate.objects.filter(username__startswith="bench-").delete()
    password = make_password(PASSWORD)  # the configured hasher and cost, so no re-hash at sign-in
    for name in [f"bench-{n}" for n in range(count)] + ["bench-storm", "bench-frozen"]:
        User.objects.update_or_create(username=name, defaults={"email": f"{name}@example.com", "password": password})
    freeze_account(member=User.objects.get(username="bench-frozen"), reason="bench", actor="bench")


def hash_check_cpu_seconds(seconds=2.0):
    """CPU seconds of one password check with the configured hasher, as the servers run it."""
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    check_password(PASSWORD, encoded)
    count, start, wall = 0, time.process_time(), time.perf_counter()
    while count < 5 or time.perf_counter() - wall < seconds:
        check_password(PASSWORD, encoded)
        count += 1
    return (time.process_time() - start) / count


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def processes():
    """(pid, parent pid, command name) of every process this user can see."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    text = stat.read()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            yield int(entry), int(text.rsplit(")", 1)[1].split()[1]), name


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        try:
            total += process_cpu_seconds(pid)
        except OSError:  # it exited meanwhile
            continue
    return total


def server_cpu_seconds(server):
    """CPU used so far by a gunicorn master and its workers."""
    master = server.process.pid
    return cpu_seconds([master, *(pid for pid, parent, _ in processes() if parent == master)])


def database_cpu_seconds(database):
    """CPU used so far by the PostgreSQL backends serving this database (0 for SQLite: in-process)."""
    if database["ENGINE"].endswith("sqlite3"):
        return 0.0
    pids = []
    for pid, _, name in processes():
        if name == "postgres":
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
            except OSError:
                continue
            # A backend's process title: "postgres: 15/main: USER DATABASE HOST(PORT) STATE".
            if f" {database['NAME']} " in title:
                pids.append(pid)
    return cpu_seconds(pids)


def machine_busy_seconds():
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / TICKS


def measure_throughput(server, clients, seconds, database, warmup=2.0):
    """Successful sign-ins per second, and CPU per sign-in of the server, the clients, the machine."""
    from tests.live import LiveClient

    stop = threading.Event()
    measuring = threading.Event()
    counts = [0] * clients
    unexpected = []

    def sign_in_repeatedly(number):
        client = LiveClient(server, user_agent=f"bench {number}")
        token = client.login_form()
        csrf_cookie = dict(client.cookies)  # the token stays valid for this cookie: reuse both
        while not stop.is_set():
            client.cookies = dict(csrf_cookie)  # no session cookie: every request signs in afresh
            response = client.sign_in(f"bench-{number}", PASSWORD, token)
            if response.status != 302 or not any("sessionid" in name for name in client.cookies):
                unexpected.append(response.status)
            elif measuring.is_set():
                counts[number] += 1

    threads = [threading.Thread(target=sign_in_repeatedly, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(warmup)

    def cpu_so_far():
        return (
            server_cpu_seconds(server),
            time.process_time(),
            database_cpu_seconds(database),
            machine_busy_seconds(),
        )

    before, started = cpu_so_far(), time.perf_counter()
    measuring.set()
    time.sleep(seconds)
    measuring.clear()
    after, elapsed = cpu_so_far(), time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    signed_in = sum(counts)
    per_sign_in = [(a - b) / max(signed_in, 1) for a, b in zip(after, before, strict=True)]
    return signed_in / elapsed, per_sign_in, unexpected


def measure_storm(servers):
    from tests.live import sign_in_all_at_once

    before = servers.hashes_computed()
    responses = sign_in_all_at_once(servers.servers, "bench-storm", [f"guess {n}" for n in range(40)])
    statuses = sorted({response.status for response in responses})
    return servers.hashes_computed() - before, statuses


def server_cpu_per_request(server, count, attempt):
    """Server CPU seconds and wall seconds per request, one request at a time."""
    from tests.live import LiveClient

    client = LiveClient(server)
    token = client.login_form()
    csrf_cookie = dict(client.cookies)
    attempt(client, token)  # warm up the connection and the worker
    cpu, wall = server_cpu_seconds(server), time.perf_counter()
    for _ in range(count):
        client.cookies = dict(csrf_cookie)
        attempt(client, token)
    return (server_cpu_seconds(server) - cpu) / count, (time.perf_counter() - wall) / count


def refused_on_frozen(client, token):
    assert client.sign_in("bench-frozen", "a guess", token).status == 403


def real_sign_in(client, token):
    assert client.sign_in("bench-0", PASSWORD, token).status == 302


def profile_sign_in(rounds=20):
    """Queries and hot functions of a sign-in and of a refused attempt, in this process."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    attempts = {
        "sign-in": ({"username": "bench-1", "password": PASSWORD}, 302),
        "refused attempt on a frozen account": ({"username": "bench-frozen", "password": "a guess"}, 403),
    }
    for name, (fields, status) in attempts.items():
        profile_attempt(client, name, fields, status, rounds)


def profile_attempt(client, name, fields, status, rounds):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.cookies.clear()
    client.post("/accounts/login/", fields)
    client.cookies.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/accounts/login/", fields).status_code == status
    print(f"\nQueries in one {name}: {len(queries.captured_queries)}")
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:6.1f} ms  {' '.join(query['sql'].split())[:110]}")
    cpu = time.process_time()
    for _ in range(rounds):
        client.cookies.clear()
        client.post("/accounts/login/", fields)
    cpu = (time.process_time() - cpu) / rounds
    print(f"CPU per {name} in this process (one thread, no profiler): {cpu * 1000:.1f} ms")
    profiler = cProfile.Profile()
    for _ in range(rounds):
        client.cookies.clear()
        profiler.enable()
        client.post("/accounts/login/", fields)
        profiler.disable()
    print(f"\nWhere {rounds} in-process attempts ({name}) spent their time:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(12)
    stats.sort_stats("cumulative").print_stats(r"(portal|accounts|security|axes|django/(template|contrib))", 25)


def verdict(passed):
    return "PASS" if passed else "FAIL"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = os.cpu_count()
    parser.add_argument("--workers", type=int, default=cores, help="gunicorn workers (default: cores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--clients", type=int, default=16, help="concurrent signing-in clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the throughput run")
    parser.add_argument("--database-url", help="a scratch database (default: a new SQLite file)")
    parser.add_argument("--cache-url", default="locmemcache://", help="e.g. redis://127.0.0.1:6379/2")
    parser.add_argument("--profile", action="store_true", help="also profile a sign-in in this process")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="signin-bench-") as workdir:
        configure(args, Path(workdir))
        from django.conf import settings
        from django.db import connection

        from tests.live import AppServers

        prepare_members(args.clients)
        print(
            f"{cores} cores; {connection.vendor}, cache {args.cache_url}; gunicorn gthread: {args.workers} "
            f"workers x {args.threads} threads; {args.clients} clients; Argon2id "
            f"m={settings.PORTAL_ARGON2_MEMORY_KIB} KiB t={settings.PORTAL_ARGON2_TIME_COST} "
            f"p={settings.PORTAL_ARGON2_PARALLELISM}"
        )
        hash_before = hash_check_cpu_seconds()
        connection.close()  # the servers get the database to themselves from here

        figures = {"cores": cores}
        with AppServers(workdir=workdir, database=connection.settings_dict) as servers:
            (server,) = servers.start(
                1, workers=args.workers, threads=args.threads, gunicorn_args=("--keep-alive", "30")
            )
            figures["rate"], figures["cpu"], figures["unexpected"] = measure_throughput(
                server, args.clients, args.seconds, connection.settings_dict
            )
            figures["storm_checks"], figures["storm_statuses"] = measure_storm(servers)
            figures["refused"] = server_cpu_per_request(server, 200, refused_on_frozen)
            figures["sign_in"] = server_cpu_per_request(server, 40, real_sign_in)

        # The machine's speed drifts (other guests on the host): the hash is timed before and after.
        figures["hash_cpu_runs"] = (hash_before, hash_check_cpu_seconds())
        figures["hash_cpu"] = sum(figures["hash_cpu_runs"]) / 2

        # Without persistent connections, each request's PostgreSQL backend exits before it is measured.
        figures["database_unmeasured"] = (
            connection.vendor == "postgresql" and not connection.settings_dict["CONN_MAX_AGE"]
        )
        report(**figures)
        if args.profile:
            profile_sign_in()


def report(
    *,
    cores,
    hash_cpu,
    hash_cpu_runs,
    rate,
    cpu,
    unexpected,
    storm_checks,
    storm_statuses,
    refused,
    sign_in,
    database_unmeasured,
):
    server_cpu, client_cpu, database_cpu, machine_cpu = cpu
    hash_bound = cores / hash_cpu
    ratio = rate / hash_bound
    before, after = (seconds * 1000 for seconds in hash_cpu_runs)
    print(
        f"\n(a) hash bound: {cores} cores / {hash_cpu * 1000:.1f} ms CPU per check = {hash_bound:.1f}/s "
        f"(timed before the servers ran: {before:.1f} ms, after: {after:.1f} ms)"
    )
    print(
        f"(b) sign-ins: {rate:.1f}/s = {ratio:.2f} of the hash bound (target >= 0.9) "
        f"{verdict(ratio >= 0.9)}; {rate / cores:.1f}/s per vCPU (target >= 15) {verdict(rate / cores >= 15)}"
    )
    print(
        f"    CPU per sign-in: server {server_cpu * 1000:.1f} ms (hash {hash_cpu * 1000:.1f}, the rest "
        f"{(server_cpu - hash_cpu) * 1000:.1f}), its PostgreSQL backends {database_cpu * 1000:.1f} ms, clients "
        f"{client_cpu * 1000:.1f} ms, whole machine {machine_cpu * 1000:.1f} ms (with anything else running)"
    )
    print(
        f"    so with the cores to itself the server would reach at most hash / server CPU = "
        f"{hash_cpu / server_cpu:.2f} of the bound, {hash_cpu / (server_cpu + database_cpu):.2f} with the "
        f"database's share"
    )
    if database_unmeasured:
        print(
            "    note: CONN_MAX_AGE is 0 for this database, so every request opens a new connection; "
            "PostgreSQL backends that short-lived are missing from the figures above"
        )
    if unexpected:
        print(f"    {len(unexpected)} responses were not a sign-in: statuses {sorted(set(unexpected))}")
    print(
        f"(c) password checks among 40 simultaneous wrong guesses: {storm_checks} (target <= 5) "
        f"{verdict(storm_checks <= 5)}; statuses {storm_statuses}"
    )
    (refused_cpu, refused_wall), (sign_in_cpu, sign_in_wall) = refused, sign_in
    cost_ratio = refused_cpu / sign_in_cpu
    print(
        f"(d) refused attempt on a frozen account: {refused_cpu * 1000:.2f} ms server CPU "
        f"({refused_wall * 1000:.1f} ms wall) vs sign-in {sign_in_cpu * 1000:.2f} ms "
        f"({sign_in_wall * 1000:.1f} ms wall) = 1/{1 / cost_ratio:.0f} (target < 1/20) "
        f"{verdict(cost_ratio < 1 / 20)}"
    )


if __name__ == "__main__":
    main()

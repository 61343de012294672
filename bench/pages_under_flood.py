"""Member pages under a sign-in flood: p95 and throughput with and without ~5 wrong sign-ins a second.

Run:    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres CACHE_URL=redis://127.0.0.1:6379/10 \\
            .venv/bin/python bench/pages_under_flood.py [--seconds 20] [--rounds 4] [--clients 20] [--rate 5]
            [--compare]

The topology is the documented one (docs/deploy.md): Debian's nginx, with the deployment guide's
`map` and `location /`, in front of two app hosts, each running a page pool and a sign-in pool
sized by gunicorn.conf.py, on PostgreSQL and Redis. DATABASE_URL names the PostgreSQL server (any
database on it): the bench creates its own database, bench_flood_<pid>, and drops it at the end.
CACHE_URL is used as given (pick a Redis database number nobody else uses).

--clients members (seeded with plans, families and claims) load member pages in a loop
(/, /claims/, /id-card/, /profile/), each on its own keep-alive connection through nginx. Without
the flood and with it alternate --rounds times, --seconds in all for each, so a drift of the
shared machine falls on both alike. The flood sends --rate wrong sign-ins a second on a fixed
schedule (an attacker does not wait for answers), each on a new connection from one of
127.0.0.2-127.0.0.33, for several members in turn, each at most four times so none freezes and
every attempt costs a full Argon2id check; its CSRF cookies and tokens are fetched beforehand.

Prints for each setup p50, p95 and throughput of the member pages without and with the flood, the
ratio p95 with / without beside the target (<= 1.3, for the documented setup), what the flood got
back, and the load average. With --compare, also the sign-in pool at normal priority
(PORTAL_SIGN_IN_NICE=0); the old single pool per host is always measured, for the difference.
The load generator runs in this process, on the same machine, so it takes some of its CPU.
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.signin import cpu_seconds, processes  # noqa: E402

PASSWORD = "correct horse battery staple"
PAGES = ["/", "/claims/", "/id-card/", "/profile/"]
# Behind nginx the requests are https (X-Forwarded-Proto), so a form's POST needs its origin.
ORIGIN = {"Origin": "https://127.0.0.1"}
FLOOD_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 34)]
TRIES_PER_FLOODED_MEMBER = 4  # one short of the freeze: every attempt is a full password check
P95_TARGET = 1.3


@dataclass
class Setup:
    name: str
    two_pools: bool
    sign_in_env: dict = field(default_factory=dict)
    has_target: bool = False


def create_database(server_url, name):
    """A new database on the server DATABASE_URL names; returns its URL."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(server_url)
    if not config["ENGINE"].endswith("postgresql"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server: the documented topology runs on it")
    with psycopg.connect(**connect_args(config), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url, name):
    import environ
    import psycopg

    config = environ.Env.db_url_config(server_url)
    with psycopg.connect(**connect_args(config), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def connect_args(config):
    args = {"dbname": config["NAME"] or "postgres", "user": config.get("USER") or None}
    args.update(host=config.get("HOST") or None, port=config.get("PORT") or None)
    if config.get("PASSWORD"):
        args["password"] = config["PASSWORD"]
    return {key: value for key, value in args.items() if value is not None}


def configure(database_url, cache_url):
    """This process's settings: the servers' own, on the bench's database and the given cache."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tests.live.server_settings",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        SECURE_SSL_REDIRECT="false",
    )
    # WhiteNoise warns that there is no collectstatic directory; the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def seed(clients, flooded):
    """Members with plans, families and claims: member00001.. load pages; the rest are flooded."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from portal.seeding import seed_demo

    call_command("migrate", verbosity=0)
    seed_demo(members=clients + flooded)
    names = [f"member{n:05d}" for n in range(1, clients + flooded + 1)]
    # The configured hasher and cost, so no re-hash at sign-in; questions chosen, so pages open.
    User.objects.filter(username__in=names).update(
        password=make_password(PASSWORD), security_questions_set_at=timezone.now()
    )
    return names[:clients], names[clients:]


def forget_failures():
    """Between setups: no member carries the last setup's wrong sign-ins."""
    from axes.models import AccessAttempt
    from django.db import connection

    from security.models import VerificationGate

    AccessAttempt.objects.all().delete()
    VerificationGate.objects.all().delete()
    connection.close()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def machine_busy_seconds():
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


class Meters:
    """CPU seconds of each part of the topology, and of the whole machine (anything else too)."""

    PARTS = ("page pools", "sign-in pools", "PostgreSQL", "nginx", "load generator", "machine")

    def __init__(self, pages, sign_in, nginx, database):
        self.pages, self.sign_in, self.nginx, self.database = pages, sign_in or [], nginx, database

    def pids(self):
        """The processes of each part now: PostgreSQL's backends come and go."""
        children = {}
        backends = []
        for pid, parent, name in processes():
            children.setdefault(parent, []).append(pid)
            if name == "postgres":
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                        title = cmdline.read().decode(errors="replace")
                except OSError:
                    continue
                if f" {self.database['NAME']} " in title:
                    backends.append(pid)

        def family(masters):
            return [pid for master in masters for pid in (master, *children.get(master, []))]

        return {
            "page pools": family(server.process.pid for server in self.pages),
            "sign-in pools": family(server.process.pid for server in self.sign_in),
            "PostgreSQL": backends,
            "nginx": family([self.nginx.process.pid]),
        }

    def read(self):
        """{part: {pid: CPU seconds}}, with this process and the machine as single entries."""
        reading = {part: {pid: cpu_seconds([pid]) for pid in pids} for part, pids in self.pids().items()}
        reading["load generator"] = {"self": time.process_time()}
        reading["machine"] = {"all": machine_busy_seconds()}
        return reading

    @staticmethod
    def used(before, after):
        """CPU seconds of each part between two readings (a process that exited meanwhile is left out)."""
        return {
            part: sum(seconds - before[part].get(pid, 0.0) for pid, seconds in after[part].items())
            for part in Meters.PARTS
        }


class Load:
    """Page clients in a loop, and a paced flood of wrong sign-ins switched on and off."""

    def __init__(self, nginx, page_members, flooded_members, rate, meters):
        self.nginx, self.rate, self.meters = nginx, rate, meters
        self.page_members, self.flooded = page_members, flooded_members
        self.label = None  # "base" or "flood" while measuring; requests are kept under their label
        self.latencies = {"base": [], "flood": []}
        self.measured_seconds = {"base": 0.0, "flood": 0.0}
        self.cpu = {label: dict.fromkeys(Meters.PARTS, 0.0) for label in ("base", "flood")}
        self.unexpected = []
        self.flood_results = []  # (status, seconds)
        self.flood_attempts = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def signed_in_clients(self):
        from tests.live import LiveClient

        clients = []
        for name in self.page_members:
            client = LiveClient(self.nginx, user_agent=f"pages {name}", headers=ORIGIN)
            response = client.sign_in(name, PASSWORD)
            assert response.status == 302, f"{name} did not sign in: {response.status}"
            for path in PAGES:  # warm up each worker's code paths and caches
                assert client.get(path).status == 200, path
            clients.append(client)
        return clients

    def flood_forms(self):
        """One CSRF cookie and token per flood address, fetched before any measurement."""
        from tests.live import LiveClient

        forms = []
        for address in FLOOD_ADDRESSES:
            client = LiveClient(self.nginx, source_address=address, user_agent=f"flood {address}", headers=ORIGIN)
            token = client.login_form()
            forms.append((address, dict(client.cookies), token))
            client.close()
        return forms

    def load_pages(self, client):
        n = 0
        while not self.stop.is_set():
            path = PAGES[n % len(PAGES)]
            n += 1
            label, started = self.label, time.perf_counter()
            try:
                status = client.get(path).status
            except OSError as error:
                status = repr(error)
            elapsed = time.perf_counter() - started
            if status != 200:
                self.unexpected.append(status)
            elif label is not None and self.label == label:
                with self.lock:
                    self.latencies[label].append(elapsed)

    def attempt(self, number, form):
        from tests.live import LiveClient

        address, cookies, token = form
        member = self.flooded[(number // TRIES_PER_FLOODED_MEMBER) % len(self.flooded)]
        client = LiveClient(self.nginx, source_address=address, cookies=cookies, headers=ORIGIN, user_agent="flood")
        started = time.perf_counter()
        try:
            status = client.sign_in(member, f"wrong guess {number}", token).status
        except OSError as error:
            status = repr(error)
        finally:
            client.close()
        self.flood_results.append((status, time.perf_counter() - started))

    def measure(self, label, seconds, forms=None):
        """One slice of `seconds` under `label`, with the flood on when forms are given."""
        pool = ThreadPoolExecutor(max_workers=64) if forms else None
        cpu, started = self.meters.read(), time.perf_counter()
        self.label = label
        if pool:
            sent = 0
            while (now := time.perf_counter() - started) < seconds:
                if now >= sent / self.rate:
                    number = self.flood_attempts
                    self.flood_attempts += 1
                    pool.submit(self.attempt, number, forms[number % len(forms)])
                    sent += 1
                time.sleep(min(0.005, max(0.0, sent / self.rate - now)))
        else:
            time.sleep(seconds)
        self.label = None
        self.measured_seconds[label] += time.perf_counter() - started
        for part, seconds in Meters.used(cpu, self.meters.read()).items():
            self.cpu[label][part] += seconds
        if pool:
            pool.shutdown(wait=True)  # the flood's last answers arrive before the next slice starts
            time.sleep(0.3)

    def run(self, seconds, rounds):
        clients = self.signed_in_clients()
        forms = self.flood_forms()
        threads = [threading.Thread(target=self.load_pages, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        time.sleep(2)  # every client in its loop
        for _ in range(rounds):
            self.measure("base", seconds / rounds)
            self.measure("flood", seconds / rounds, forms)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=60)


def run_setup(setup, *, workdir, database, page_members, flooded, args):
    from tests.live import AppServers, Nginx

    forget_failures()
    behind_nginx = {"PORTAL_BEHIND_TLS_PROXY": "true", "PORTAL_TRUSTED_PROXIES": "127.0.0.1"}
    setup_dir = Path(workdir) / setup.name.replace(" ", "-").replace(",", "")
    setup_dir.mkdir()
    with AppServers(workdir=setup_dir, database=database) as servers:
        # workers and threads None: gunicorn.conf.py sizes each pool as in production.
        # A niced pool boots slowly on a busy machine.
        sizing = {"workers": None, "threads": None, "start_timeout": 180}
        pages = servers.start(2, gunicorn_args=("--keep-alive", "30"), **sizing, **behind_nginx)
        sign_in = None
        if setup.two_pools:
            sign_in = servers.start(2, PORTAL_POOL="sign-in", **sizing, **behind_nginx, **setup.sign_in_env)
        with Nginx(pages, sign_in_servers=sign_in, workdir=setup_dir) as nginx:
            load = Load(nginx, page_members, flooded, args.rate, Meters(pages, sign_in, nginx, database))
            load.run(args.seconds, args.rounds)
    return load


def summary(load, label):
    values = load.latencies[label]
    seconds = load.measured_seconds[label]
    return {
        "p50": statistics.median(values),
        "p95": percentile(values, 0.95),
        "rate": len(values) / seconds,
        "busy": load.cpu[label]["machine"] / seconds / os.cpu_count(),
        "cores": {part: cpu / seconds for part, cpu in load.cpu[label].items()},
    }


def report(setup, load, rate):
    base, flood = summary(load, "base"), summary(load, "flood")
    ratio = flood["p95"] / base["p95"]
    print(f"\n{setup.name}:")
    for label, figures in (("without the flood", base), ("with the flood   ", flood)):
        print(
            f"  pages {label}: p50 {figures['p50'] * 1000:6.1f} ms, p95 {figures['p95'] * 1000:6.1f} ms, "
            f"{figures['rate']:6.1f} pages/s (machine {figures['busy']:.0%} busy)"
        )
    for label, figures in (("without", base), ("with   ", flood)):
        print(
            f"    cores used {label}: "
            + ", ".join(f"{part} {cores:.2f}" for part, cores in figures["cores"].items() if part != "machine")
            + f"; whole machine {figures['cores']['machine']:.2f}"
        )
    verdict = f" (target <= {P95_TARGET}) {'PASS' if ratio <= P95_TARGET else 'FAIL'}" if setup.has_target else ""
    print(f"  p95 with / without the flood: {ratio:.2f}{verdict}; throughput: {flood['rate'] / base['rate']:.2f}")
    statuses = {}
    for status, _ in load.flood_results:
        statuses[status] = statuses.get(status, 0) + 1
    flood_seconds = [seconds for _, seconds in load.flood_results]
    sent = len(load.flood_results) / load.measured_seconds["flood"]
    print(
        f"  the flood: {len(load.flood_results)} wrong sign-ins at {sent:.1f}/s (asked {rate}/s), answered "
        + ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items(), key=str))
        + f"; p50 {statistics.median(flood_seconds) * 1000:.0f} ms, p95 {percentile(flood_seconds, 0.95) * 1000:.0f} ms"
    )
    if load.unexpected:
        print(f"  {len(load.unexpected)} page loads did not answer 200: {sorted(set(map(str, load.unexpected)))}")
    return ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds with, and without, the flood")
    parser.add_argument("--rounds", type=int, default=4, help="alternations of without and with the flood")
    parser.add_argument("--clients", type=int, default=20, help="members loading pages")
    parser.add_argument("--rate", type=float, default=5.0, help="wrong sign-ins a second in the flood")
    parser.add_argument("--compare", action="store_true", help="also the sign-in pool at normal priority")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        raise SystemExit("DATABASE_URL (a PostgreSQL server) and CACHE_URL (Redis) are needed")
    cache_url = os.environ.get("CACHE_URL", "locmemcache://")
    if not cache_url.startswith("redis"):
        print("note: CACHE_URL is not Redis; each app server counts per-address failures alone")

    name = f"bench_flood_{os.getpid()}"
    database_url = create_database(server_url, name)
    try:
        configure(database_url, cache_url)
        from django.conf import settings
        from django.db import connection

        attempts = int(args.rate * args.seconds) + 2 * args.rounds
        page_members, flooded = seed(args.clients, attempts // TRIES_PER_FLOODED_MEMBER + 1)
        database = dict(connection.settings_dict)
        connection.close()
        load_before = os.getloadavg()
        print(
            f"{os.cpu_count()} cores, load average {load_before[0]:.2f}; PostgreSQL {name}, cache {cache_url}; "
            f"Argon2id m={settings.PORTAL_ARGON2_MEMORY_KIB} KiB t={settings.PORTAL_ARGON2_TIME_COST}; "
            f"{args.clients} page clients; flood {args.rate}/s; {args.seconds:.0f} s each way in {args.rounds} rounds"
        )
        setups = [Setup("two pools per host, sign-in pool niced (documented)", True, has_target=True)]
        if args.compare:
            not_niced = {"PORTAL_SIGN_IN_NICE": 0}
            setups.append(Setup("two pools per host, sign-in pool at normal priority", True, not_niced))
        setups.append(Setup("one pool per host (before)", False))
        with tempfile.TemporaryDirectory(prefix="flood-bench-") as workdir:
            for setup in setups:
                load = run_setup(
                    setup, workdir=workdir, database=database, page_members=page_members, flooded=flooded, args=args
                )
                report(setup, load, args.rate)
        load_after = os.getloadavg()
        print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(server_url, name)


if __name__ == "__main__":
    main()

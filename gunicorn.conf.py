"""gunicorn settings for the portal: `gunicorn portal.wsgi:application` reads this file.

Sized for password hashing: each sign-in spends most of its time in one Argon2id computation on
one core, holding PORTAL_ARGON2_MEMORY_KIB of memory. One worker process per core keeps every core
hashing; a few threads per worker overlap the database and network waits around the hash, and each
worker computes PORTAL_ARGON2_HASHES_AT_ONCE hashes at a time (security.hashers; default 1).

With PORTAL_CERTFILE and PORTAL_KEYFILE, gunicorn speaks TLS itself (TLS 1.2 and 1.3 only, the
cipher suites of Mozilla's "intermediate" profile). Behind a TLS proxy, leave them unset and set
PORTAL_BEHIND_TLS_PROXY=true and PORTAL_TRUSTED_PROXIES to the proxies' addresses (docs/deploy.md).
"""

import ipaddress
import os
import ssl

import environ

# Read exactly as settings/base.py reads them, so gunicorn and the portal trust the same proxies.
env = environ.Env()
IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")

# The AEAD suites of Mozilla's intermediate profile for TLS 1.2 (all 128-bit or stronger);
# TLS 1.3's suites are all AEAD already.
MOZILLA_INTERMEDIATE_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-CHACHA20-POLY1305",
    ]
)


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _memory_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2 * 1024**3


# Each app host runs this file twice: the "pages" pool serves every request but the password checks,
# which nginx sends to the "sign-in" pool (docs/deploy.md), so no page ever waits behind a hash.
POOLS = {
    "pages": {"bind": "127.0.0.1:8000", "threads": 4},
    # Threads beyond the hash slot and PORTAL_HASH_QUEUE_LIMIT's waiting checks answer the busy page at once.
    "sign-in": {"bind": "127.0.0.1:8001", "threads": 6},
}
POOL = os.environ.get("PORTAL_POOL", "pages")
if POOL not in POOLS:
    raise ValueError(f"PORTAL_POOL: {POOL!r} is not one of {', '.join(POOLS)}")
# The sign-in pool's workers yield the cores to the page pool whenever both want them.
SIGN_IN_NICE = int(os.environ.get("PORTAL_SIGN_IN_NICE", 10))


def _sizing():
    workers = int(os.environ.get("WEB_CONCURRENCY", _cores()))
    threads = int(os.environ.get("PORTAL_THREADS", POOLS[POOL]["threads"]))
    # Never let simultaneous hashes of both pools take more than a quarter of memory, with about
    # 150 MiB for each worker's own Python and Django.
    hash_bytes = int(os.environ.get("PORTAL_ARGON2_MEMORY_KIB", 19456)) * 1024
    hashes_at_once = min(threads, int(os.environ.get("PORTAL_ARGON2_HASHES_AT_ONCE", 1)))
    budget = _memory_bytes() // 4 // len(POOLS)
    while workers > 1 and workers * (hashes_at_once * hash_bytes + 150 * 1024**2) > budget:
        workers -= 1
    return workers, threads


def _trusted_proxies():
    """PORTAL_TRUSTED_PROXIES for gunicorn, each IPv4 entry also IPv4-mapped (a dual-stack socket's IPv4 peers)."""
    trusted = []
    for entry in (entry.strip() for entry in env.list("PORTAL_TRUSTED_PROXIES", default=[])):
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry)
        except ValueError:
            # Refuse to start rather than pass on "*" (gunicorn's "trust everyone") or a typo.
            raise ValueError(f"PORTAL_TRUSTED_PROXIES: {entry!r} is not an address or network") from None
        trusted.append(str(network))
        if network.version == 4:
            trusted.append(f"::ffff:{network.network_address}/{96 + network.prefixlen}")
        elif network.subnet_of(IPV4_MAPPED):
            ipv4 = ipaddress.ip_network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96))
            trusted.append(str(ipv4))
    return trusted


bind = os.environ.get("PORTAL_BIND", POOLS[POOL]["bind"])
workers, threads = _sizing()


def post_fork(server, worker):
    if POOL == "sign-in":
        # Before the worker starts its threads, which inherit the priority (Linux's is per thread).
        os.setpriority(os.PRIO_PROCESS, 0, SIGN_IN_NICE)
        if os.getsid(0) == server.pid:
            # A pool in a session of its own (systemd, setsid) is its own autogroup, weighed by the group's nice.
            try:
                with open("/proc/self/autogroup", "w") as autogroup:
                    autogroup.write(str(SIGN_IN_NICE))
            except OSError:  # no autogroups here (not Linux, or the kernel's are off)
                pass


worker_class = "gthread"
# Long enough for a slow sign-in under load, short enough to free a stuck worker.
timeout = 30
# On kill -HUP (a release) or SIGTERM, a worker stops accepting and finishes what it has; new
# connections wait in the listen queue for the other or the new workers, so none is lost.
graceful_timeout = 20
keepalive = 5
# Connections a worker takes on: its threads' worth being served and as many waiting or kept alive.
# gthread's default (1000) lets one worker hoard queued requests that all die with it (kill -9, OOM);
# beyond this they stay in the listen queue, where any live worker takes them.
worker_connections = threads * 2
# Headers and request lines: generous for real browsers, small enough to refuse abuse early.
limit_request_line = 8190
limit_request_fields = 100
accesslog = os.environ.get("PORTAL_ACCESS_LOG", "-")
errorlog = "-"
# gunicorn never takes REMOTE_ADDR from a header (the portal reads X-Forwarded-For itself, from trusted
# proxies only: security/addresses.py). It does set https from X-Forwarded-Proto, so only for our proxies:
forwarded_allow_ips = ",".join(_trusted_proxies()) if env.bool("PORTAL_BEHIND_TLS_PROXY", default=False) else ""
# Only the header nginx sets (replacing the client's); the others would pass through nginx from the client.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# No header may set SCRIPT_NAME or PATH_INFO: the portal is served at / and routes by the request line.
forwarder_headers = ""
# gunicorn's runtime control socket sits at one path per user, shared by every instance on the host;
# several app servers (and test servers) on one machine would answer for each other. Not used here.
control_socket_disable = True
raw_env = [f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'settings.prod')}"]

certfile = os.environ.get("PORTAL_CERTFILE") or None
keyfile = os.environ.get("PORTAL_KEYFILE") or None


def ssl_context(config, default_ssl_context_factory):
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(MOZILLA_INTERMEDIATE_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION
    # Python 3.11 can name one key-exchange group only. P-256 is in Mozilla's set and every
    # browser speaks it; in production nginx terminates TLS and also offers X25519 (docs/deploy.md).
    context.set_ecdh_curve("prime256v1")
    return context

"""Start gunicorn app servers on free loopback ports, wait until they answer, always stop them."""

import contextlib
import ctypes
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from .counting_hasher import HASH_LOG_ENV, hashes_noted

BASE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30
STOP_TIMEOUT = 10


def database_url(settings_dict):
    """A DATABASE_URL naming the same database as this connection's settings, or None (in memory)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("postgresql"):
        user = quote(settings_dict.get("USER") or "")
        password = quote(settings_dict.get("PASSWORD") or "")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or ""
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'])}"
    if engine.endswith("sqlite3"):
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    raise NotImplementedError(f"no DATABASE_URL spelling for {engine}")


def stop_with_parent():
    """In the server process: if the test run itself is killed, its servers get SIGTERM too (Linux)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class AppServer:
    host: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def log_tail(self, lines=40):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def answers(self):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            connection.request("GET", "/accounts/login/")
            # 301: a server with SECURE_SSL_REDIRECT sends a plain-HTTP request on to https.
            return connection.getresponse().status in (200, 301)
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's graceful shutdown

    def wait_stopped(self):
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # The master did not finish in time: kill it and its workers (its own process group).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)


class AppServers:
    """Starts app servers against this test run's database; stops every one of them on exit."""

    def __init__(self, *, workdir, database=None):
        from django.db import connection

        self.workdir = Path(workdir)
        settings_dict = database or connection.settings_dict
        self.database_url = database_url(settings_dict)
        if self.database_url is None:
            pytest.skip(
                "the SQLite test database is in memory, which other processes cannot open: "
                "run with DATABASE_URL=postgres://... or give the test database a file name "
                '(DATABASES["default"]["TEST"]["NAME"] in settings/test.py)'
            )
        self.hash_log = self.workdir / "hashes.log"
        # One key for all, as in production: sessions and tokens signed by one server hold on another.
        self.secret_key = secrets.token_urlsafe(40)
        self.servers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def environment(self, extra):
        from django.conf import settings as django_settings

        env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST")}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.live.server_settings",
            SECRET_KEY=self.secret_key,
            # The audit key of this test run, so what the servers chain or pseudonymise the tests can check.
            PORTAL_AUDIT_CHAIN_KEY=django_settings.PORTAL_AUDIT_CHAIN_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.database_url,
            CACHE_URL=os.environ.get("CACHE_URL", "locmemcache://"),
            SECURE_SSL_REDIRECT="false",
            # The per-address limit would refuse a test's storm from 127.0.0.1; other tests cover it.
            PORTAL_IP_FAILURE_LIMIT="100000",
            PYTHONDONTWRITEBYTECODE="1",
            **{HASH_LOG_ENV: str(self.hash_log)},
        )
        env.update({name: str(value) for name, value in extra.items()})
        return env

    def start(self, count=1, *, workers=1, threads=4, gunicorn_args=(), start_timeout=START_TIMEOUT, **env):
        """Start `count` servers (each a gunicorn master with its workers) and wait until all answer.

        With workers or threads None, gunicorn.conf.py sizes them as in production.
        """
        started = []
        sizing = [
            *(("--workers", str(workers)) if workers is not None else ()),
            *(("--threads", str(threads)) if threads is not None else ()),
        ]
        for _ in range(count):
            port = free_port()
            log_path = self.workdir / f"gunicorn-{port}.log"
            command = [
                *(sys.executable, "-m", "gunicorn", "portal.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", *sizing),
                *("--timeout", "30", "--graceful-timeout", "3", "--chdir", str(BASE_DIR)),
                # Otherwise every master on the machine takes over the one ~/.gunicorn/gunicorn.ctl.
                "--no-control-socket",
                *gunicorn_args,
            ]
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    command,
                    cwd=BASE_DIR,
                    env=self.environment(env),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=stop_with_parent,
                )
            server = AppServer("127.0.0.1", port, process, log_path)
            self.servers.append(server)
            started.append(server)
        deadline = time.monotonic() + start_timeout
        for server in started:
            while not server.answers():
                if server.process.poll() is not None:
                    raise RuntimeError(f"app server on {server.port} exited:\n{server.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"app server on {server.port} did not answer:\n{server.log_tail()}")
                time.sleep(0.1)
        return started

    def hashes_computed(self):
        """Password hashes the servers have computed so far (verifications and new hashes)."""
        return hashes_noted(self.hash_log)

    def stop(self):
        for server in self.servers:
            server.stop()
        for server in self.servers:
            server.wait_stopped()

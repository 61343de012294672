"""A PostgreSQL cluster of the test's own (Debian's pg_createcluster), for tests that stop the database.

The shared server the rest of the suite uses is never stopped: a fault test creates a cluster on
a free loopback port, migrates a database in it, stops and starts it as it likes, and always
drops it on exit. Durability is off (fsync, full-page writes): the cluster lives for one test.

    with PostgresCluster() as cluster:
        url = cluster.create_database("portal")
        ...
        cluster.stop()
        cluster.start()
"""

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .servers import BASE_DIR, free_port

COMMAND_TIMEOUT = 60
PREFIX = "portal_test_"


def newest_version():
    """The newest PostgreSQL Debian has installed (the version directories under /usr/lib/postgresql)."""
    installed = [path.name for path in Path("/usr/lib/postgresql").glob("*") if (path / "bin" / "postgres").exists()]
    return max(installed, key=int, default=None)


class PostgresCluster:
    def __init__(self):
        if shutil.which("pg_createcluster") is None or newest_version() is None:
            pytest.skip("pg_createcluster is not installed (Debian packages postgresql-common and postgresql)")
        self.version = newest_version()
        self.port = free_port()
        # The test run's pid in the name: a run killed before its finalizer leaves a cluster the next run drops.
        self.name = f"{PREFIX}{os.getpid()}_{self.port}"
        self.created = False

    def run(self, *command, timeout=COMMAND_TIMEOUT):
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def __enter__(self):
        self.drop_abandoned()
        self.created = True
        try:
            self.run(
                *("pg_createcluster", self.version, self.name, "--port", str(self.port), "--start-conf", "manual"),
                *("-o", "fsync=off", "-o", "full_page_writes=off"),
                *("-o", "synchronous_commit=off", "--start", "--", "--auth=trust"),
            )
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info):
        if self.created:
            self.created = False
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self.run("pg_dropcluster", "--stop", self.version, self.name)

    def drop_abandoned(self):
        """Drop the test clusters of runs that are no longer alive."""
        listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=60)
        for line in listing.stdout.splitlines():
            version, name = line.split()[:2]
            owner = name.removeprefix(PREFIX).split("_")[0]
            if name.startswith(PREFIX) and owner.isdigit() and not Path(f"/proc/{owner}").exists():
                with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                    self.run("pg_dropcluster", "--stop", version, name)

    def stop(self):
        """Stop the server at once: connections are cut, new ones refused."""
        self.run("pg_ctlcluster", self.version, self.name, "stop", "--mode", "fast")

    def start(self):
        self.run("pg_ctlcluster", self.version, self.name, "start")

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, database):
        """Create `database` and run the portal's migrations on it; its DATABASE_URL."""
        self.run("createdb", "--host", "127.0.0.1", "--port", str(self.port), "--username", "postgres", database)
        self.manage(database, "migrate", "--noinput", "--verbosity", "0", timeout=120)
        return self.url(database)

    def manage(self, database, *arguments, timeout=COMMAND_TIMEOUT):
        """Run a manage.py command against `database` (the test settings); its output."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST")}
        env.update(DATABASE_URL=self.url(database), DJANGO_SETTINGS_MODULE="settings.test")
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def query(self, database, sql, params=()):
        """Rows of one statement, on a connection of its own (the test's own Django connection is elsewhere)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database) as conn:
            return conn.execute(sql, params).fetchall()

    def create_members(self, database, usernames, password):
        """Members who have chosen their security questions, with a real Argon2id hash of `password`."""
        code = (
            "from django.contrib.auth.hashers import make_password\n"
            "from django.utils import timezone\n"
            "from accounts.models import User\n"
            f"password = make_password({password!r}, hasher='argon2')\n"
            f"for name in {list(usernames)!r}:\n"
            "    User.objects.create(username=name, email=f'{name}@example.com', first_name=name.title(),\n"
            "                        password=password, security_questions_set_at=timezone.now())\n"
        )
        self.manage(database, "shell", "--command", code)

"""The task worker (`manage.py db_worker`, as scripts/run-portal and production run it) as a real
process beside the live app servers: same settings, same database, killed or stopped at will."""

import contextlib
import os
import signal
import subprocess
import sys

from .servers import BASE_DIR, STOP_TIMEOUT, stop_with_parent


class TaskWorker:
    def __init__(self, app_servers, *, log_path, **env):
        self.app_servers = app_servers
        self.log_path = log_path
        self.env = env
        self.process = None

    def start(self):
        command = [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.app_servers.environment(self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=stop_with_parent,
            )
        return self

    def kill(self):
        """SIGKILL: the worker dies wherever it is, as in a crash or an out-of-memory kill."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines=40):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

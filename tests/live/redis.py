"""A Redis of the test's own (never the shared one), to stop, hang, fill up and restart at will.

    with TestRedis(tmp_path) as redis:
        servers = app_servers.start(1, CACHE_URL=redis.url)
        redis.stop()     # the port is closed: connection refused
        redis.pause()    # SIGSTOP: the port accepts connections, nothing answers
        redis.resume()
        redis.refuse_writes()  # maxmemory reached: every write is refused with OOM
        redis.start()    # back on the same port, empty

It runs in the foreground of its own process (daemonize no), with its pidfile, data directory and
log under the test's tmp_path, and is always killed on exit, paused or not.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 10


def _killed_with_parent():
    """In the redis-server process: SIGKILL if the test run dies, which a paused server obeys too."""
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TestRedis:
    __test__ = False  # not a test class, whatever pytest's name matching thinks

    def __init__(self, workdir, *, port=None, db=0):
        self.workdir = Path(workdir) / "redis"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()
        self.db = db
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        command = [
            *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "no"),
            *("--pidfile", str(self.workdir / "redis.pid"), "--dir", str(self.workdir)),
            *("--logfile", str(self.workdir / "redis.log"), "--save", "", "--appendonly", "no"),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=_killed_with_parent
        )
        deadline = time.monotonic() + START_TIMEOUT
        while self.command("PING") != "+PONG":
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server on {self.port} did not start:\n{log}")
            time.sleep(0.05)
        return self

    def stop(self):
        """Kill it (a paused one too) and wait until the port is closed."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)  # SIGKILL works on a stopped process as well
        self.process.wait(timeout=START_TIMEOUT)
        self.process = None

    def pause(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def refuse_writes(self):
        """As when maxmemory is reached with the noeviction policy: writes get "OOM command not allowed"."""
        assert self.command("CONFIG", "SET", "maxmemory-policy", "noeviction") == "+OK"
        assert self.command("CONFIG", "SET", "maxmemory", "1") == "+OK"

    def command(self, *words, timeout=1.0):
        """Send one command in Redis' protocol; the answer's first line ("+OK", ":1"), or None if none came."""
        request = f"*{len(words)}\r\n" + "".join(f"${len(w.encode())}\r\n{w}\r\n" for w in words)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
                connection.sendall(request.encode())
                return connection.recv(65536).decode(errors="replace").split("\r\n", 1)[0]
        except OSError:
            return None

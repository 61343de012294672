"""Debian's nginx in front of the live app servers, proxying as docs/deploy.md says.

The `location /` block, with its proxy headers, and the `map` that chooses each request's pool are
read from the nginx configuration in docs/deploy.md and used verbatim, so the test proves what the
deployment guide tells operators to write. Around it, a configuration of the test's own: plain
HTTP on a free loopback port (the documented TLS settings need a certificate and add nothing to how
addresses are passed), its pid file, logs and temporary files under the test's directory, and
nginx in the foreground as the test's child process, stopped on exit.

    with Nginx(app_servers, workdir=tmp_path) as nginx:
        LiveClient(nginx, source_address="127.0.0.2").get("/")

With `sign_in_servers`, the map's other pool (the password-checking POSTs) goes to them; without,
every pool is `app_servers`.
"""

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .servers import BASE_DIR, START_TIMEOUT, STOP_TIMEOUT, free_port, stop_with_parent

DEPLOY_GUIDE = BASE_DIR / "docs" / "deploy.md"
NGINX_BLOCK = re.compile(r"```nginx\n(.*?)```", re.DOTALL)
PROXY_PASS = re.compile(r"proxy_pass\s+http://(\$?[\w.-]+);")
MAP_BLOCK = re.compile(r'^map\s+(?:"[^"]*"|\S+)\s+\$(\w+)\s*\{\n(.*?)^\}', re.DOTALL | re.MULTILINE)
MAP_VALUE = re.compile(r"\s(\w+);\s*$", re.MULTILINE)


def nginx_binary():
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def documented_configuration(guide=DEPLOY_GUIDE):
    match = NGINX_BLOCK.search(Path(guide).read_text())
    assert match, f"no ```nginx block in {guide}"
    return match.group(1)


def documented_map_block(variable, guide=DEPLOY_GUIDE):
    """The `map ... $variable { ... }` block of the deployment guide, verbatim, and its
    (default upstream, the other upstreams)."""
    for match in MAP_BLOCK.finditer(documented_configuration(guide)):
        if match.group(1) == variable:
            default = re.search(r"^\s*default\s+(\w+);", match.group(2), re.MULTILINE)
            assert default, f"the map of ${variable} in {guide} has no default"
            others = sorted(set(MAP_VALUE.findall(match.group(2))) - {default.group(1)})
            return match.group(0), default.group(1), others
    raise AssertionError(f"no `map ... ${variable}` in the nginx configuration of {guide}")


def documented_location_block(guide=DEPLOY_GUIDE):
    """The `location / { ... }` block of the nginx configuration in the deployment guide, verbatim."""
    config = documented_configuration(guide)
    start = config.find("location / {")
    assert start != -1, f"no `location / {{` in the nginx configuration of {guide}"
    depth = 0
    for end in range(start, len(config)):
        depth += {"{": 1, "}": -1}.get(config[end], 0)
        if depth == 0 and config[end] == "}":
            return config[start : end + 1]
    raise AssertionError(f"the `location /` block in {guide} is not closed")


class Nginx:
    """nginx on 127.0.0.1:<free port>, proxying to `app_servers` with the documented location block."""

    host = "127.0.0.1"

    def __init__(self, app_servers, *, workdir, sign_in_servers=None):
        self.binary = nginx_binary()
        if self.binary is None:
            pytest.skip("nginx is not installed (Debian package nginx; scripts/run-tests installs it as root)")
        self.app_servers = list(app_servers)
        self.sign_in_servers = list(sign_in_servers or app_servers)
        self.prefix = Path(workdir) / "nginx"
        self.port = free_port()
        self.process = None

    @property
    def error_log(self):
        return self.prefix / "error.log"

    @property
    def access_log(self):
        return self.prefix / "access.log"

    def configuration(self):
        location = documented_location_block()
        upstream = PROXY_PASS.search(location)
        assert upstream, "the documented location block has no `proxy_pass http://<upstream>;`"
        pools, pool_map = {upstream.group(1): self.app_servers}, ""
        if upstream.group(1).startswith("$"):
            pool_map, default, others = documented_map_block(upstream.group(1)[1:])
            pools = {default: self.app_servers, **dict.fromkeys(others, self.sign_in_servers)}
        upstreams = "\n".join(
            f"    upstream {name} {{\n"
            + "".join(f"        server {server.host}:{server.port};\n" for server in servers)
            + "    }"
            for name, servers in pools.items()
        )
        # As root, nginx would run its workers as "nobody", who cannot reach the test's directory.
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.geteuid() == 0 else ""
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp_paths = "\n".join(f"    {kind}_temp_path {self.prefix / kind};" for kind in kinds)
        return f"""{user}daemon off;
worker_processes 1;
pid {self.prefix / "nginx.pid"};
error_log {self.error_log} notice;

events {{
    worker_connections 512;
}}

http {{
    access_log {self.access_log};
{temp_paths}

{pool_map}
{upstreams}

    server {{
        listen {self.host}:{self.port};
        server_name localhost;
        client_max_body_size 2m;

        {location}
    }}
}}
"""

    def __enter__(self):
        self.prefix.mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(self.configuration())
        command = [self.binary, "-p", f"{self.prefix}/", "-c", str(conf), "-e", str(self.error_log)]
        with open(self.prefix / "stdout.log", "wb") as output:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=stop_with_parent,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.accepts():
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"nginx did not listen on {self.port}:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def accepts(self):
        with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1):
            return True
        return False

    def log_tail(self, lines=40):
        logs = [path for path in (self.prefix / "stdout.log", self.error_log) if path.exists()]
        texts = [path.read_text(errors="replace") for path in logs]
        return "\n".join("\n".join(texts).splitlines()[-lines:])

    def __exit__(self, *exc_info):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: the workers finish their requests
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

"""A small HTTP client for the live servers: keeps cookies, one keep-alive connection, no redirects."""

import http.client
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html):
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str


class LiveClient:
    """What a script (or an attacker's) HTTP client does: cookies in, cookies out, nothing more."""

    def __init__(self, server, *, timeout=30, user_agent="live-test", cookies=None, source_address=None, headers=None):
        self.host, self.port = server.host, server.port
        self.timeout = timeout
        self.user_agent = user_agent
        self.cookies = dict(cookies or {})
        # The local address to connect from, e.g. "127.0.0.2": another client, as the server sees it.
        self.source_address = source_address
        # Sent with every request (an Origin, or what a client claims in X-Forwarded-For); change at will.
        self.headers = dict(headers or {})
        self._connection = None

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        body = urlencode(fields)
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def request(self, method, path, body=None, headers=None):
        headers = {"User-Agent": self.user_agent, **self.headers, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self._connection is None:
            source = (self.source_address, 0) if self.source_address else None
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout, source_address=source
            )
        try:
            self._connection.request(method, path, body, headers)
            raw = self._connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read().decode())
        except Exception:
            self.close()
            raise
        if raw.will_close:
            self.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def login_form(self):
        """GET the sign-in page: the CSRF cookie arrives, and the page's token is returned."""
        page = self.get("/accounts/login/")
        assert page.status == 200, page.status
        return csrf_token(page.text)

    def sign_in(self, username, password, token=None):
        token = token or self.login_form()
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        return self.post("/accounts/login/", fields)


def sign_in_all_at_once(servers, username, passwords, *, timeout=30):
    """One client per password, spread over the servers in turn; every POST is released together.

    Each client (its own User-Agent, as from a botnet) first fetches the sign-in page for its CSRF
    cookie and token, then waits at a barrier, so the guesses arrive as close together as threads allow.
    """
    barrier = threading.Barrier(len(passwords))

    def attempt(number, password):
        client = LiveClient(servers[number % len(servers)], timeout=timeout, user_agent=f"guesser {number}")
        try:
            token = client.login_form()
        except BaseException:
            barrier.abort()  # the others stop waiting for a guess that will never come
            raise
        client.close()  # the POST opens its own connection: an idle keep-alive may time out at the barrier
        barrier.wait(timeout=timeout)
        try:
            return client.sign_in(username, password, token)
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(attempt, range(len(passwords)), passwords))

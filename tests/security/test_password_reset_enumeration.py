"""An attacker compares the reset tool's answers for a real and an unknown username."""

import re
import time

from django.test import Client

from tests.helpers import page_without_tokens

from .reset_steps import answer, start, state_of

STATE_INPUT = re.compile(r'name="state" value="[^"]+"')
# When a locked reset unlocks: the moment of the lock, not the name, sets it.
UNLOCK_TIME = re.compile(r"<time datetime=[^>]+>[^<]+</time>")


def observed(response, username):
    page = STATE_INPUT.sub('name="state" value="…"', page_without_tokens(response))
    page = UNLOCK_TIME.sub("<time>…</time>", page)
    return response.status_code, page.replace(username, "NAME")


def walk(client, username):
    seen = [observed(client.post("/accounts/password-reset/", {"username": username}), username)]
    questions = client.get("/accounts/password-reset/questions/")
    seen.append(observed(questions, username))
    state = state_of(questions)
    for n in range(6):
        seen.append(observed(answer(client, state, [f"guess{n}", "guess", "guess"]), username))
    return seen


def test_it_reads_the_same_for_real_and_unknown_usernames(make_member, settings):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 100  # both walks come from one address; this is about the name
    make_member("alice")
    real = walk(Client(), "alice")
    unknown = walk(Client(), "alicx")
    assert [status for status, _ in real] == [302, 200, 200, 200, 200, 200, 429, 429]
    # The questions differ by name (a member's own, or decoys); everything else must match.
    strip = re.compile(r"<label for=\"id_answer_\d\">[^<]*</label>")
    assert [(s, strip.sub("", p)) for s, p in real] == [(s, strip.sub("", p)) for s, p in unknown]


def test_it_asks_an_unknown_name_the_same_questions_every_time(client, db):
    first = start(client, "nobody-here").content.decode()
    again = start(client, "nobody-here").content.decode()
    labels = re.compile(r"<label for=\"id_answer_\d\">([^<]*)</label>")
    assert labels.findall(first) == labels.findall(again) and len(labels.findall(first)) == 3


def test_it_takes_as_long_for_an_unknown_name(client, make_member, settings):
    settings.PASSWORD_HASHERS = settings.PASSWORD_HASHERS[1:]  # the real Argon2id cost
    make_member("alice")

    def time_wrong_answers(username):
        state = state_of(start(client, username))
        began = time.perf_counter()
        answer(client, state, ["wrong1", "wrong2", "wrong3"])
        return time.perf_counter() - began

    # Interleaved, best of five: this machine's other work only ever adds time. Without the
    # decoy hashing an unknown name answers about ten times faster.
    real, unknown = [], []
    for _ in range(5):
        real.append(time_wrong_answers("alice"))
        unknown.append(time_wrong_answers("unknown-person"))
    assert 0.5 < min(unknown) / min(real) < 2.0

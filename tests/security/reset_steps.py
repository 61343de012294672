"""Walking the reset tool as a browser would, for the reset tests."""

import re

from tests.conftest import MEMBER_ANSWERS

STATE = re.compile(r'name="state" value="([^"]+)"')
RIGHT_ANSWERS = list(MEMBER_ANSWERS.values())
NEW_PASSWORD = "a brand new passphrase for spring"


def state_of(response):
    return STATE.search(response.content.decode()).group(1)


def start(client, username):
    client.post("/accounts/password-reset/", {"username": username})
    return client.get("/accounts/password-reset/questions/")


def answer(client, state, answers):
    data = {"state": state, **{f"answer_{n}": a for n, a in enumerate(answers, start=1)}}
    return client.post("/accounts/password-reset/questions/", data)


def set_password(client, state, password=NEW_PASSWORD, again=None):
    data = {"state": state, "new_password1": password, "new_password2": again or password}
    return client.post("/accounts/password-reset/new-password/", data)


def reach_password_step(client, username="alice"):
    questions = start(client, username)
    answer(client, state_of(questions), RIGHT_ANSWERS)
    return client.get("/accounts/password-reset/new-password/")

"""Two app servers behind one address, as in production: the freeze and the session are shared."""

import re

import pytest

from tests.conftest import MEMBER_ANSWERS, MEMBER_PASSWORD
from tests.live import AppServers, LiveClient, csrf_token

pytestmark = pytest.mark.live


@pytest.fixture
def servers(transactional_db, tmp_path):
    with AppServers(workdir=tmp_path) as app_servers:
        yield app_servers.start(2, workers=1, threads=2)


@pytest.fixture
def member(live_member):
    return live_member


def test_it_freezes_at_five_failures_split_across_both_servers(servers, member):
    first, second = LiveClient(servers[0]), LiveClient(servers[1])
    statuses = [(first, second)[n % 2].sign_in("alice", f"wrong guess {n}").status for n in range(5)]

    assert statuses == [200, 200, 200, 200, 403]
    for client in (first, second):
        refused = client.sign_in("alice", MEMBER_PASSWORD)
        assert refused.status == 403 and "This account is frozen" in refused.text


def test_it_honours_a_session_made_on_one_server_on_the_other(servers, member):
    on_first = LiveClient(servers[0])
    assert on_first.sign_in("alice", MEMBER_PASSWORD).status == 302

    on_second = LiveClient(servers[1], cookies=on_first.cookies)
    home = on_second.get("/")
    assert home.status == 200 and "Signed in as <strong>alice</strong>" in home.text

    token = csrf_token(home.text)
    assert on_second.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status == 302
    # The first server's client still holds the old session cookie: it no longer signs anyone in.
    assert on_first.get("/").status == 302


def test_it_sees_an_unfreeze_made_on_one_server_on_the_other(servers, member):
    first, second = LiveClient(servers[0]), LiveClient(servers[1])
    for n in range(5):
        first.sign_in("alice", f"wrong guess {n}")
    assert second.sign_in("alice", MEMBER_PASSWORD).status == 403

    # The member unfreezes the account with the reset tool, on the first server.
    start = first.get("/accounts/password-reset/")
    first.post("/accounts/password-reset/", {"csrfmiddlewaretoken": csrf_token(start.text), "username": "alice"})
    questions = first.get("/accounts/password-reset/questions/")
    state = re.search(r'name="state" value="([^"]+)"', questions.text).group(1)
    answers = {f"answer_{n}": answer for n, answer in enumerate(MEMBER_ANSWERS.values(), start=1)}
    step = first.post(
        "/accounts/password-reset/questions/",
        {"csrfmiddlewaretoken": csrf_token(questions.text), "state": state, **answers},
    )
    assert step.status == 302
    new_password_page = first.get("/accounts/password-reset/new-password/")
    state = re.search(r'name="state" value="([^"]+)"', new_password_page.text).group(1)
    done = first.post(
        "/accounts/password-reset/new-password/",
        {
            "csrfmiddlewaretoken": csrf_token(new_password_page.text),
            "state": state,
            "new_password1": "a new passphrase after the freeze",
            "new_password2": "a new passphrase after the freeze",
        },
    )
    assert done.status == 302

    # The second server sees the account unfrozen, and the new password.
    assert LiveClient(servers[1]).sign_in("alice", "a new passphrase after the freeze").status == 302

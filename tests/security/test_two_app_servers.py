"""Two app servers behind one address, as in production: the freeze and the session are shared."""

import pytest
from django.contrib.auth.hashers import make_password

from tests.conftest import MEMBER_PASSWORD
from tests.live import AppServers, LiveClient, csrf_token

pytestmark = pytest.mark.live


@pytest.fixture
def servers(transactional_db, tmp_path):
    with AppServers(workdir=tmp_path) as app_servers:
        yield app_servers.start(2, workers=1, threads=2)


@pytest.fixture
def member(make_member):
    member = make_member()
    # The real Argon2id hash the servers verify (test settings would otherwise use a fast one).
    member.password = make_password(MEMBER_PASSWORD, hasher="argon2")
    member.save(update_fields=["password"])
    return member


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

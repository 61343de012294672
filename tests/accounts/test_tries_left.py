"""From the third failure on, the sign-in page says how many tries are left before the freeze."""

from django.test import Client

from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import page_without_tokens, sign_in

CODE_URL = "/accounts/login/code/"
TWO_LEFT = "2 tries left before this account is frozen for your protection."
ONE_LEFT = "1 try left before this account is frozen for your protection."


def failures(client, username, count):
    return [sign_in(client, username, f"wrong password {n}") for n in range(count)]


def test_it_warns_from_the_third_failure_on(client, member):
    first, second, third, fourth, fifth = failures(client, "alice", 5)
    for response in (first, second):
        assert "before this account is frozen" not in response.content.decode()
    assert TWO_LEFT in third.content.decode()
    assert ONE_LEFT in fourth.content.decode()
    assert fifth.status_code == 403 and "This account is frozen" in fifth.content.decode()


def test_it_reads_the_same_for_a_real_and_an_unknown_username(make_member):
    make_member("alice")
    real = [page_without_tokens(r).replace("alice", "NAME") for r in failures(Client(), "alice", 5)]
    unknown = [page_without_tokens(r).replace("alicx", "NAME") for r in failures(Client(), "alicx", 5)]
    assert TWO_LEFT in real[2] and ONE_LEFT in real[3]
    assert real == unknown


def test_it_counts_any_spelling_of_the_name_together(client, member):
    failures(client, "alice", 2)
    assert TWO_LEFT in sign_in(client, " ALICE ", "wrong again").content.decode()


def test_the_code_step_warns_from_the_same_five(client, member, enroll_totp):
    device = enroll_totp(member)
    sign_in(client, "alice", "wrong password")
    sign_in(client, "alice", MEMBER_PASSWORD)
    second = client.post(CODE_URL, {"code": "000000"}).content.decode()
    assert "That code is not correct" in second and "before this account is frozen" not in second
    assert TWO_LEFT in client.post(CODE_URL, {"code": "111111"}).content.decode()
    assert ONE_LEFT in client.post(CODE_URL, {"code": "222222"}).content.decode()
    assert client.post(CODE_URL, {"code": "333333"}).status_code == 403
    assert client.post(CODE_URL, {"code": totp_code(device)}).status_code == 403


def test_a_sign_in_that_passes_starts_the_count_again(client, member):
    failures(client, "alice", 3)
    assert sign_in(client, "alice", MEMBER_PASSWORD).status_code == 302
    other = Client()
    assert "before this account is frozen" not in failures(other, "alice", 1)[0].content.decode()

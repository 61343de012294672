"""After an error a form shows again what was typed, except secrets: passwords, answers and codes."""

import re

import pytest

from tests.conftest import MEMBER_PASSWORD

SECRET = "not-my-password-42"


def value_of(page, name):
    """The value attribute the page writes back into the input named `name`, or None."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, f"no input named {name}"
    found = re.search(r'value="([^"]*)"', tag.group(0))
    return found.group(1) if found else None


def selected_of(page, name):
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select, f"no select named {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(0))


def test_sign_in_keeps_the_username_never_the_password(client, member):
    page = client.post("/accounts/login/", {"username": "alice", "password": SECRET}).content.decode()
    assert value_of(page, "username") == "alice"
    assert value_of(page, "password") is None and SECRET not in page


def test_the_profile_keeps_every_field_after_an_error(client, member):
    client.force_login(member)
    sent = {"phone": "12", "address_line1": "48 Elm Row", "address_line2": "Flat 2", "city": "Springfield",
            "state": "IL", "postal_code": "62704"}  # fmt: skip
    response = client.post("/profile/", sent)
    page = response.content.decode()
    assert response.status_code == 200 and "Enter a 10-digit phone number" in page
    for name in ("phone", "address_line1", "address_line2", "city", "postal_code"):
        assert value_of(page, name) == sent[name]
    assert selected_of(page, "state") == ["IL"]


def test_changing_the_email_keeps_the_address_never_the_password(client, member):
    client.force_login(member)
    page = client.post(
        "/profile/email/", {"email": "alice.new@example.org", "current_password": SECRET}
    ).content.decode()
    assert "That is not your current password." in page
    assert value_of(page, "email") == "alice.new@example.org"
    assert value_of(page, "current_password") is None and SECRET not in page


def test_the_questions_stay_chosen_and_the_answers_are_never_written_back(client, make_member):
    newcomer = make_member("nina", with_questions=False)
    client.force_login(newcomer)
    sent = {"question_1": "first_dish", "answer_1": "Pancakes", "question_2": "first_video_game",
            "answer_2": "ok", "question_3": "swim_teacher", "answer_3": "Grandpa Joe",
            "current_password": MEMBER_PASSWORD}  # fmt: skip
    page = client.post("/accounts/security/questions/", sent).content.decode()
    assert "Give an answer of at least 4 letters or digits." in page
    assert [selected_of(page, f"question_{n}") for n in (1, 2, 3)] == [
        ["first_dish"],
        ["first_video_game"],
        ["swim_teacher"],
    ]
    for n in (1, 2, 3):
        assert value_of(page, f"answer_{n}") is None
    assert value_of(page, "current_password") is None
    assert "Pancakes" not in page and "Grandpa Joe" not in page and MEMBER_PASSWORD not in page


def test_the_questions_form_reads_each_label_once_and_sums_up_its_errors(client, make_member):
    client.force_login(make_member("nina", with_questions=False))
    page = client.post("/accounts/security/questions/", {"question_1": "first_dish"}).content.decode()
    assert '<div class="alert alert-error error-summary" role="alert">' in page
    assert '<a href="#id_answer_1">Answer to question 1: This field is required.</a>' in page
    for n in (1, 2, 3):
        assert page.count(f">Question {n}<") == 1  # the label only: no legend repeating it
    assert "<legend>" not in page


@pytest.mark.parametrize("bad", [{"date_from": "2026-05-01", "date_to": "2026-01-01"}, {"date_from": "soon"}])
def test_the_claims_filters_keep_what_was_chosen(client, member, make_enrollment, bad):
    make_enrollment(member)
    client.force_login(member)
    page = client.get("/claims/", {**bad, "status": "denied"}).content.decode()
    assert "These filters are not applied yet" in page
    for name, value in bad.items():
        assert value_of(page, name) == value
    assert selected_of(page, "status") == ["denied"]

"""A new member chooses security questions, gets frozen, and unfreezes the account alone (real Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from security.lockout import is_frozen
from tests.browser.conftest import sign_in
from tests.conftest import MEMBER_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a river of quiet lanterns"
ANSWERS = {
    "Which dish did you first learn to cook on your own?": "Pancakes with lemon",
    "What was the first video game you played all the way through?": "Tetris",
    "Where did you go on your first trip without your family?": "Lisbon",
}


def test_it_enrolls_freezes_and_unfreezes_through_the_reset_tool(page, make_member):
    make_member("nina", first_name="Nina", with_questions=False)

    # First sign-in: the portal asks for security questions before anything else.
    page.goto("/accounts/login/")
    sign_in(page, "nina", MEMBER_PASSWORD)
    expect(page.get_by_role("heading", name="Choose your security questions")).to_be_visible()
    for n, (question, answer) in enumerate(ANSWERS.items(), start=1):
        page.get_by_label(f"Question {n}", exact=True).select_option(label=question)
        page.get_by_label(f"Answer to question {n}").fill(answer)
    page.get_by_label("Your current password").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Save my questions").click()
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    # Five wrong passwords freeze the account; the page says how to get back in.
    page.goto("/accounts/login/")
    for attempt in range(5):
        sign_in(page, "nina", f"not my password {attempt}")
    expect(page.get_by_role("alert")).to_contain_text("This account is frozen")
    assert is_frozen("nina")
    page.get_by_role("link", name=re.compile("reset your password")).click()

    # The reset tool: username, the three questions (each labelled with its own), a new password.
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("Username").fill("nina")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Answer your security questions")).to_be_visible()
    page.get_by_label(list(ANSWERS)[0]).fill("waffles")
    page.get_by_label(list(ANSWERS)[1]).fill("tetris")
    page.get_by_label(list(ANSWERS)[2]).fill("lisbon")
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Those answers do not match our records")
    for field in page.locator("input[name^=answer_]").all():
        expect(field).to_have_value("")  # never written back
    for question, answer in ANSWERS.items():
        page.get_by_label(question).fill(answer.upper() + "!")  # case and punctuation do not matter
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Your password has been reset")).to_be_visible()
    assert not is_frozen("nina")

    # The old password no longer works; the new one does.
    page.get_by_role("link", name="Sign in with your new password").click()
    sign_in(page, "nina", MEMBER_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("The username or password is not correct")
    sign_in(page, "nina", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()

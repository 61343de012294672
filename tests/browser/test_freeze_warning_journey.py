"""Before and after the freeze, as a member sees it: tries left, then the reset tool with the name filled in."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path("/work/notes/shots")
WRONG = ["wrong one", "wrong two", "wrong three"]
ANSWER_BUTTON = "Check my answers"


def shot(page, name, width, height):
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"P-{name}-{width}x{height}.png"), full_page=True)


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_it_warns_before_the_freeze_and_leads_to_the_reset(page, make_member, width, height):
    make_member("alice")
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/accounts/login/")
    for attempt in range(1, 5):
        sign_in(page, "Alice", f"wrong password {attempt}")
        expect(page.get_by_role("alert")).to_contain_text("The username or password is not correct.")
        warning = page.get_by_role("status").filter(has_text="before this account is frozen")
        if attempt < 3:
            expect(warning).to_have_count(0)
    expect(warning).to_have_text("1 try left before this account is frozen for your protection.")
    shot(page, "sign-in-one-try-left", width, height)

    sign_in(page, "Alice", "wrong password 5")
    expect(page.get_by_role("heading", name="This account is frozen")).to_be_visible()
    page.get_by_role("link", name="reset your password with your security questions").click()
    expect(page.get_by_label("Username")).to_have_value("alice")
    shot(page, "reset-prefilled", width, height)

    page.get_by_role("button", name="Continue").click()
    for _ in range(5):  # the reset's own limit of wrong answers
        answers = page.locator("input[name^=answer_]")
        for n, wrong in enumerate(WRONG):
            answers.nth(n).fill(wrong)
        page.get_by_role("button", name=ANSWER_BUTTON).click()
    expect(page.get_by_role("heading", name="Password reset is locked")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("locked for this username until")
    shot(page, "reset-locked-until", width, height)

"""Support staff find a frozen member and unfreeze them with a reason, as a new agent would (real Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import support_role, totp_code

pytestmark = pytest.mark.browser


def test_an_agent_finds_a_frozen_member_and_unfreezes_them(page, make_member, enroll_totp, client):
    agent = make_member("sam", first_name="Sam", is_staff=True)
    agent.groups.add(support_role("Support"))
    device = enroll_totp(agent)
    make_member("fred", first_name="Fred")
    make_member("alice")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "fred", "password": "not his password"})

    page.goto("/admin/")
    sign_in(page, "sam")
    page.get_by_label(re.compile("Code from your authenticator app")).fill(totp_code(device))
    page.get_by_role("button", name="Verify and sign in").click()

    page.get_by_role("link", name="Members", exact=True).first.click()
    page.get_by_role("link", name="Frozen", exact=True).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("fred")
    rows.first.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(label="Unfreeze account")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", name="Unfreeze account")).to_be_visible()
    expect(page.get_by_label("Reason (written to the audit log)")).to_have_attribute("required", "")
    page.get_by_label("Reason (written to the audit log)").fill("Caller verified: member ID and date of birth")
    page.get_by_role("button", name="Unfreeze account").click()
    expect(page.get_by_text("Unfreeze account: done for 1 of 1.")).to_be_visible()

    # The action is in the audit log, with the agent as actor and the reason given.
    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name="Security events").click()
    page.get_by_role("link", name="Account unfrozen", exact=True).click()
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("fred")
    expect(row).to_contain_text("sam")
    row.get_by_role("link").first.click()
    expect(page.get_by_text("Caller verified: member ID and date of birth")).to_be_visible()

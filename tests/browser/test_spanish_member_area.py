"""The member area in Spanish, in Chromium: home, ID card, claims and a claim's detail read in Spanish,
with Spanish dates and US dollars, and axe-core finds nothing at desktop width and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import Axe
from tests.browser.test_spanish_accounts import check, sign_in_in_spanish, spanish_page, visit  # noqa: F401
from tests.portal.conftest import make_claim, make_enrollment, make_provider, plan  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_the_member_area_in_spanish(spanish_page, make_member, make_enrollment, make_claim):  # noqa: F811
    page = spanish_page
    axe = Axe(page)
    member = make_member("nina", first_name="Nina", language="es")
    enrollment = make_enrollment(member, dependents=[("Leo", "child")])
    claim = make_claim(enrollment)
    page.goto("/accounts/login/")
    sign_in_in_spanish(page, "nina")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nina")
    check(page, axe, "home")
    visit(page, "/id-card/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Su tarjeta de identificación")
    expect(page.get_by_text("Número de miembro", exact=True)).to_be_visible()
    check(page, axe, "id-card")
    visit(page, "/claims/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus reclamaciones")
    expect(page.get_by_role("columnheader", name="Usted debe")).to_be_visible()
    # Money stays US dollars, written the US way; dates as Spanish writes them.
    expect(page.locator("main")).to_contain_text(re.compile(r"\$\d{1,3}(,\d{3})*\.\d{2}"))
    expect(page.locator("main")).to_contain_text(re.compile(r"\d{1,2} de [a-z]+ de \d{4}"))
    check(page, axe, "claims")
    visit(page, f"/claims/{claim.claim_number}/")
    expect(page.locator("main")).to_contain_text(claim.claim_number)
    check(page, axe, "claim-detail")
    # The header's switcher turns it all back into English, and the choice is kept.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    member.refresh_from_db()
    assert member.language == "en"
    axe.assert_none()

"""The member's pages in a real Chromium: no sideways scrolling at 320 px with Sign out in view,
a focus ring that stands out on every background, an ID card that grows with spaced-out text,
styled messages, and no console errors."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

OLD_BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/60.0.3112.113 Safari/537.36"
)

# WCAG's text-spacing bookmarklet (1.4.12): each element's own style, as the bookmarklet sets it
# (the page's Content-Security-Policy refuses an injected style sheet, not styles set by script).
TEXT_SPACING_JS = """() => {
  for (const el of document.querySelectorAll("*")) {
    el.style.setProperty("line-height", "1.5", "important");
    el.style.setProperty("letter-spacing", ".12em", "important");
    el.style.setProperty("word-spacing", ".16em", "important");
    if (el.tagName === "P") el.style.setProperty("margin-bottom", "2em", "important");
  }
}"""

# WCAG relative luminance and contrast, and the colours of the focus ring and of what is behind it.
CONTRAST_JS = """
(element) => {
  const parse = (text) => (text.match(/rgba?\\([^)]*\\)/g) || []).map((c) => c.match(/[\\d.]+/g).map(Number));
  const lum = ([r, g, b]) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const opaque = (c) => c && (c.length < 4 || c[3] > 0);
  const backgroundOf = (node) => {
    for (; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor)[0];
      if (opaque(colour)) return colour;
    }
    return [255, 255, 255];
  };
  const style = getComputedStyle(element);
  const ring = [...parse(style.outlineColor), ...parse(style.boxShadow)].filter(opaque);
  const surroundings = [backgroundOf(element.parentElement), backgroundOf(element)];
  return {
    focusVisible: element.matches(":focus-visible"),
    outlineWidth: parseFloat(style.outlineWidth),
    best: surroundings.map((bg) => Math.max(...ring.map((c) => contrast(c, bg)))),
    tones: ring.length >= 2 ? contrast(ring[0], ring[ring.length - 1]) : 0,
  };
}
"""


@pytest.fixture
def demo(make_member):
    """A member with questions chosen, given seed_demo's plan, family and claims."""
    member = make_member("demo", first_name="Dana", last_name="Demo")
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    return member


@pytest.fixture
def console_errors(page):
    seen = []
    page.on("console", lambda message: seen.append(message.text) if message.type == "error" else None)
    return seen


def click(page, locator):
    """Move on by a link, as a member does once signed in (an address typed in asks to sign in again)."""
    locator.click()
    page.wait_for_load_state()


def nav(page, name):
    return page.get_by_role("navigation", name="Member area").get_by_role("link", name=name, exact=True)


def header_link(page, name):
    return page.get_by_role("banner").get_by_role("link", name=name)


def signed_in_pages(page):
    """Every signed-in page, reached by clicking; yields each page's name once it is shown."""
    yield "home"
    for name in ("ID card", "Claims"):
        click(page, nav(page, name))
        yield name
    click(page, page.locator("table.claims-table a").first)
    yield "claim"
    click(page, nav(page, "Profile"))
    yield "Profile"
    click(page, page.locator('a[href="/profile/email/"]').first)
    yield "email"
    for name in (
        "Active sessions",
        "Sign-in activity",
        "Change your password",
        "Change your security questions",
        "Manage two-factor sign-in",
    ):
        click(page, header_link(page, "Security settings"))
        yield "Security settings"
        click(page, page.get_by_role("link", name=name))
        yield name
    click(page, page.get_by_role("contentinfo").get_by_role("link", name="How we protect your account"))
    yield "security page"


def assert_no_sideways_scroll_and_sign_out_in_view(page, width, where):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, where
    sign_out = page.get_by_role("banner").get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, where
    assert box["x"] > width / 2 and box["y"] < 60, f"{where}: Sign out is not at the top right"


def test_at_320_px_no_page_scrolls_sideways_and_sign_out_stays_top_right(page, demo, console_errors):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/")
    sign_in(page, "demo")
    seen = []
    for where in signed_in_pages(page):
        assert_no_sideways_scroll_and_sign_out_in_view(page, 320, where)
        seen.append(where)
    assert len(seen) == 17
    assert console_errors == []


def test_narrow_claims_tables_stack_with_each_cell_labelled(page, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    sign_in(page, "demo")
    for table in (page.locator("table.claims-table"), None):
        if table is None:
            click(page, nav(page, "Claims"))
            table = page.locator("table.claims-table")
        owe = table.locator('td[data-label="You owe"]').first
        expect(owe).to_be_visible()
        box = owe.bounding_box()
        assert box["x"] + box["width"] <= 390
        assert owe.evaluate("cell => getComputedStyle(cell, '::before').content").startswith('"You owe"')
        # Still a table to a screen reader, with its column headers.
        expect(table.get_by_role("columnheader", name="You owe")).to_have_count(1)
        expect(table.get_by_role("cell").first).to_be_attached()


def test_the_focus_ring_stands_out_on_every_background(page, demo):
    page.goto("/")
    sign_in(page, "demo")
    click(page, nav(page, "Claims"))
    targets = {
        "header button": page.get_by_role("banner").get_by_role("button", name="Sign out"),
        "header link": header_link(page, "Security settings"),
        "menu link": nav(page, "Home"),
        "primary button": page.get_by_role("button", name="Show claims"),
        "select": page.get_by_label("Status"),
        "date input": page.get_by_label("From"),
        "link on a card": page.locator("table.claims-table a").first,
        "footer link": page.get_by_role("contentinfo").get_by_role("link", name="How we protect your account"),
        "scrolling region": page.get_by_role("region", name="Claims, newest first"),
    }
    for name, target in targets.items():
        page.keyboard.press("Shift")  # keyboard modality: script focus then shows :focus-visible
        target.focus()
        ring = target.evaluate(CONTRAST_JS)
        assert ring["focusVisible"], name
        assert ring["outlineWidth"] >= 2, name
        assert min(ring["best"]) >= 3, f"{name}: {ring}"
        assert ring["tones"] >= 3, f"{name}: {ring}"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_on_screen_id_card_grows_with_wider_text_spacing(page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    sign_in(page, "demo")
    click(page, nav(page, "ID card"))
    page.evaluate(TEXT_SPACING_JS)
    assert page.locator(".id-card-back p").first.evaluate("p => getComputedStyle(p).marginBottom") != "0px"
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.id-card, .id-card *')]
            // The visually hidden headings are a pixel high on purpose.
            .filter((el) => !el.classList.contains('visually-hidden'))
            .filter((el) => el.scrollHeight > el.clientHeight + 1 && getComputedStyle(el).display !== 'inline')
            .map((el) => el.className || el.tagName)"""
    )
    assert clipped == []
    expect(page.get_by_text("This page is the accessible version of your card")).to_be_visible()


def test_a_success_message_is_a_styled_status_with_a_check_icon(page, demo):
    page.goto("/")
    sign_in(page, "demo")
    click(page, nav(page, "Profile"))
    page.get_by_label("Phone number").fill("217-555-0188")
    click(page, page.get_by_role("button", name="Save contact details"))
    status = page.get_by_role("status").filter(has_text="is saved")
    expect(status).to_be_visible()
    message = status.locator("li.message.success")
    expect(message.locator("svg.message-icon")).to_have_count(1)
    assert message.evaluate("li => getComputedStyle(li).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    dialog_button = page.locator("#session-sign-out-form button")
    assert dialog_button.evaluate("b => getComputedStyle(b).borderTopStyle") == "solid"


def watch(page):
    """The page's console errors, and the addresses of the resources (not the page) it failed to load."""
    errors, failed = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document" and failed.append(r.url))
    return errors, failed


def test_the_sign_in_and_unsupported_browser_pages_fit_320_px_and_load_everything(browser, live_server, db):
    for agent in (None, OLD_BROWSER):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 320, "height": 640}, user_agent=agent
        )
        try:
            page = context.new_page()
            errors, failed = watch(page)
            page.goto("/accounts/login/")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, agent
            assert failed == [], agent  # the favicon and style sheet included
            if agent:
                # Refused with 403 on purpose: the page's own status is its one console message.
                expect(page.get_by_role("heading", name="Please update your browser")).to_be_visible()
                assert len(errors) == 1 and "403" in errors[0]
            else:
                assert errors == []
        finally:
            context.close()

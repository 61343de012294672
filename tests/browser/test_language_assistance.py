"""The language assistance page in Chromium: every language's line is drawn in its own script (no
missing-glyph boxes) at desktop and phone width, nothing overflows, and axe reports nothing."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.browser.test_accessibility import Axe

pytestmark = pytest.mark.browser

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
CJK_FAMILIES = ["Noto Sans CJK JP", "Noto Sans Arabic"]

# For each tagline, the characters drawn as the .notdef box. A character no font has is drawn with
# the first font's .notdef glyph, as is U+10FFFD (private use: no font has it): where the two come
# out pixel for pixel alike, the character is a box. Drawn in the line's own font and language.
MISSING_GLYPHS = """() => {
  const size = 64;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const context = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (text, font) => {
    context.clearRect(0, 0, size, size);
    context.font = font;
    context.textBaseline = "middle";
    context.fillStyle = "#000";
    context.fillText(text, 4, size / 2);
    return context.getImageData(0, 0, size, size).data;
  };
  const alike = (a, b) => a.every((value, i) => value === b[i]);
  return [...document.querySelectorAll(".tagline")].map(line => {
    const style = getComputedStyle(line);
    const font = `${style.fontSize} ${style.fontFamily}`;
    context.canvas.lang = line.lang;
    const box = draw("\\u{10FFFD}", font);
    const characters = [...new Set(line.textContent)].filter(c => c.trim() && c !== "\\u200c");
    const missing = characters.filter(c => alike(draw(c, font), box));
    return {lang: line.lang, missing: missing.join(""), checked: characters.length, box: box.some(v => v)};
  });
}"""
OVERFLOWING = """() => [...document.querySelectorAll(".tagline, .notice-text, .site-header")]
  .filter(element => element.scrollWidth > element.clientWidth + 1).map(element => element.className)"""


def fonts_installed():
    if not shutil.which("fc-list"):
        return False
    return all(
        subprocess.run(["fc-list", f":family={family}"], capture_output=True, text=True).stdout
        for family in CJK_FAMILIES
    )


def missing_glyphs(page):
    lines = page.evaluate(MISSING_GLYPHS)
    assert len(lines) == 15 and all(line["box"] and line["checked"] > 5 for line in lines), lines
    return {line["lang"]: line["missing"] for line in lines if line["missing"]}


@pytest.mark.skipif(
    not fonts_installed(), reason="Debian's fonts-noto-core and fonts-noto-cjk (scripts/run-tests installs them)"
)
def test_every_language_is_drawn_at_desktop_and_phone_width(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe(page)
    for name, viewport in (("desktop", VIEWPORT), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/language-assistance/")
        expect(page.get_by_role("heading", name="Language assistance", level=1)).to_be_visible()
        page.screenshot(
            path=SHOTS / f"language-assistance-{viewport['width']}x{viewport['height']}.png", full_page=True
        )
        assert missing_glyphs(page) == {}, name
        assert page.evaluate(OVERFLOWING) == [], name
        axe.check(f"language assistance, {name}")
    axe.assert_none()


def test_in_spanish_the_switcher_and_the_page_pass_axe(page):
    page.set_viewport_size(PHONE)
    page.goto("/language-assistance/")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Asistencia con el idioma", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.screenshot(path=SHOTS / "language-assistance-es-390x844.png", full_page=True)
    assert page.evaluate(OVERFLOWING) == []
    axe = Axe(page)
    axe.check("language assistance in Spanish, phone")
    axe.assert_none()


def test_the_check_finds_the_boxes_when_only_fonts_without_those_scripts_are_installed(browser, live_server, tmp_path):
    """The same page in a Chromium that sees only DejaVu (no Chinese, Japanese or Korean): the check
    names those three lines, and only them."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    dejavu_only = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        env={"FONTCONFIG_FILE": str(config), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    try:
        page = dejavu_only.new_page(base_url=live_server.url, viewport=VIEWPORT)
        page.goto("/language-assistance/")
        missing = missing_glyphs(page)
    finally:
        dejavu_only.close()
    assert set(missing) == {"zh-Hant", "ko", "ja"}, missing
    assert "中" in missing["zh-Hant"] and "한" in missing["ko"] and "日" in missing["ja"]

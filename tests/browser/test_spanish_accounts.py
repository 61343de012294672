"""The sign-in, freeze and account security pages in Spanish, in Chromium: axe-core finds nothing,
at desktop width and on a phone."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import Axe
from tests.conftest import MEMBER_PASSWORD, totp_code

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Set to a directory to keep a screenshot of each page at both widths (for a person to look at).
SHOTS = os.environ.get("PORTAL_SCREENSHOTS")


@pytest.fixture
def spanish_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="es-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def check(page, axe, name):
    """axe at desktop width and at phone width, and a screenshot of each when asked for."""
    for size in ({"width": 1280, "height": 800}, PHONE):
        page.set_viewport_size(size)
        axe.check(f"{name} at {size['width']}")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"es-{name}-{size['width']}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def sign_in_in_spanish(page, username, password=MEMBER_PASSWORD):
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Iniciar sesión", exact=True).click()
    page.wait_for_load_state()


def visit(page, path):
    with page.expect_navigation():
        page.evaluate("path => window.location.assign(path)", path)


def test_the_sign_in_and_freeze_pages_in_spanish(spanish_page, make_member, settings):
    page = spanish_page
    axe = Axe(page)
    make_member("alice")
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Iniciar sesión", exact=True)).to_be_visible()
    check(page, axe, "sign-in")
    for attempt in range(3):
        sign_in_in_spanish(page, "alice", f"not it {attempt}")
    expect(page.get_by_role("alert")).to_contain_text("El nombre de usuario o la contraseña no son correctos")
    expect(page.get_by_role("status")).to_contain_text("Le quedan 2 intentos")
    check(page, axe, "sign-in-refused")
    for attempt in range(2):
        sign_in_in_spanish(page, "alice", f"still not it {attempt}")
    expect(page.get_by_role("alert")).to_contain_text("Esta cuenta está bloqueada")
    expect(page.get_by_role("link", name="restablezca su contraseña con sus preguntas de seguridad")).to_be_visible()
    check(page, axe, "frozen")
    axe.assert_none()


def test_the_account_security_pages_in_spanish(spanish_page, make_member):
    page = spanish_page
    axe = Axe(page)
    make_member("nina", first_name="Nina", language="es")
    page.goto("/accounts/login/")
    sign_in_in_spanish(page, "nina")
    for name, path, heading in [
        ("security", "/accounts/security/", "Configuración de seguridad"),
        ("password", "/accounts/security/password/", "Cambie su contraseña"),
        ("questions", "/accounts/security/questions/", "Cambie sus preguntas de seguridad"),
        ("activity", "/accounts/security/activity/", "Actividad de inicio de sesión"),
        ("sessions", "/accounts/security/sessions/", "Sesiones activas"),
    ]:
        visit(page, path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check(page, axe, name)
    visit(page, "/accounts/security/two-factor/setup/")
    page.get_by_label("Su contraseña actual").fill(MEMBER_PASSWORD)
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", name="Configure su aplicación de autenticación")).to_be_visible()
    page.get_by_label(re.compile("código de 6 dígitos")).fill("000000")
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("alert")).to_contain_text("Ese código no coincide")
    check(page, axe, "two-factor-setup-refused")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username="nina")
    page.get_by_label(re.compile("código de 6 dígitos")).fill(totp_code(device))
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("heading", name="Sus códigos de respaldo")).to_be_visible()
    expect(page.locator("#backup-codes-owner")).to_have_text(
        re.compile(r"Para Nina \(nina\), creados el \d{1,2} de \w+ de \d{4}")
    )
    check(page, axe, "backup-codes")
    axe.assert_none()

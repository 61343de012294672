"""The security pages in Spanish, in Chromium: the session timeout dialog's spoken countdown and its
error for a member who chose Spanish, and the password reset tool for a Spanish browser; axe-core
finds nothing, at desktop width and on a phone."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import Axe
from tests.conftest import MEMBER_ANSWERS

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
KEEP_ALIVE = "**/accounts/session/keep-alive/"
STATUS = "**/accounts/session/"
# Set to a directory to keep a screenshot of each page at both widths (for a person to look at).
SHOTS = os.environ.get("PORTAL_SCREENSHOTS")


@pytest.fixture
def spanish_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="es-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def check(page, axe, name):
    """axe at desktop width and at phone width, and a screenshot of each when asked for."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        axe.check(f"{name} at {size['width']}")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"es-{name}-{size['width']}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def shoot(page, name):
    if SHOTS:
        for size in (DESKTOP, PHONE):
            page.set_viewport_size(size)
            page.screenshot(path=str(Path(SHOTS) / f"es-{name}-{size['width']}.png"))
        page.set_viewport_size(DESKTOP)


def spoken(page):
    return page.locator("#session-timeout-announcement")


def test_the_timeout_dialog_speaks_spanish_to_a_member_who_chose_it(page, make_member, clocks, page_errors):
    make_member("bea", language="es")
    page.goto("/accounts/login/")
    sign_in(page, "bea")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    dialog = page.locator("#session-timeout-dialog")
    clocks.run(settings.PORTAL_IDLE_TIMEOUT_SECONDS - settings.PORTAL_IDLE_WARNING_SECONDS)
    expect(dialog).to_be_visible()
    countdown = dialog.locator("#session-timeout-countdown")
    expect(spoken(page)).to_have_text("Se cerrará su sesión en 2 minutos, a menos que elija mantenerla iniciada.")
    clocks.run(60)
    expect(countdown).to_have_text("1:00")
    expect(spoken(page)).to_have_text("Se cerrará su sesión en 1 minuto, a menos que elija mantenerla iniciada.")
    clocks.run(50)
    expect(spoken(page)).to_have_text("Se cerrará su sesión en 10 segundos, a menos que elija mantenerla iniciada.")
    page.route(KEEP_ALIVE, lambda route: route.fulfill(status=503, content_type="text/html", body="<h1>Error</h1>"))
    dialog.locator("#session-stay-button").click()
    clocks.tick()
    expect(dialog.get_by_role("alert")).to_have_text(
        "No pudimos mantener su sesión iniciada en este momento. Inténtelo de nuevo."
    )
    expect(dialog).to_be_visible()
    shoot(page, "timeout-dialog-problem")
    assert page_errors == []


def test_the_timeout_dialog_in_spanish_passes_axe(page, make_member):
    make_member("bea", language="es")
    page.goto("/accounts/login/")
    sign_in(page, "bea")
    # axe-core waits on timers, which the clocks fixture pauses: the dialog is opened by hand here.
    page.evaluate("() => document.getElementById('session-timeout-dialog').showModal()")
    expect(page.get_by_role("alertdialog", name="¿Sigue ahí?")).to_be_visible()
    axe = Axe(page)
    check(page, axe, "timeout-dialog")
    axe.assert_none()


def test_the_timeout_dialog_says_minutes_and_seconds_together_in_spanish(page, make_member, clocks):
    make_member("bea", language="es")
    page.goto("/accounts/login/")
    sign_in(page, "bea")
    dialog = page.locator("#session-timeout-dialog")
    # The server's answer when the warning is due: less time left than the page counted (another
    # tab's request came earlier), so the first words name both units.
    status = {"signed_in": True, "seconds_left": 90}
    page.route(STATUS, lambda route: route.fulfill(status=200, content_type="application/json", json=status))
    clocks.run(settings.PORTAL_IDLE_TIMEOUT_SECONDS - settings.PORTAL_IDLE_WARNING_SECONDS)
    expect(dialog).to_be_visible()
    expect(spoken(page)).to_have_text(
        "Se cerrará su sesión en 1 minuto y 30 segundos, a menos que elija mantenerla iniciada."
    )


def test_the_reset_tool_in_spanish(spanish_page, make_member):
    page = spanish_page
    axe = Axe(page)
    make_member("alice")
    page.goto("/accounts/password-reset/")
    expect(page.get_by_role("heading", name="Restablecer su contraseña")).to_be_visible()
    check(page, axe, "reset-start")
    page.get_by_label("Nombre de usuario").fill("alice")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", name="Responda sus preguntas de seguridad")).to_be_visible()
    check(page, axe, "reset-answers")
    for n in (1, 2, 3):
        page.locator(f"#id_answer_{n}").fill("wrong")
    page.get_by_role("button", name="Verificar mis respuestas").click()
    expect(page.get_by_text("Esas respuestas no coinciden con nuestros registros.")).to_be_visible()
    check(page, axe, "reset-answers-refused")
    page.get_by_label("¿Cuál fue el primer concierto o espectáculo en vivo al que pagó por asistir?").fill(
        MEMBER_ANSWERS["first_concert"]
    )
    page.get_by_label("¿Cuál fue el primer platillo que aprendió a cocinar por su cuenta?").fill(
        MEMBER_ANSWERS["first_dish"]
    )
    page.get_by_label("¿En qué calle vivía su mejor amigo o amiga de la infancia?").fill(
        MEMBER_ANSWERS["friend_street"]
    )
    page.get_by_role("button", name="Verificar mis respuestas").click()
    expect(page.get_by_role("heading", name="Elija una nueva contraseña")).to_be_visible()
    check(page, axe, "reset-password")
    page.locator("#id_new_password1").fill("a brand new passphrase for spring")
    page.locator("#id_new_password2").fill("a brand new passphrase for spring")
    page.get_by_role("button", name="Guardar mi nueva contraseña").click()
    expect(page.get_by_role("heading", name="Se restableció su contraseña")).to_be_visible()
    check(page, axe, "reset-done")
    axe.assert_none()

"""The support site's own pages, the refusal and reset-locked pages, the security notices and the
notices command in Spanish: from Accept-Language, or from the saved language of the member or staff
member; and in English for everyone else, as before."""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from security import notices
from security.checks import check_minimum_browsers
from security.models import SecurityEvent
from tests.conftest import MEMBER_PASSWORD, support_role, totp_code
from tests.helpers import sign_in

from .reset_steps import answer, start, state_of

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
APP_BROWSER_ON_OLD_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
WRONG = ["wrong one", "wrong two", "wrong three"]


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def agent(make_member, enroll_totp):
    """A Security agent in Chicago, signed in past two-factor, in the language given."""

    def sign_in_as(language):
        staff = make_member("sam", is_staff=True, with_questions=False, time_zone="America/Chicago", language=language)
        staff.groups.add(support_role("Security"))
        device = enroll_totp(staff)
        client = Client()
        client.post("/accounts/login/", {"username": "sam", "password": MEMBER_PASSWORD})
        client.post("/accounts/login/code/", {"code": totp_code(device)})
        return client

    return sign_in_as


def test_an_old_browser_is_told_in_spanish_and_the_audit_log_keeps_english(db):
    response = Client(headers={"user-agent": APP_BROWSER_ON_OLD_IOS}, **SPANISH).get("/accounts/login/")
    page = text_of(response)
    assert response.status_code == 403
    assert '<h1 id="browser-heading">Actualice su navegador</h1>' in page
    assert "Usted está usando <strong>El navegador de una aplicación en iOS 15.3</strong>." in page
    assert re.search(r"<td[^>]*>Safari</td>\s*<td[^>]*>15\.4 o más reciente</td>", page)
    assert "Galaxy Store o Google Play" in page and "Navegadores que puede usar" in page
    assert "Please update your browser" not in page and "or newer" not in page
    refused = SecurityEvent.objects.get(kind=SecurityEvent.Kind.BROWSER_REFUSED)
    assert refused.reason == "An app's browser on iOS 15.3"


def test_an_old_browser_is_still_told_in_english_by_default(db):
    page = text_of(Client(headers={"user-agent": APP_BROWSER_ON_OLD_IOS}).get("/accounts/login/"))
    assert "You are using <strong>An app&#x27;s browser on iOS 15.3</strong>." in page
    assert "Actualice su navegador" not in page and "the Galaxy Store or Google Play" in page


def test_the_reset_locked_page_speaks_spanish_with_the_time_in_spanish_style(member):
    client = Client(**SPANISH)
    for _ in range(5):
        answer(client, state_of(start(client, "alice")), WRONG)
    locked = start(client, "alice")
    page = text_of(locked)
    assert locked.status_code == 429
    assert "<h1>El restablecimiento de contraseña está bloqueado</h1>" in page
    sentence = (
        "Se ingresaron demasiadas respuestas o códigos de verificación en dos pasos incorrectos para "
        "<strong>alice</strong>, por lo que la herramienta para restablecer la contraseña está bloqueada "
        "para este nombre de usuario hasta las <time datetime="
    )
    assert sentence in page
    assert re.search(r"<time datetime=\"[^\"]+\">\d{1,2}:\d\d [ap]\. m\. \(UTC\)</time>\.", page), page
    assert "Password reset is locked" not in page


def test_the_reset_lock_email_is_in_the_members_language_and_names_codes_too(
    make_member, django_capture_on_commit_callbacks
):
    make_member("ana", language="es")
    make_member("bob")
    with django_capture_on_commit_callbacks(execute=True):
        for username in ("ana", "bob"):
            client = Client()
            for _ in range(5):
                answer(client, state_of(start(client, username)), WRONG)
    spanish, english = sorted(mail.outbox, key=lambda message: message.to)
    assert spanish.subject == (
        "Restablecimiento de contraseña bloqueado por respuestas o códigos de verificación en dos pasos incorrectos"
    )
    assert spanish.body.startswith("Hola, Ana:\n\nAlguien ingresó varias veces respuestas o códigos")
    assert "bloqueada para esta cuenta durante\n60 minutos." in spanish.body
    assert english.subject == "Password reset locked after wrong answers or two-factor codes"
    assert "Someone gave wrong answers or two-factor codes several times" in english.body
    assert "locked for this account for\n60 minutes." in english.body


def test_a_one_minute_reset_lock_is_one_minute_in_either_language(make_member, settings):
    settings.PORTAL_RESET_LOCK_SECONDS = 60
    for language, wanted in (("es", "durante\n1 minuto."), ("en", "for\n1 minute.")):
        member = make_member(f"m{language}", language=language)
        notices.reset_locked(member)
        assert wanted in member.security_notices.get().body


def test_the_security_overview_is_in_the_agents_spanish(agent, member):
    for _ in range(5):
        sign_in(Client(), "alice", "not it")
    client = agent("es")
    page = text_of(client.get("/admin/security-overview/"))
    assert (
        '<h2 id="chart-heading">Intentos fallidos de iniciar sesión por hora, últimos 7 días (5 en total)</h2>' in page
    )
    assert '<h2 id="frozen-heading">Cuentas bloqueadas (1)</h2>' in page
    assert "5 intentos fallidos de iniciar sesión desde la medianoche del" in page
    assert "Horas en America/Chicago" in page and "Direcciones más activas, 7 días" in page
    assert "Failed sign-ins per hour" not in page and "Times in" not in page
    index = text_of(client.get("/admin/"))
    assert ">Resumen de seguridad</a>: intentos fallidos de iniciar sesión de esta semana" in index


def test_the_security_overview_stays_english_for_an_english_agent(agent, member):
    sign_in(Client(), "alice", "not it")
    page = text_of(agent("").get("/admin/security-overview/"))
    assert "Failed sign-ins per hour, last 7 days (1 in all)" in page
    assert "1 failed sign-in since midnight on" in page and ">Times in America/Chicago</a>" in page


def test_the_member_facts_and_the_audit_log_speak_the_agents_spanish(agent, member):
    sign_in(Client(), "alice", "not it")
    client = agent("es")
    facts = text_of(client.get(f"/admin/accounts/user/{member.pk}/change/"))
    assert "1 intento fallido de iniciar sesión, el último el " in facts
    log = text_of(client.get("/admin/security/securityevent/"))
    assert "Las horas del archivo CSV están en ISO 8601 y en UTC" in log
    assert "Un nombre de usuario exacto (el de un miembro o uno escrito al iniciar sesión) o una dirección IP." in log


def test_the_notices_command_reports_in_spanish(make_member):
    notices.password_changed(make_member("noemail", email=""))
    out = io.StringIO()
    with translation.override("es"):
        call_command("notices", "--failed", stdout=out)
        call_command("notices", "--all-failed", "--dry-run", stdout=out)
    assert "\t(ninguna dirección)\t" in out.getvalue() and "\t0 intentos\t" in out.getvalue()
    assert "1 aviso fallido." in out.getvalue()
    assert "Se pondría de nuevo en cola 1 aviso fallido." in out.getvalue()


def test_the_minimum_browser_check_explains_itself_in_spanish(settings):
    settings.PORTAL_MINIMUM_BROWSERS = {"Safari": "15.x"}
    with translation.override("es"):
        (error,) = check_minimum_browsers(None)
    assert error.msg == "PORTAL_MINIMUM_BROWSERS le da a Safari la versión '15.x', que no es una versión."

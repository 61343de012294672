"""The password reset tool, the security questions, the password rules, the refusal pages, the event
labels and the operator commands in Spanish: from Accept-Language, or from the member's saved
language; and in English for everyone else, exactly as before."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from security.audit import record_event
from security.checks import check_idle_warning
from security.models import ResetStrikes, SecurityEvent
from tests.conftest import MEMBER_PASSWORD
from tests.helpers import sign_in

from .reset_steps import answer, reach_password_step, set_password, start, state_of

RESET = "/accounts/password-reset/"


@pytest.fixture
def spanish_client():
    return Client(HTTP_ACCEPT_LANGUAGE="es")


def test_it_shows_the_reset_tool_in_spanish_to_a_spanish_browser(spanish_client, settings):
    page = spanish_client.get(RESET).content.decode()
    assert '<h1 id="reset-heading">Restablecer su contraseña</h1>' in page
    assert '<label for="id_username">Nombre de usuario</label>' in page
    assert '<button type="submit" class="primary">Continuar</button>' in page
    assert f"Llame a Servicio al Miembro al {settings.PORTAL_SUPPORT_PHONE}." in page
    assert "Reset your password" not in page and "Continue" not in page


def test_it_keeps_the_reset_tool_english_for_everyone_else(client):
    page = client.get(RESET, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<h1 id="reset-heading">Reset your password</h1>' in page
    assert '<label for="id_username">Username</label>' in page
    assert "Restablecer su contraseña" not in page and "Nombre de usuario" not in page


def test_it_asks_the_questions_in_spanish_and_refuses_wrong_answers_in_spanish(spanish_client, member, settings):
    questions = start(spanish_client, "alice")
    page = questions.content.decode()
    assert '<h1 id="answers-heading">Responda sus preguntas de seguridad</h1>' in page
    assert "Está restableciendo la contraseña de <strong>alice</strong>." in page
    label = (
        '<label for="id_answer_1">¿Cuál fue el primer concierto o espectáculo en vivo al que pagó por asistir?</label>'
    )
    assert label in page
    assert f"Después de {settings.PORTAL_RESET_FAILURE_LIMIT} intentos incorrectos" in page
    refused = answer(spanish_client, state_of(questions), ["wrong", "wrong", "wrong"]).content.decode()
    assert "Esas respuestas no coinciden con nuestros registros. Revíselas e inténtelo de nuevo." in refused
    assert "do not match our records" not in refused


def test_it_names_the_username_escaped_inside_the_spanish_sentence(spanish_client, db):
    page = start(spanish_client, "<b>x</b>").content.decode()
    assert "Está restableciendo la contraseña de <strong>&lt;b&gt;x&lt;/b&gt;</strong>." in page


def test_it_applies_the_password_rules_in_spanish(spanish_client, member, settings):
    state = state_of(reach_password_step(spanish_client))
    page = spanish_client.get("/accounts/password-reset/new-password/").content.decode()
    assert '<h1 id="password-heading">Elija una nueva contraseña</h1>' in page
    assert f"Su contraseña no puede ser ninguna de sus últimas {settings.PORTAL_PASSWORD_HISTORY} contraseñas." in page
    assert "Su contraseña no puede ser una que haya aparecido en una filtración de datos." in page
    reused = set_password(spanish_client, state, MEMBER_PASSWORD).content.decode()
    assert (
        "Elija una contraseña que no haya usado recientemente "
        f"(ninguna de las últimas {settings.PORTAL_PASSWORD_HISTORY})." in reused
    )
    state = state_of(spanish_client.get("/accounts/password-reset/new-password/"))
    done = set_password(spanish_client, state, "a brand new passphrase for spring")
    assert done["Location"] == "/accounts/password-reset/done/"
    page = spanish_client.get(done["Location"]).content.decode()
    assert "<h1>Se restableció su contraseña</h1>" in page and "Inicie sesión con su nueva contraseña" in page


def test_it_says_an_expired_reset_in_spanish(spanish_client, db):
    response = spanish_client.post("/accounts/password-reset/questions/", {"state": "forged"})
    assert response.status_code == 400
    assert "Este restablecimiento de contraseña venció o ya se usó. Comience de nuevo." in response.content.decode()


@pytest.mark.parametrize("window, wait", [(None, "minutos"), (60, "minuto")])
def test_it_says_the_address_limit_in_spanish_with_its_plural(spanish_client, member, settings, window, wait):
    settings.PORTAL_RESET_IP_FAILURE_LIMIT = 1
    if window:
        settings.PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS = window
    minutes = settings.PORTAL_RESET_IP_FAILURE_WINDOW_SECONDS // 60
    answer(spanish_client, state_of(start(spanish_client, "alice")), ["wrong"] * 3)
    refused = answer(spanish_client, state_of(start(spanish_client, "alice")), ["wrong"] * 3)
    page = refused.content.decode()
    assert refused.status_code == 429
    assert "<h1>Demasiados intentos desde su red</h1>" in page
    assert f"Espere {minutes} {wait} antes de intentarlo de nuevo." in page


def test_a_member_who_chose_spanish_chooses_questions_in_spanish(make_member):
    member = make_member("bea", with_questions=False, language="es")
    client = Client()
    client.post("/accounts/login/", {"username": "bea", "password": MEMBER_PASSWORD})
    page = client.get("/accounts/security/questions/").content.decode()
    assert "Pregunta 1" in page and "Respuesta a la pregunta 3" in page
    assert "Elija una pregunta" in page and "¿Adónde fue en su primer viaje sin su familia?" in page
    data = {"current_password": MEMBER_PASSWORD}
    for n in (1, 2, 3):
        data |= {f"question_{n}": "first_dish", f"answer_{n}": f"answer number {n}"}
    refused = client.post("/accounts/security/questions/", data).content.decode()
    assert "Elija tres preguntas diferentes." in refused
    assert member.security_answers.count() == 0


def test_a_spanish_member_reads_the_event_labels_in_spanish_and_an_english_one_in_english(make_member):
    bea = make_member("bea", language="es")
    sign_in(Client(), "bea", "wrong password")
    spanish = Client()
    sign_in(spanish, "bea", MEMBER_PASSWORD)
    page = spanish.get("/accounts/security/activity/").content.decode()
    assert "Inicio de sesión fallido" in page and "Sign-in failed" not in page
    record_event(SecurityEvent.Kind.RESET_HELD, member=bea)
    with translation.override("en"):
        assert SecurityEvent(kind=SecurityEvent.Kind.SIGN_IN_FAILED).get_kind_display() == "Sign-in failed"
    with translation.override("es"):
        held = SecurityEvent(kind=SecurityEvent.Kind.RESET_HELD).get_kind_display()
        assert held == "Restablecimiento de contraseña bloqueado hasta que el personal de soporte lo desbloquee"


def test_the_refusal_of_an_unreadable_address_speaks_spanish(spanish_client, db):
    response = spanish_client.get("/accounts/login/", {"next": "\x00"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "La dirección web contiene caracteres que no pueden formar parte de una dirección de este sitio." in page


def test_the_operator_commands_speak_spanish_when_asked_and_english_otherwise(member):
    ResetStrikes.objects.create(username="alice", failures=0, total_failures=10, held=True)
    with translation.override("es"):
        out = StringIO()
        call_command("unlock_reset", "alice", "--reason", "called in", stdout=out)
        assert out.getvalue() == "Se desbloqueó el restablecimiento de contraseña de alice.\n"
        out = StringIO()
        call_command("list_frozen", stdout=out)
        assert out.getvalue() == "0 cuentas bloqueadas.\n"
        call_command("freeze_account", "alice", "--reason", "stolen phone", stdout=StringIO())
        out = StringIO()
        call_command("list_frozen", stdout=out)
        assert "intentos fallidos" in out.getvalue() and out.getvalue().endswith("1 cuenta bloqueada.\n")
    out = StringIO()
    call_command("list_frozen", stdout=out)
    assert out.getvalue().endswith("1 frozen account(s).\n") and "failures\tlast " in out.getvalue()


def test_a_system_check_speaks_the_active_language(settings):
    settings.PORTAL_IDLE_WARNING_SECONDS = settings.PORTAL_IDLE_TIMEOUT_SECONDS
    with translation.override("es"):
        [spanish] = check_idle_warning(None)
    [english] = check_idle_warning(None)
    assert spanish.msg.startswith("PORTAL_IDLE_WARNING_SECONDS debe ser mayor que 0")
    assert english.msg.startswith("PORTAL_IDLE_WARNING_SECONDS must be more than 0")
    assert spanish.hint == "Los valores predeterminados son 120 y 900." and spanish.id == english.id

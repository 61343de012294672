"""The accounts pages, forms, messages and commands in Spanish: from Accept-Language, or from the
member's saved language; and in English for everyone else, exactly as before."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.management.commands.create_member import Command as CreateMember
from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import sign_in

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}


@pytest.fixture
def spanish_client():
    return Client(**SPANISH)


def signed_in(member, **headers):
    client = Client(**headers)
    sign_in(client, member.get_username(), MEMBER_PASSWORD)
    return client


def test_it_shows_the_sign_in_page_in_spanish_to_a_spanish_browser(spanish_client):
    page = spanish_client.get("/accounts/login/").content.decode()
    assert '<h1 id="sign-in-heading">Iniciar sesión</h1>' in page
    assert "Nombre de usuario" in page and "¿Olvidó su contraseña?" in page
    assert '<button type="submit" class="primary">Iniciar sesión</button>' in page
    assert "Sign in" not in page and "Forgot your password?" not in page


def test_it_keeps_the_sign_in_page_english_for_everyone_else(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<h1 id="sign-in-heading">Sign in</h1>' in page and "Forgot your password?" in page
    assert "Iniciar sesión" not in page and "Nombre de usuario" not in page


def test_it_refuses_a_wrong_password_in_spanish_and_counts_down_in_the_plural(spanish_client, member):
    for _attempt in range(3):
        response = sign_in(spanish_client, "alice", "wrong password")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Hay un problema</h2>" in page
    assert "El nombre de usuario o la contraseña no son correctos. Revise ambos e inténtelo de nuevo." in page
    assert "Le quedan 2 intentos antes de que esta cuenta se bloquee para su protección." in page


def test_it_says_in_spanish_that_the_account_is_frozen_with_the_reset_link_in_the_sentence(
    spanish_client, member, settings
):
    for _attempt in range(settings.PORTAL_FREEZE_AFTER_FAILURES):
        response = sign_in(spanish_client, "alice", "wrong password")
    page = response.content.decode()
    assert "<h2>Esta cuenta está bloqueada</h2>" in page
    failures = settings.PORTAL_FREEZE_AFTER_FAILURES
    assert f"Después de {failures} intentos fallidos seguidos de iniciar sesión, bloqueamos la cuenta" in page
    assert (
        f'Para desbloquearla, <a href="{reverse("password_reset:start")}">restablezca su contraseña con sus '
        f"preguntas de seguridad</a> o llame a Servicio al Miembro al {settings.PORTAL_SUPPORT_PHONE}."
    ) in page
    assert "Iniciar sesión con otro nombre de usuario" in page


def test_it_follows_the_members_saved_language_without_accept_language(make_member):
    member = make_member(language="es")
    client = signed_in(member)
    page = client.get("/accounts/security/").content.decode()
    assert "<h1>Configuración de seguridad</h1>" in page
    assert "Cambiarla de vez en cuando ayuda a mantener segura su cuenta." in page
    assert "Le permiten restablecer una contraseña olvidada y desbloquear su cuenta usted mismo." in page
    assert "Security settings" not in page


def test_it_keeps_an_english_members_pages_english(make_member):
    member = make_member(language="en")
    client = signed_in(member, **SPANISH)  # the saved choice wins over the browser's
    page = client.get("/accounts/security/").content.decode()
    assert "<h1>Security settings</h1>" in page and "Configuración" not in page


def test_it_writes_the_password_age_in_the_spanish_plural(make_member):
    from datetime import timedelta

    from django.utils import timezone

    member = make_member(language="es", password_changed_at=timezone.now() - timedelta(days=3, hours=1))
    page = signed_in(member).get("/accounts/security/").content.decode()
    assert "Su contraseña se cambió por última vez hace 3 días." in page


def test_it_confirms_a_password_change_in_spanish(make_member):
    member = make_member(language="es")
    client = signed_in(member)
    new = "a brand new long passphrase"
    response = client.post(
        "/accounts/security/password/",
        {"current_password": MEMBER_PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    page = response.content.decode()
    assert "Se cambió su contraseña. Se cerraron sus demás sesiones." in page


def test_it_lists_sessions_in_spanish_and_signs_out_others_in_the_plural(make_member):
    member = make_member(language="es")
    client = signed_in(member)
    for _other in range(2):
        signed_in(member)
    page = client.get("/accounts/security/sessions/").content.decode()
    assert "<h1>Sesiones activas</h1>" in page
    assert '<th role="columnheader" scope="col">Lugar aproximado</th>' in page
    assert "Inicio de sesión (UTC)" in page and "(esta sesión)" in page
    assert "Cerrar todas las demás sesiones" in page
    page = client.post("/accounts/security/sessions/end-others/", follow=True).content.decode()
    assert "Se cerraron otras 2 sesiones." in page


def test_it_asks_for_the_code_in_spanish_and_refuses_a_wrong_one_in_spanish(spanish_client, member, enroll_totp):
    device = enroll_totp(member)
    sign_in(spanish_client, "alice", MEMBER_PASSWORD)
    page = spanish_client.get("/accounts/login/code/").content.decode()
    assert '<h1 id="code-heading">Ingrese su código</h1>' in page
    assert "Está iniciando sesión como <strong>alice</strong>." in page
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    page = spanish_client.post("/accounts/login/code/", {"code": wrong}).content.decode()
    assert "Ese código no es correcto. Revise su aplicación e inténtelo de nuevo." in page
    assert "Verificar e iniciar sesión" in page


def test_it_offers_two_factor_sign_in_in_spanish(make_member):
    client = signed_in(make_member(language="es"))
    page = client.get("/accounts/security/two-factor/").content.decode()
    assert "<strong>Desactivada.</strong> Agregue un segundo paso al iniciar sesión" in page
    assert "Activar la verificación en dos pasos" in page


def test_it_says_the_signed_out_page_in_spanish(spanish_client):
    page = spanish_client.get("/accounts/signed-out/").content.decode()
    assert "<h1>Su sesión está cerrada</h1>" in page and "Volver a iniciar sesión" in page


def test_support_sees_the_member_list_and_its_actions_in_spanish(staff_client, member):
    page = staff_client.get("/admin/accounts/user/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Bloquear la cuenta" in page and "Desbloquear la cuenta" in page
    assert "Un nombre de usuario, una dirección de correo electrónico o un número de miembro exactos." in page
    assert "Freeze account" not in page


def test_support_reads_the_outcome_of_an_action_in_spanish(staff_client, member):
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "freeze", "_selected_action": [member.pk], "apply": "yes", "reason": "called in, ticket 12"},
        HTTP_ACCEPT_LANGUAGE="es",
        follow=True,
    )
    assert "Bloquear la cuenta: hecho para 1 de 1." in response.content.decode()


def test_an_operator_reads_a_command_in_spanish_when_it_runs_in_spanish(member):
    out = StringIO()
    with translation.override("es"):
        call_command("reset_two_factor", "alice", reason="identity checked by phone", stdout=out)
        help_text = " ".join(CreateMember().create_parser("manage.py", "create_member").format_help().split())
    assert out.getvalue().strip() == "alice no tiene dispositivos de verificación en dos pasos; no se cambió nada."
    assert "Crea una cuenta de miembro." in help_text
    assert "Leer la contraseña de la primera línea de la entrada estándar." in help_text


def test_an_operator_reads_commands_in_english_by_default(member):
    out = StringIO()
    translation.deactivate()  # as in a new manage.py process: the settings' LANGUAGE_CODE
    call_command("reset_two_factor", "alice", reason="identity checked by phone", stdout=out)
    help_text = CreateMember().create_parser("manage.py", "create_member").format_help()
    assert out.getvalue().strip() == "alice has no two-factor devices; nothing changed."
    assert "Create a member account. Prompts for the password twice" in help_text

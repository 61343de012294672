"""The member area, its error pages and the ID card PDF in Spanish: for a browser that asks for Spanish,
and for a member whose saved language is Spanish; English stays English."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from portal.models import Claim
from tests.portal.test_database_outage import database_gone

SPANISH = {"Accept-Language": "es"}


@pytest.fixture
def enrollment(member, make_enrollment):
    member.last_name = "García"
    member.save()
    return make_enrollment(member, member_number="MP123456789", dependents=[("Sam", "spouse"), ("Riley", "child")])


@pytest.fixture
def spanish_member(member, enrollment):
    member.language = "es"
    member.save(update_fields=["language"])
    return member


def text_of(response):
    return " ".join(response.content.decode().split())


def pdf_text_of(response):
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_it_shows_the_home_page_in_spanish_to_a_browser_that_asks_for_it(client, member, enrollment, make_claim):
    make_claim(enrollment, lines=[("400.00", "300.00", "300.00", "0.00", "0.00")])
    client.force_login(member)
    page = text_of(client.get("/", headers=SPANISH))
    assert '<html lang="es"' in page
    assert "<h1>Le damos la bienvenida, Alice</h1>" in page
    assert "Su plan" in page and "Atención primaria" in page and "Sala de emergencias" in page
    # Money stays US dollars, written as US Spanish writes them; dates in words.
    assert "Su deducible" in page and "$300.00 de $1,500.00" in page and "Faltan $1,200.00" in page
    assert "Año del plan desde</dt> <dd>1 de enero de 2026</dd>" in page
    assert "Welcome" not in page and "Your plan" not in page


def test_it_keeps_the_home_page_english_for_everyone_else(client, member, enrollment):
    client.force_login(member)
    page = text_of(client.get("/"))
    assert '<html lang="en"' in page and "<h1>Welcome, Alice</h1>" in page
    assert "Plan year from</dt> <dd>Jan 1, 2026</dd>" in page and "$0.00 of $1,500.00" in page
    assert "Le damos la bienvenida" not in page


def test_a_spanish_member_reads_claims_and_their_explanation_of_benefits_in_spanish(
    client, spanish_member, enrollment, make_claim
):
    claim = make_claim(enrollment, lines=[("200.00", "120.00", "0.00", "25.00", "0.00")])
    make_claim(enrollment, status=Claim.Status.IN_REVIEW, dependent=enrollment.dependents.get(suffix=2))
    client.force_login(spanish_member)
    claims = text_of(client.get("/claims/"))  # no Accept-Language: the saved language decides
    assert "<h1>Sus reclamaciones</h1>" in claims and "Mostrar reclamaciones" in claims
    assert "Fecha del servicio" in claims and "Usted debe" in claims and "Aún no se sabe" in claims
    assert "En revisión" in claims and "Procesada" in claims and "14 de marzo de 2026" in claims
    detail = text_of(client.get(f"/claims/{claim.claim_number}/"))
    assert "<h1>Explicación de beneficios</h1>" in detail and "Esto no es una factura." in detail
    assert f"Reclamación {claim.claim_number} de Maple Grove Family Medicine para usted, 14 de marzo de 2026." in detail
    assert "Alice García (usted)" in detail and "código 99213" in detail and "$25.00" in detail
    assert "20% en su plan" in detail and "como $25 por atención primaria" in detail


def test_it_tells_a_spanish_member_what_to_fix_in_the_claim_filters_and_keeps_the_dates(client, spanish_member):
    client.force_login(spanish_member)
    response = client.get("/claims/", {"date_from": "2026-03-14", "date_to": "2026-03-01"})
    page = text_of(response)
    assert "Elija una fecha igual o posterior a la fecha “Desde”." in page
    assert "Estos filtros todavía no se aplicaron" in page
    # A date input only takes an ISO date: the Spanish formats write the member's dates back as one.
    assert 'type="date" name="date_from" value="2026-03-14"' in page


def test_the_profile_form_speaks_spanish_in_its_errors_and_its_confirmation(client, spanish_member):
    client.force_login(spanish_member)
    refused = client.post("/profile/", {"phone": "12", "city": "Springfield"})
    page = text_of(refused)
    assert "Escriba un número de teléfono de 10 dígitos, por ejemplo, 555-201-4477." in page
    assert "Complete este dato para terminar su dirección postal." in page
    assert "Hay datos que corregir antes de que podamos guardarlos" in page
    saved = client.post("/profile/", {"phone": "555-201-4477"}, follow=True)
    assert "Se guardó su número de teléfono." in text_of(saved)
    both = {"phone": "555-201-4478", "address_line1": "1 Elm Row", "city": "Madison", "state": "WI"}
    both["postal_code"] = "53703"
    saved = client.post("/profile/", both, follow=True)
    assert "Se guardaron su dirección postal y su número de teléfono." in text_of(saved)


def test_an_english_member_is_told_what_was_saved_in_english(client, member):
    client.force_login(member)
    saved = client.post("/profile/", {"phone": "555-201-4477", "address_line1": "1 Elm Row", "city": "Madison",
                                      "state": "WI", "postal_code": "53703"}, follow=True)  # fmt: skip
    assert "Your mailing address and phone number are saved." in text_of(saved)


@override_settings(PORTAL_IDLE_TIMEOUT_SECONDS=60)
def test_the_security_page_counts_in_spanish(client, db):
    page = text_of(client.get("/security/", headers=SPANISH))
    assert '<h1 id="security-page-heading">Cómo protegemos su cuenta</h1>' in page
    assert "Si no hace nada durante <strong>1 minuto</strong>, se cierra su sesión." in page
    assert "intentos fallidos seguidos bloqueamos la cuenta" in page
    assert "la herramienta para restablecer la contraseña</a>" in page
    english = text_of(client.get("/security/"))
    assert "If you do nothing for <strong>1 minute</strong>, you are signed out." in english


def test_a_spanish_members_id_card_page_and_pdf_are_in_spanish(client, spanish_member, enrollment):
    client.force_login(spanish_member)
    page = text_of(client.get("/id-card/"))
    assert "<h1>Su tarjeta de identificación</h1>" in page and "Imprimir esta tarjeta" in page
    assert "Cobertura desde</dt><dd>1 de enero de 2025</dd>" in page and "Cónyuge" in page
    pdf = pdf_text_of(client.get("/id-card/MP123456789-01/pdf/"))
    assert "Tarjeta de identificación de miembro de Sam García" in pdf
    assert "NÚMERO DE MIEMBRO" in pdf and "COBERTURA DESDE" in pdf and "1 de enero de 2025" in pdf
    assert "Servicio al Miembro" in pdf and "Reverso" in pdf and "Atención primaria" in pdf
    assert "En una emergencia, llame al 911" in pdf
    assert "Member ID" not in pdf and "Front" not in pdf


def test_an_english_members_pdf_stays_in_english(client, member, enrollment):
    client.force_login(member)
    pdf = pdf_text_of(client.get("/id-card/MP123456789-00/pdf/", headers={"Accept-Language": "en"}))
    assert "Member ID card for Alice García" in pdf and "MEMBER ID" in pdf and "Jan 1, 2025" in pdf
    assert "Tarjeta" not in pdf


def test_the_error_pages_are_in_spanish(client, db):
    missing = client.get("/no-such-page/", headers=SPANISH)
    assert missing.status_code == 404
    page = text_of(missing)
    assert '<html lang="es"' in page and "No encontramos esa página" in page
    assert "Ir a su página de inicio" in page
    wrong_method = client.delete("/security/", headers=SPANISH)
    assert wrong_method.status_code == 405
    assert "Esta página no se puede usar de esa forma" in text_of(wrong_method)


def test_the_outage_page_is_in_the_language_the_browser_asks_for(client, member):
    client.raise_request_exception = False
    client.force_login(member)
    with database_gone(matching="securityevent"):
        response = client.get("/", headers=SPANISH)
    assert response.status_code == 503 and response["Content-Language"] == "es"
    page = text_of(response)
    assert '<html lang="es">' in page and "El portal no está disponible por un momento" in page
    assert "Inténtelo de nuevo en 30 segundos." in page and "1-800-555-0199" in page
    with database_gone(matching="securityevent"):
        english = text_of(client.get("/"))
    assert "The portal is unavailable for a moment" in english and "try again in 30 seconds" in english


def test_spanish_dates_times_and_numbers_follow_one_style():
    moment = datetime(2026, 12, 2, 15, 5, tzinfo=UTC)
    with translation.override("es"), timezone.override("America/Chicago"):
        assert formats.date_format(date(2026, 12, 2)) == "2 de diciembre de 2026"
        local = timezone.localtime(moment)
        assert formats.date_format(local, "DATETIME_FORMAT") == "2 de diciembre de 2026, 9:05 a. m. CST"
        assert formats.date_format(local.replace(hour=15), "TIME_FORMAT") == "3:05 p. m. CST"
        assert formats.number_format(Decimal("1234.56"), 2, force_grouping=True) == "1,234.56"
    with translation.override("en"), timezone.override("America/Chicago"):
        assert formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") == "Dec 2, 2026, 9:05 AM CST"


def test_seed_demo_reports_in_spanish_to_a_spanish_speaking_operator(db):
    out = StringIO()
    with translation.override("es"):
        call_command("seed_demo", stdout=out, stderr=StringIO())
    report = out.getvalue()
    assert "Miembro de demostración 'demo': se crearon la cobertura, la familia y las reclamaciones." in report
    assert "Se crearon 3 planes, 16 proveedores, 1 miembro, 2 dependientes," in report
    assert "55 líneas de servicio en " in report

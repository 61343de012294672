"""The header's language switcher, and which language a page is in: the member's saved choice, else the
switcher's cookie, else Accept-Language, else English."""

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.conftest import MEMBER_PASSWORD

COOKIE = settings.LANGUAGE_COOKIE_NAME
SPANISH_HEADING = "<h1>Asistencia con el idioma</h1>"
ENGLISH_HEADING = "<h1>Language assistance</h1>"


def assistance_page(client, **headers):
    return client.get("/language-assistance/", headers=headers).content.decode()


def test_it_is_in_every_pages_header_each_choice_in_its_own_language(client, member):
    signed_out = client.get("/accounts/login/").content.decode()
    assert '<button type="submit" name="language" value="es" lang="es">Español</button>' in signed_out
    assert 'action="/accounts/language/"' in signed_out and "csrfmiddlewaretoken" in signed_out
    client.force_login(member)
    client.cookies[COOKIE] = "es"
    signed_in = client.get("/").content.decode()
    assert '<html lang="es"' in signed_in
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in signed_in


def test_it_sets_the_language_and_returns_to_the_page(client, db):
    response = client.post("/accounts/language/", {"language": "es", "next": "/language-assistance/?a=1"})
    assert response.status_code == 302 and response["Location"] == "/language-assistance/?a=1"
    assert response.cookies[COOKIE].value == "es" and response.cookies[COOKIE]["httponly"]
    assert response["Content-Language"] == "es"
    page = assistance_page(client)
    assert '<html lang="es"' in page and SPANISH_HEADING in page
    client.post("/accounts/language/", {"language": "en", "next": "/language-assistance/"})
    assert ENGLISH_HEADING in assistance_page(client)


def test_from_the_sign_in_page_it_keeps_where_the_member_was_going_and_nothing_else(client, db):
    page = client.get("/accounts/login/?next=/claims/&username=alice&x=%3Cb%3E").content.decode()
    assert 'name="next" value="/accounts/login/?next=%2Fclaims%2F"' in page
    assert "username=alice" not in page and "x=" not in page
    response = client.post("/accounts/language/", {"language": "es", "next": "/accounts/login/?next=%2Fclaims%2F"})
    assert response["Location"] == "/accounts/login/?next=%2Fclaims%2F"
    # The sign-in page, now in Spanish, still sends the member on to the page they asked for.
    page = client.get(response["Location"]).content.decode()
    assert '<html lang="es"' in page and '<input type="hidden" name="next" value="/claims/">' in page


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "home", "", "/claims/\r\nX: 1"]
)
def test_it_never_sends_anyone_off_the_site(client, db, target):
    response = client.post("/accounts/language/", {"language": "es", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("language", ["", "fr", "es-mx", "x" * 5000])
def test_it_refuses_a_language_it_does_not_offer(client, db, language):
    response = client.post("/accounts/language/", {"language": language, "next": "/security/"})
    assert response.status_code == 400 and COOKIE not in response.cookies
    assert "Choose one of the languages offered." in response.content.decode()


def test_it_needs_the_forms_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/language/", {"language": "es", "next": "/"})
    assert response.status_code == 403 and COOKIE not in response.cookies


def test_it_answers_only_a_post(client, db):
    assert client.get("/accounts/language/?language=es").status_code == 405


def test_a_signed_in_members_choice_is_saved_and_follows_them_to_another_browser(client, member):
    client.force_login(member)
    client.post("/accounts/language/", {"language": "es", "next": "/"})
    member.refresh_from_db()
    assert member.language == "es"
    elsewhere = Client()
    elsewhere.post("/accounts/login/", {"username": "alice", "password": MEMBER_PASSWORD})
    # Saved beats the other browser's English Accept-Language, and its English cookie.
    elsewhere.cookies[COOKIE] = "en"
    assert SPANISH_HEADING in assistance_page(elsewhere, accept_language="en-US,en;q=0.9")


def test_signed_out_the_saved_choice_no_longer_applies(client, member):
    User.objects.filter(pk=member.pk).update(language="es")
    client.force_login(member)
    assert SPANISH_HEADING in assistance_page(client)
    client.post("/accounts/logout/")
    assert ENGLISH_HEADING in assistance_page(client)


def test_without_a_choice_the_browsers_languages_decide_else_english(client, member):
    assert ENGLISH_HEADING in assistance_page(client)
    assert SPANISH_HEADING in assistance_page(client, accept_language="es-US,es;q=0.9,en;q=0.5")
    assert ENGLISH_HEADING in assistance_page(client, accept_language="de-DE,fr;q=0.8")
    client.force_login(member)  # no saved language: the browser's still decides
    assert SPANISH_HEADING in assistance_page(client, accept_language="es")


def test_a_saved_language_no_longer_offered_is_ignored(client, member):
    User.objects.filter(pk=member.pk).update(language="fr")
    client.force_login(member)
    page = assistance_page(client)
    assert '<html lang="en"' in page and ENGLISH_HEADING in page

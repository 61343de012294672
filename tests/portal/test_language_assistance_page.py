"""The language assistance page: free help offered in fifteen languages, each in its own script with its
own lang and direction, the number to call, and the nondiscrimination notice in English and Spanish."""

import re

import pytest

LANGUAGES = {
    "es": ("ltr", "Español"),
    "zh-Hant": ("ltr", "中文"),
    "vi": ("ltr", "Tiếng Việt"),
    "ko": ("ltr", "한국어"),
    "tl": ("ltr", "Tagalog"),
    "ru": ("ltr", "Русский"),
    "ar": ("rtl", "العربية"),
    "ht": ("ltr", "Kreyòl ayisyen"),
    "fr": ("ltr", "Français"),
    "pt": ("ltr", "Português"),
    "pl": ("ltr", "Polski"),
    "ja": ("ltr", "日本語"),
    "it": ("ltr", "Italiano"),
    "de": ("ltr", "Deutsch"),
    "fa": ("rtl", "فارسی"),
}
TAGLINE = re.compile(r'<li class="tagline" lang="([^"]+)" dir="(ltr|rtl)">(.*?)</li>', re.S)


@pytest.fixture
def phone(settings):
    settings.PORTAL_SUPPORT_PHONE = "1-888-555-0123"
    return settings.PORTAL_SUPPORT_PHONE


def test_it_is_public_and_linked_from_every_pages_footer(client, member):
    assert client.get("/language-assistance/").status_code == 200
    link = '<a href="/language-assistance/">Language assistance</a>'
    assert link in client.get("/accounts/login/").content.decode()
    assert link in client.get("/security/").content.decode()
    client.force_login(member)
    assert link in client.get("/").content.decode()


def test_it_offers_help_in_each_of_the_fifteen_languages_with_the_number_to_call(client, db, phone):
    page = client.get("/language-assistance/").content.decode()
    taglines = TAGLINE.findall(page)
    assert [(code, direction) for code, direction, _ in taglines] == [(c, d) for c, (d, _) in LANGUAGES.items()]
    for code, _, line in taglines:
        assert LANGUAGES[code][1] in line, code
        # The number reads left to right inside right-to-left text, and dials from a phone.
        assert f'<a class="phone" href="tel:18885550123" dir="ltr">{phone}</a>' in line, code
        assert "711" in line, code


def test_it_is_the_same_fifteen_lines_when_the_portal_is_in_spanish(client, db, phone):
    english = TAGLINE.findall(client.get("/language-assistance/").content.decode())
    client.cookies["django_language"] = "es"
    page = client.get("/language-assistance/").content.decode()
    assert '<html lang="es"' in page and TAGLINE.findall(page) == english


def test_it_shows_the_nondiscrimination_notice_in_english_and_spanish(client, db, phone):
    page = client.get("/language-assistance/").content.decode()
    english = page[page.index('<div class="notice-text" lang="en">') :]
    spanish = page[page.index('<div class="notice-text" lang="es">') :]
    assert "race, color, national origin, age, disability" in english and "grievance" in english
    assert "raza, color, origen nacional, edad, discapacidad o sexo" in spanish and "queja" in spanish
    assert english.count(phone) >= 2 and spanish.count(phone) >= 2 and "TTY: 711" in spanish


def test_the_javascript_catalog_loads_from_the_site_under_the_policy(client, db):
    page = client.get("/language-assistance/")
    assert '<script src="/jsi18n/" defer></script>' in page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    client.cookies["django_language"] = "es"
    catalog = client.get("/jsi18n/")
    assert catalog.status_code == 200 and catalog["Content-Type"].startswith("text/javascript")
    script = catalog.content.decode()
    assert "django.gettext = function" in script and "(n != 1)" in script

"""The Spanish catalogs are complete, match the strings the code marks, and are compiled; and no text on
the pages of the translation machinery itself (the header, the footer, the switcher, the language
assistance page) escapes the catalog."""

import gettext
import re
import shutil
import subprocess
import sys

import polib
import pytest
from django.conf import settings

from tests.pseudo_locale import ROOT, SPANISH, bracketed, pseudo_locale, untranslated_text

CATALOGS = [SPANISH / "django.po", SPANISH / "djangojs.po"]
# The same arguments docs/translations.md gives: only the portal's own code, never tests or tools.
MAKEMESSAGES = [
    "--add-location=file",
    "--ignore=node_modules",
    "--ignore=var",
    "--ignore=staticfiles",
    "--ignore=tests",
    "--ignore=bench",
    "--ignore=scripts",
]
NOT_COPIED = shutil.ignore_patterns(
    ".*", "__pycache__", "*.mo", "node_modules", "var", "staticfiles", "tests", "bench", "scripts"
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def live_entries(path):
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: path.name)
def test_it_has_every_message_translated_and_none_fuzzy(catalog):
    entries = live_entries(catalog)
    untranslated = [entry.msgid for entry in entries if not entry.translated() and "fuzzy" not in entry.flags]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == [], f"{catalog.name}: no Spanish yet for {untranslated}"
    assert fuzzy == [], f"{catalog.name}: fuzzy (guessed by msgmerge), check and clear the flag: {fuzzy}"


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: path.name)
def test_it_keeps_every_placeholder_of_the_english(catalog):
    wrong = []
    for entry in live_entries(catalog):
        if entry.msgid_plural:
            wanted = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
            found = [set(PLACEHOLDER.findall(form)) for form in entry.msgstr_plural.values()]
            # A singular form may leave out the number ("una sesión"), never add a name.
            if any(not form <= wanted for form in found) or set().union(*found) != wanted:
                wrong.append(entry.msgid)
        elif set(PLACEHOLDER.findall(entry.msgid)) != set(PLACEHOLDER.findall(entry.msgstr)):
            wrong.append(entry.msgid)
    assert wrong == [], f"{catalog.name}: the translation drops or adds a %(name)s: {wrong}"


@pytest.mark.skipif(
    not shutil.which("msgfmt"), reason="GNU gettext's msgfmt is missing (scripts/run-tests installs it)"
)
@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: path.name)
def test_msgfmt_reports_nothing_untranslated_or_fuzzy(catalog):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalog)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is missing (scripts/run-tests installs it)")
def test_the_catalogs_hold_exactly_the_strings_the_code_marks(tmp_path):
    """makemessages, run on a copy of the project, finds no msgid the committed catalog lacks (a new
    string without its Spanish) and the catalog keeps none the code no longer has."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED)
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--locale=es", f"--domain={domain}", *MAKEMESSAGES],
            cwd=copy,
            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "settings.test", "PYTHONPATH": str(copy)},
            check=True,
            capture_output=True,
        )
        extracted = {key(entry) for entry in live_entries(copy / "locale" / "es" / "LC_MESSAGES" / f"{domain}.po")}
        committed = {key(entry) for entry in live_entries(SPANISH / f"{domain}.po")}
        new = sorted(msgid for _, msgid, _ in extracted - committed)
        gone = sorted(msgid for _, msgid, _ in committed - extracted)
        assert new == [], f"{domain}.po lacks these marked strings: run makemessages and translate them: {new}"
        assert gone == [], f"{domain}.po keeps strings no code marks any more: {gone}"


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda path: path.name)
def test_the_compiled_catalogs_are_current(catalog):
    """Django reads the .mo files, which are built (scripts/run-tests, scripts/run-portal), not committed."""
    compiled = catalog.with_suffix(".mo")
    assert compiled.exists(), f"{compiled} is missing: run scripts/run-tests, or compilemessages (docs/translations.md)"
    with compiled.open("rb") as handle:
        served = gettext.GNUTranslations(handle)._catalog
    wanted = {}
    for entry in live_entries(catalog):
        if not entry.translated():
            continue  # msgfmt leaves out fuzzy and untranslated entries
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            wanted.update({(msgid, n): form for n, form in entry.msgstr_plural.items()})
        else:
            wanted[msgid] = entry.msgstr
    served.pop("", None)
    assert served == wanted, f"{compiled} is older than {catalog.name}: compile the catalogs again"


def test_spanish_pages_come_from_the_catalog(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get("/language-assistance/").content.decode()
    assert '<html lang="es"' in page and "<h1>Asistencia con el idioma</h1>" in page
    assert "Cómo protegemos su cuenta" in page and "Saltar al contenido principal" in page


# The pages of the translation machinery, as a signed-out visitor and as a signed-in member sees them;
# of the others, only the header and footer around their content (a later phase marks the rest).
OWN_PAGES = ["/language-assistance/"]
OTHER_PAGES = ["/accounts/login/"]
OTHER_MEMBER_PAGES = ["/"]
CONTENT = re.compile(r'<main id="main".*</main>|(?<=<title>).*?(?= · )', re.S)


def test_the_pseudo_locale_brackets_every_string_of_the_catalog(settings, tmp_path, client, db):
    with pseudo_locale(settings, tmp_path) as code:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
        page = client.get("/language-assistance/").content.decode()
    assert f'<html lang="{code}"' in page
    assert f"<h1>{bracketed('Language assistance')}</h1>" in page


def test_the_machinery_pages_show_no_text_outside_the_catalog(settings, tmp_path, client, member):
    data = [settings.PORTAL_SUPPORT_PHONE, "TTY", member.username, member.first_name, "Pseudo"]
    found = {}
    with pseudo_locale(settings, tmp_path) as code:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
        for path in OWN_PAGES + OTHER_PAGES:
            page = client.get(path).content.decode()
            found[path] = untranslated_text(page if path in OWN_PAGES else CONTENT.sub("", page), data)
        refused = client.post("/accounts/language/", {"language": "xx"})
        assert refused.status_code == 400
        found["the switcher's refusal"] = untranslated_text(refused.content.decode(), data)
        client.force_login(member)
        for path in OWN_PAGES + OTHER_MEMBER_PAGES:
            page = client.get(path).content.decode()
            found[f"{path} signed in"] = untranslated_text(page if path in OWN_PAGES else CONTENT.sub("", page), data)
    assert all(not runs for runs in found.values()), f"text that did not pass through the catalog: {found}"


def test_it_reports_text_that_did_not_pass_through_the_catalog():
    page = (
        '<html lang="qps"><head><title>⟦Home⟧ · ⟦Member Portal⟧</title></head><body>'
        '<nav aria-label="Account">⟦Signed in as <strong>alice</strong>⟧</nav>'
        '<p lang="ko">한국어를 사용하시는 경우</p><p>⟦Call⟧ 1-800-555-0199 (TTY: 711)</p>'
        "<p>Unmarked words <em>⟦marked⟧</em></p><script>let ignored = 1;</script></body></html>"
    )
    assert untranslated_text(page, data=["alice", "TTY"]) == ["Account", "Unmarked words"]


def test_a_word_used_alone_and_counted_elsewhere_is_translated_in_both():
    # "security notice" is a model's name alone and a counted noun in purge_audit: two catalog entries.
    from django.utils import translation
    from django.utils.translation import npgettext

    from security.models import SecurityNotice

    with translation.override("es"):
        assert str(SecurityNotice._meta.verbose_name) == "aviso de seguridad"
        assert npgettext("purged", "security notice", "security notices", 2) == "avisos de seguridad"

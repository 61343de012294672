"""A pseudo-locale: every string of the catalog "translated" to ⟦itself⟧, so a page rendered in it shows
at a glance which text went through the translation machinery and which did not.

    with pseudo_locale(settings, tmp_path):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = PSEUDO
        page = client.get("/language-assistance/").content.decode()
    assert untranslated_text(page, data=["1-800-555-0199"]) == []

Its msgids are those of the Spanish catalog, which tests/test_translations.py keeps equal to what
makemessages extracts from the code.
"""

import re
import shutil
import subprocess
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import polib
from django.conf import locale

ROOT = Path(__file__).resolve().parent.parent
SPANISH = ROOT / "locale" / "es" / "LC_MESSAGES"
PSEUDO = "qps"  # a private-use code no real catalog has (as Windows' qps-ploc)
OPEN, CLOSE = "⟦", "⟧"
PLURAL_FORMS = "nplurals=2; plural=(n != 1);"


def bracketed(text):
    # A message's leading and trailing newlines stay outside, as msgfmt requires of a translation.
    core = text.strip("\n")
    start = text[: len(text) - len(text.lstrip("\n"))]
    end = text[len(text.rstrip("\n")) :]
    return f"{start}{OPEN}{core}{CLOSE}{end}" if core else text


def spanish_catalogs(domain):
    """The project's Spanish catalog of `domain`, then those of Django and the libraries whose pages
    the portal shows (the support site is Django's admin): their strings pass through a catalog too."""
    yield SPANISH / f"{domain}.po"
    yield from sorted(ROOT.glob(f"*/locale/es/LC_MESSAGES/{domain}.po"))  # an app's own catalog, if any
    import django
    import django_otp

    for package in (Path(django.__file__).parent, Path(django_otp.__file__).parent):
        yield from sorted(package.glob(f"**/locale/es/LC_MESSAGES/{domain}.po"))


def build_catalog(directory, domains=("django", "djangojs")):
    """Writes and compiles directory/qps/LC_MESSAGES/<domain>.po from the Spanish catalogs' msgids."""
    target = Path(directory) / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    for domain in domains:
        sources = [source for source in spanish_catalogs(domain) if source.exists()]
        if not sources:
            continue
        pseudo = polib.POFile()
        pseudo.metadata = {
            "Project-Id-Version": "Member Portal",
            "PO-Revision-Date": "2026-12-02 00:00+0000",
            "Last-Translator": "tests/pseudo_locale.py",
            "Language-Team": "none",
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Language": PSEUDO,
            "Plural-Forms": PLURAL_FORMS,
        }
        seen = set()
        entries = (entry for source in sources for entry in polib.pofile(str(source)))
        for entry in entries:
            if entry.obsolete or (entry.msgctxt, entry.msgid) in seen:
                continue
            seen.add((entry.msgctxt, entry.msgid))
            copy = polib.POEntry(msgid=entry.msgid, msgctxt=entry.msgctxt)
            if entry.msgid_plural:
                copy.msgid_plural = entry.msgid_plural
                copy.msgstr_plural = {0: bracketed(entry.msgid), 1: bracketed(entry.msgid_plural)}
            else:
                copy.msgstr = bracketed(entry.msgid)
            pseudo.append(copy)
        po = target / f"{domain}.po"
        pseudo.save(str(po))
        compile_catalog(po, check=False)  # ⟦…⟧ around a format string is not one msgfmt can check
    return Path(directory)


def compile_catalog(po, check=True):
    """msgfmt when GNU gettext is installed, else polib: the same two compilers as scripts/lib.sh."""
    mo = po.with_suffix(".mo")
    if shutil.which("msgfmt"):
        subprocess.run(["msgfmt", *(["--check"] if check else []), "-o", str(mo), str(po)], check=True)
    else:
        polib.pofile(str(po)).save_as_mofile(str(mo))
    return mo


@contextmanager
def pseudo_locale(settings, directory):
    """The pseudo-locale offered beside English and Spanish while the block runs (pytest's settings fixture)."""
    build_catalog(directory)
    # The switcher names each language from Django's table; the pseudo one needs an entry too.
    locale.LANG_INFO[PSEUDO] = {"bidi": False, "code": PSEUDO, "name": "Pseudo", "name_local": "Pseudo"}
    try:
        # Changing these settings clears Django's translation caches (django.test.signals).
        settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
        settings.LOCALE_PATHS = [Path(directory), *settings.LOCALE_PATHS]
        yield PSEUDO
    finally:
        del locale.LANG_INFO[PSEUDO]


# What a reader sees, or hears from a screen reader, besides the text itself.
SPOKEN_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder", "aria-description")
NOT_SHOWN = {"script", "style", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """Collects the text of a page in the page's own language: elements whose lang names another
    language (a tagline in Korean, the switcher's "English") are content in that language, not strings
    for the catalog, and are left out with everything inside them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, skipped) of each open element
        self.page_language = None
        self.parts = []

    def skipping(self):
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.page_language = attributes.get("lang")
        other_language = "lang" in attributes and attributes["lang"] != self.page_language
        skipped = self.skipping() or tag in NOT_SHOWN or other_language
        if not skipped:
            for name in SPOKEN_ATTRIBUTES:
                if attributes.get(name):
                    self.parts.append(f"\n{attributes[name]}\n")
            if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
                self.parts.append(f"\n{attributes['value']}\n")
        if tag not in VOID:
            self.stack.append((tag, skipped))
        self.parts.append("\n")  # an element's edge ends a run of text (the brackets may span it)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Pop to the matching element (HTML lets some end tags be left out).
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break
        self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping():
            self.parts.append(data)


INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
LETTERS = re.compile(r"[^\W\d_]")


def untranslated_text(html, data=()):
    """The runs of visible text that contain letters outside ⟦…⟧: each is a string that did not pass
    through the catalog. `data` are values that are no string of the portal's (a username, a phone
    number) and may stand anywhere; numbers and punctuation may too."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    # Innermost first: a translated string may hold another one ("⟦Your ⟦phone⟧ is saved.⟧").
    while True:
        reduced = INNERMOST.sub("\n", text)
        if reduced == text:
            break
        text = reduced
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "\n")
    runs = (" ".join(run.split()) for run in text.split("\n"))
    return [run for run in runs if LETTERS.search(run)]

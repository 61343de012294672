"""A release that forgot to compile the catalogs is told so by the system checks (manage.py check --deploy)."""

import os
import shutil

from portal.checks import check_compiled_catalogs


def test_it_is_quiet_when_every_catalog_is_compiled_and_current(settings, tmp_path):
    catalog = tmp_path / "es" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    (catalog / "django.po").write_text('msgid ""\nmsgstr ""\n')
    (catalog / "django.mo").write_bytes(b"compiled")
    os.utime(catalog / "django.po", (1_000_000, 1_000_000))
    settings.LOCALE_PATHS = [tmp_path]
    assert check_compiled_catalogs() == []


def test_it_warns_of_a_catalog_never_compiled_or_edited_since(settings, tmp_path):
    catalog = tmp_path / "es" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    (catalog / "django.po").write_text('msgid ""\nmsgstr ""\n')
    settings.LOCALE_PATHS = [tmp_path]
    [missing] = check_compiled_catalogs()
    assert missing.id == "portal.W001" and "missing" in missing.msg and "compilemessages" in missing.hint
    (catalog / "django.mo").write_bytes(b"compiled")
    os.utime(catalog / "django.mo", (1_000_000, 1_000_000))
    [stale] = check_compiled_catalogs()
    assert "older than its catalog" in stale.msg


def test_the_projects_own_catalogs_pass_once_compiled(settings, tmp_path):
    # scripts/run-tests compiles them first, as a release does.
    shutil.copytree(settings.LOCALE_PATHS[0], tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    assert [message.msg for message in check_compiled_catalogs()] == []

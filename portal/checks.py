"""System checks of the portal's own wiring: the compiled translation catalogs are there and current."""

from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.utils.translation import gettext as _


@register(Tags.translation)
def check_compiled_catalogs(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """A catalog that was never compiled (or is older than its source) leaves its pages in English
    without a word of warning: `manage.py compilemessages` after installing the code (docs/deploy.md)."""
    problems: list[CheckMessage] = []
    for directory in settings.LOCALE_PATHS:
        for source in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
            compiled = source.with_suffix(".mo")
            if not compiled.exists() or compiled.stat().st_mtime < source.stat().st_mtime:
                if not compiled.exists():
                    message = _("%(file)s is missing: its language's pages would show English text.")
                else:
                    message = _("%(file)s is older than its catalog: its language's pages would show stale text.")
                problems.append(
                    Warning(
                        message % {"file": compiled},
                        hint=_("Run `manage.py compilemessages` (GNU gettext's msgfmt) after installing the code."),
                        id="portal.W001",
                    )
                )
    return problems

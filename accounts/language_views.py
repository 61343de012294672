"""The header's language switcher: the choice goes into the language cookie, and onto the profile of a
signed-in member, then the member is sent back to the page they were on."""

from typing import Literal, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from security.middleware import allowed_while_locked
from security.request_checks import safe_next_path

from .models import User

SameSite = Literal["Lax", "Strict", "None", False] | None


@require_POST
@never_cache
@login_not_required
# The confirm page of a locked session must be readable too; a display language reveals nothing.
@allowed_while_locked
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        reason = gettext("Choose one of the languages offered.")
        return render(request, "400.html", {"reason": reason}, status=400)
    if request.user.is_authenticated:
        save_language(member=request.user, language=language)
    # Only a path on this site: the form's "next" is whatever the browser sent.
    response = HttpResponseRedirect(safe_next_path(request, request.POST.get("next")) or reverse("home"))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast(SameSite, settings.LANGUAGE_COOKIE_SAMESITE),
    )
    translation.activate(language)  # Content-Language of this answer names the new choice
    return response


def save_language(*, member: User, language: str) -> None:
    """The member's choice, for every browser they sign in from, and their emails. Not audited: a
    display preference, not a security fact (as the time zone)."""
    member.language = language
    member.save(update_fields=["language"])

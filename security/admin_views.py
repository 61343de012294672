from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from .overview import overview


def security_overview(request: HttpRequest) -> TemplateResponse:
    """Failed sign-ins over the week, frozen accounts, most targeted usernames and busiest addresses."""
    if not request.user.has_perm("security.view_securityevent"):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": gettext("Security overview"), **overview()}
    return TemplateResponse(request, "admin/security/overview.html", context)

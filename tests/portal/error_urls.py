"""The portal's URLs, plus pages that fail on purpose, to show each error page through the test client."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.shortcuts import render
from django.urls import path

from portal.urls import handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler500", "urlpatterns"]


@login_not_required
def bad_request(request):
    raise BadRequest("unreadable")


@login_not_required
def forbidden(request):
    raise PermissionDenied


@login_not_required
def too_many(request):
    return render(request, "429.html", status=429)


@login_not_required
def broken(request):
    raise RuntimeError("a failure inside a view")


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", forbidden),
    path("test-errors/429/", too_many),
    path("test-errors/500/", broken),
    *portal_urlpatterns,
]

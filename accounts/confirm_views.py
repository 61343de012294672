"""The "Confirm it's you" page: the password again, to unlock a session reopened from outside the portal."""

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from security import sessions
from security.forms import ConfirmItsYouForm
from security.middleware import allowed_while_locked
from security.request_checks import safe_next_path


@sensitive_post_parameters()
@csrf_protect
@never_cache
@allowed_while_locked
def confirm_its_you(request: HttpRequest) -> HttpResponse:
    next_url = safe_next_path(request, request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME)))
    target = next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
    if not sessions.is_locked(request):
        return redirect(target)  # nothing to confirm (another tab already did)
    form = ConfirmItsYouForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not sessions.confirm(request):
            return redirect(settings.LOGIN_URL)  # the session was ended meanwhile
        return HttpResponseRedirect(target)
    busy = form.has_error("current_password", "busy")
    context = {"form": form, "next": next_url, "member": request.user}
    return render(request, "accounts/confirm.html", context, status=429 if busy else 200)

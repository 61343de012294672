"""Small helpers the tests share."""

import re

from security.models import SecurityEvent

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def sign_in(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def page_without_tokens(response):
    """The page as an observer compares it: the per-response CSRF token masked out."""
    return CSRF_INPUT.sub('name="csrfmiddlewaretoken" value="…"', response.content.decode())


def event_kinds(**filters):
    return list(SecurityEvent.objects.filter(**filters).order_by("id").values_list("kind", flat=True))

"""What the portal writes down for a typed username: the member's, or a keyed stand-in.

People type passwords into the username box. A typed name is kept (in the audit log, axes'
attempts, the freeze's gate, the reset's strikes, the server log) only when it names an account;
otherwise a keyed hash of it is kept instead, so repeated attempts at one unknown name still group
together (and freeze together) without the text itself ever being stored.
"""

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

PSEUDONYM_PREFIX = "unknown:"


def normalize_username(username: object) -> str:
    """The one spelling of a username used for lookup and lockout: NFKC, trimmed, lower case.

    Sign-in and the freeze counter share it, so "Alice" and "ａｌｉｃｅ" are the same account and
    cannot be used to get five more guesses each.
    """
    return unicodedata.normalize("NFKC", str(username)).strip().lower()


def normalize(typed: str) -> str:
    return get_user_model().normalize_username(typed)


def pseudonym(normalized: str) -> str:
    """The stand-in for a name that is no account's: stable, and unreadable without the key."""
    digest = salted_hmac("security.unknown-username", normalized, secret=settings.PORTAL_AUDIT_CHAIN_KEY)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:32]


def is_pseudonym(value: str) -> bool:
    return value.startswith(PSEUDONYM_PREFIX)


def _accounts_named(normalized: str) -> QuerySet[Any]:
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: normalized})


def find_account(typed: str) -> Any:
    """The account a typed username (any spelling of it) or a lockout key names; None for a stand-in."""
    if is_pseudonym(typed):
        return None
    return _accounts_named(normalize(typed)).first()


def usernames_of_accounts(names: Iterable[str]) -> set[str]:
    """Which of these usernames (lockout keys, already normalized) name an account, in one query."""
    model = get_user_model()
    field = model.USERNAME_FIELD
    return set(model._default_manager.filter(**{f"{field}__in": list(names)}).values_list(field, flat=True))


def account_key(typed: str) -> str:
    """The key a typed username is counted and recorded under: the account's username, or its stand-in."""
    if is_pseudonym(typed):
        return typed
    normalized = normalize(typed)
    return normalized if _accounts_named(normalized).exists() else pseudonym(normalized)


def key_for_request(request: HttpRequest | None, typed: str) -> str:
    """account_key, asked at most once per request and name (axes asks several times per sign-in)."""
    if request is None:
        return account_key(typed)
    known: dict[str, str] = request.__dict__.setdefault("_portal_account_keys", {})
    if typed not in known:
        known[typed] = account_key(typed)
    return known[typed]

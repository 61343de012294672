"""SESSION_ENGINE: Django's database sessions, written once per sign-in, and always listed.

The same table and the same rows as django.contrib.sessions.backends.db; these things differ:

- A new session's key is not looked up first. Keys are 32 random characters from 36 (165 bits),
  and the row is always inserted (never upserted), so the primary key would refuse a clash.
- A new key (login() cycles the key) is only chosen at first; the row is inserted by the first
  save, with everything the request put into the session by then. Django inserts an empty row and
  then updates it.
- Saving again a session this request already wrote, and has not changed since, writes nothing.
  The sign-in saves its session inside its own transaction, with the sign-in's audit event; the
  session middleware's save afterwards then costs nothing.
- The member's list of sessions (MemberSession) never loses sight of a signed-in session. A new
  key (cycle_key() from login() and update_session_auth_hash(), or create() on a session that
  had one) takes the listed session along (its lock on return too), in the transaction that
  deletes the old key's row; if the listing was ended meanwhile, the session ends instead of
  moving. Deleting a session (flush(), logout(), ending it) ends its listing. A signed-in session
  written without a listing (a login() that did not go through sessions.start(), such as a test's
  force_login) is listed as its row is inserted. So every signed-in session carries LISTED_KEY and
  has a live listing.
"""

from contextlib import nullcontext
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .models import MemberSession

# In the session's data: this session has (or had) a row in MemberSession.
LISTED_KEY = "policy_listed"


class SessionStore(db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        self._unwritten_key = False  # a key chosen by create(), its row not inserted yet
        self._written = False  # written by this request and not changed since
        super().__init__(session_key)

    @property
    def modified(self) -> bool:
        return self._modified

    @modified.setter
    def modified(self, value: bool) -> None:
        # Every change to the session's data sets modified (as Django's own code requires).
        self._modified = value
        if value:
            self._written = False

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def create(self) -> None:
        """A new key for this session, keeping its data (read first, under the old key if any)."""
        data: dict[str, Any] = self._get_session()  # type: ignore[attr-defined]  # django-stubs leaves it out
        previous = self._session_key  # None when there was none, or its row had gone
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self._unwritten_key = True
        self.modified = True  # which also marks it as not written
        if previous is not None:
            self._rekey(previous)

    def cycle_key(self) -> None:
        self.create()  # create() already keeps the data and retires the old key

    def _rekey(self, previous: str) -> None:
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using, savepoint=False):
            followed = (
                MemberSession.objects.using(using)
                .filter(session_key=previous, ended_at__isnull=True)
                .update(session_key=self._session_key)
            )
            super().delete(previous)
        if not followed and self._session_cache.get(LISTED_KEY):
            # Its listing was ended (perhaps by "end all sessions" at this very moment): it must not live on.
            self._session_cache = {}

    def delete(self, session_key: str | None = None) -> None:
        """Delete the session's row, and end its listing with it, in one transaction."""
        key = session_key or self.session_key
        if key is None:
            return
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using, savepoint=False):
            super().delete(key)
            MemberSession.objects.using(using).filter(session_key=key, ended_at__isnull=True).update(
                ended_at=timezone.now(), end_reason="signed_out"
            )

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        if self._unwritten_key or must_create:
            self._insert()
        elif not self._written:
            super().save()
        self._unwritten_key = False
        self._written = True

    def _insert(self) -> None:
        """The new row (and a listing if it is signed in and has none): in the caller's transaction
        if there is one, else in one of its own."""
        data: dict[str, Any] = self._get_session(no_load=True)  # type: ignore[attr-defined]  # django-stubs leaves it out
        unlisted = SESSION_KEY in data and not data.get(LISTED_KEY)
        if unlisted:
            data[LISTED_KEY] = True
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        try:
            with transaction.atomic(using=using, savepoint=False) if unlisted else nullcontext():
                obj.save(force_insert=True, using=using)
                if unlisted:
                    MemberSession.objects.using(using).create(session_key=obj.session_key, member_id=data[SESSION_KEY])
        except IntegrityError as error:
            raise CreateError from error

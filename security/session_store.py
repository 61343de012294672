"""SESSION_ENGINE: Django's database sessions, written once per sign-in.

The same table and the same rows as django.contrib.sessions.backends.db; three things differ:

- A new session's key is not looked up first. Keys are 32 random characters from 36 (165 bits),
  and the row is always inserted (never upserted), so the primary key would refuse a clash.
- A new key (login() cycles the key) is only chosen at first; the row is inserted by the first
  save, with everything the request put into the session by then. Django inserts an empty row and
  then updates it.
- Saving again a session this request already wrote, and has not changed since, writes nothing.
  The sign-in saves its session inside its own transaction, with the sign-in's audit event; the
  session middleware's save afterwards then costs nothing.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.db import IntegrityError, router
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    def __init__(self, session_key=None):
        self._unwritten_key = False  # a key chosen by create(), its row not inserted yet
        self._written = False  # written by this request and not changed since
        super().__init__(session_key)

    @property
    def modified(self):
        return self._modified

    @modified.setter
    def modified(self, value):
        # Every change to the session's data sets modified (as Django's own code requires).
        self._modified = value
        if value:
            self._written = False

    def _get_new_session_key(self):
        return get_random_string(32, VALID_KEY_CHARS)

    def create(self):
        self._session_key = self._get_new_session_key()
        self._unwritten_key = True
        self.modified = True  # which also marks it as not written

    def save(self, must_create=False):
        if self.session_key is None:
            self.create()
        if self._unwritten_key:
            self._insert()
        elif must_create or not self._written:
            super().save(must_create=must_create)
        self._unwritten_key = False
        self._written = True

    def _insert(self):
        """The new row: in the caller's transaction if there is one, else on its own."""
        obj = self.create_model_instance(self._get_session(no_load=True))
        try:
            obj.save(force_insert=True, using=router.db_for_write(self.model, instance=obj))
        except IntegrityError as error:
            raise CreateError from error

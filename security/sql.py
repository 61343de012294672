"""A few short statements written out in SQL, on the paths every sign-in takes.

Each is one statement on one indexed row. Written out, the SQL says exactly what is locked, and it
costs less CPU than having the ORM build the same statement on every request.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model


def run(statement: str, params: Sequence[Any] = (), **tables: type[Model]) -> tuple[Any, ...] | None:
    """Run one statement and return its first row (None when it returns none).

    `{name}` in the statement is the quoted table of the model passed as `name=Model`, and
    `{for_update}` locks the rows read (SQLite has no row locks: its transactions begin with
    BEGIN IMMEDIATE, which takes the database's write lock). Every value is a parameter.
    """
    names = {name: connection.ops.quote_name(model._meta.db_table) for name, model in tables.items()}
    names["for_update"] = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(statement.format(**names), params)
        return cursor.fetchone() if cursor.description else None


def timestamp(moment: datetime) -> Any:
    """A datetime as the database takes it in a parameter, as the ORM would pass it."""
    return connection.ops.adapt_datetimefield_value(moment)

"""Model fields of the security app."""

from typing import Any

from django.db import models


class UnmigratedChoicesCharField(models.CharField):
    """A CharField whose choices serve forms, the admin and get_FOO_display(), but not migrations.

    Choices never change the database column, so leaving them out of deconstruct() means a new
    choice costs no migration, and two changes that each add one cannot conflict.
    """

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        # The plain CharField path: migrations never import this class, so it can move or go freely.
        return name, "django.db.models.CharField", args, kwargs

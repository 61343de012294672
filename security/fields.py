"""Model fields of the security app."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.expressions import Combinable

# Generic only in django-stubs: Django's own CharField takes no type arguments at run time.
if TYPE_CHECKING:
    _CharField = models.CharField[str | int | Combinable, str]
else:
    _CharField = models.CharField


class UnmigratedChoicesCharField(_CharField):
    """A CharField whose choices (and label) serve forms, the admin and get_FOO_display(), but not migrations.

    Choices never change the database column, so leaving them out of deconstruct() means a new
    choice costs no migration, and two changes that each add one cannot conflict; the same for the
    translated label, which only the admin shows.
    """

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        kwargs.pop("verbose_name", None)
        # The plain CharField path: migrations never import this class, so it can move or go freely.
        return name, "django.db.models.CharField", args, kwargs

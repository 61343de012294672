from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Members and staff")

    def ready(self) -> None:
        from django.db.models import CharField
        from django.db.models.functions import Lower

        # email__lower=... matches the functional index on LOWER(email).
        CharField.register_lookup(Lower)

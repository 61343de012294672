from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and staff"

    def ready(self) -> None:
        from django.db.models import CharField
        from django.db.models.functions import Lower

        # email__lower=... matches the functional index on LOWER(email).
        CharField.register_lookup(Lower)

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # The system checks register themselves; the new-browser notice listens for user_logged_in.
        from . import checks, notices  # noqa: F401

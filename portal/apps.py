from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Member portal")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin (INSTALLED_APPS names this), with the support site as admin.site."""

    # Not a candidate for the "portal" entry in INSTALLED_APPS: that one is PortalConfig.
    default = False
    default_site = "portal.admin.SupportSite"

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Member portal"


class PortalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin (INSTALLED_APPS names this), with the support site as admin.site."""

    # Not a candidate for the "portal" entry in INSTALLED_APPS: that one is PortalConfig.
    default = False
    default_site = "portal.admin.SupportSite"

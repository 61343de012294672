from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from accounts.views import sign_out
from security.admin_views import security_overview
from security.middleware import background_request

from . import views

# Part of loading any page, not the member's doing: it does not extend the session.
javascript_catalog = login_not_required(background_request(JavaScriptCatalog.as_view(packages=["portal", "security"])))

# A failure inside a view: the branded page, rendered without the request.
handler500 = views.server_error

# admin.site is the support site (portal.admin.SupportSite, set in portal.apps.PortalAdminConfig).
urlpatterns = [
    path("", views.home, name="home"),
    path("", include("portal.member_urls")),
    path("security/", views.security_page, name="security_page"),
    path("language-assistance/", views.language_assistance, name="language_assistance"),
    # The djangojs catalog of the active language (locale/, not the admin's), so scripts can call gettext().
    path("jsi18n/", javascript_catalog, name="javascript_catalog"),
    path("healthz", views.healthz, name="healthz"),
    # One sign-in page for everyone, so the admin gets the same freeze and address limits.
    path("admin/login/", views.admin_sign_in),
    # The support site's own sign-out and password pages are ours: audited, and the same for everyone.
    path("admin/logout/", sign_out),
    path("admin/password_change/", RedirectView.as_view(pattern_name="accounts:change_password")),
    path("admin/security-overview/", admin.site.admin_view(security_overview), name="security_overview"),
    path("admin/", admin.site.urls),
    path("accounts/password-reset/", include("security.urls")),
    path("accounts/", include("accounts.urls")),
]

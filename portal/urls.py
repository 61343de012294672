from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from . import views

# The support site requires a session verified by a second factor (django-otp).
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Member Portal support"
admin.site.site_title = "Member Portal support"

urlpatterns = [
    path("", views.home, name="home"),
    path("security/", views.security_page, name="security_page"),
    path("healthz", views.healthz, name="healthz"),
    # One sign-in page for everyone, so the admin gets the same freeze and address limits.
    path("admin/login/", views.admin_sign_in),
    path("admin/", admin.site.urls),
    path("accounts/password-reset/", include("security.urls")),
    path("accounts/", include("accounts.urls")),
]

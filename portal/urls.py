from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

admin.site.site_header = "Member Portal support"
admin.site.site_title = "Member Portal support"

urlpatterns = [
    path("", views.home, name="home"),
    # One sign-in page for everyone, so the admin gets the same freeze and address limits.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
]

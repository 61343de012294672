from django.urls import path

from . import passkey_views, views

app_name = "password_reset"
urlpatterns = [
    path("", views.start, name="start"),
    path("questions/", views.answers, name="answers"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("second-factor/passkey/options/", passkey_views.reset_options, name="passkey_options"),
    path("second-factor/passkey/", passkey_views.reset_passkey, name="passkey"),
    path("new-password/", views.password, name="password"),
    path("done/", views.done, name="done"),
]

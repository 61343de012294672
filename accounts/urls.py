from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("security/", views.security_settings, name="security"),
    path("security/questions/", views.choose_questions, name="choose_questions"),
    path("security/password/", views.change_password, name="change_password"),
]

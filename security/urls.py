from django.urls import path

from . import views

app_name = "password_reset"
urlpatterns = [
    path("", views.start, name="start"),
    path("questions/", views.answers, name="answers"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("new-password/", views.password, name="password"),
    path("done/", views.done, name="done"),
]

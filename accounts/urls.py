from django.urls import path

from . import confirm_views, language_views, session_views, twofactor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("language/", language_views.set_language, name="set_language"),
    path("confirm/", confirm_views.confirm_its_you, name="confirm"),
    path("security/", views.security_settings, name="security"),
    path("security/questions/", views.choose_questions, name="choose_questions"),
    path("security/password/", views.change_password, name="change_password"),
    path("session/", session_views.session_status, name="session_status"),
    path("session/keep-alive/", session_views.keep_alive, name="keep_alive"),
    path("security/activity/", session_views.sign_in_activity, name="activity"),
    path("security/sessions/", session_views.active_sessions, name="sessions"),
    path("security/sessions/<int:session_id>/end/", session_views.end_session, name="end_session"),
    path("security/sessions/end-others/", session_views.end_other_sessions, name="end_other_sessions"),
    path("login/code/", twofactor_views.verify_code, name="verify_code"),
    path("security/two-factor/", twofactor_views.two_factor_settings, name="two_factor"),
    path("security/two-factor/setup/", twofactor_views.two_factor_setup, name="two_factor_setup"),
    path("security/two-factor/backup-codes/", twofactor_views.backup_codes, name="backup_codes"),
    path("security/two-factor/remove/", twofactor_views.remove_two_factor, name="remove_two_factor"),
]

from django.urls import path

from . import confirm_views, language_views, passkey_views, session_views, twofactor_views, views

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
    path("login/passkey/options/", passkey_views.sign_in_options, name="passkey_sign_in_options"),
    path("login/passkey/", passkey_views.sign_in, name="passkey_sign_in"),
    path("login/code/passkey/options/", passkey_views.second_factor_options, name="passkey_second_factor_options"),
    path("login/code/passkey/", passkey_views.second_factor, name="passkey_second_factor"),
    path("security/passkeys/", passkey_views.passkey_list, name="passkeys"),
    path("security/passkeys/add/options/", passkey_views.add_options, name="passkey_add_options"),
    path("security/passkeys/add/", passkey_views.add, name="passkey_add"),
    path("security/passkeys/verify/options/", passkey_views.verify_options, name="passkey_verify_options"),
    path("security/passkeys/verify/", passkey_views.verify, name="passkey_verify"),
    path("security/passkeys/<int:passkey_id>/rename/", passkey_views.rename, name="passkey_rename"),
    path("security/passkeys/<int:passkey_id>/remove/", passkey_views.remove, name="passkey_remove"),
    path("security/two-factor/", twofactor_views.two_factor_settings, name="two_factor"),
    path("security/two-factor/setup/", twofactor_views.two_factor_setup, name="two_factor_setup"),
    path("security/two-factor/backup-codes/", twofactor_views.backup_codes, name="backup_codes"),
    path("security/two-factor/remove/", twofactor_views.remove_two_factor, name="remove_two_factor"),
]

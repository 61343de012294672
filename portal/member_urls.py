from django.urls import path

from . import member_views

app_name = "member"
urlpatterns = [
    path("id-card/", member_views.id_card, name="id_card"),
    path("id-card/<str:card_id>/", member_views.id_card, name="family_id_card"),
    path("id-card/<str:card_id>/pdf/", member_views.id_card_download, name="id_card_pdf"),
    path("claims/", member_views.claims, name="claims"),
    path("claims/<str:claim_number>/", member_views.claim_detail, name="claim"),
    path("profile/", member_views.profile, name="profile"),
    path("profile/email/", member_views.change_email, name="change_email"),
    path("profile/email/pending/", member_views.pending_email, name="pending_email"),
    path("profile/email/confirm/<str:token>/", member_views.confirm_email, name="confirm_email"),
    path("profile/time-zone/", member_views.time_zone, name="time_zone"),
    path("profile/time-zone/browser/", member_views.default_time_zone, name="default_time_zone"),
]

from tests.conftest import MEMBER_PASSWORD, totp_code
from tests.helpers import sign_in


def test_it_sends_the_support_site_through_the_one_sign_in_page(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/"


def test_it_lets_staff_into_the_support_site_after_both_factors(client, make_member, enroll_totp):
    device = enroll_totp(make_member("sam", is_staff=True, is_superuser=True))
    response = sign_in(client, "sam", MEMBER_PASSWORD, next="/admin/")
    assert response["Location"] == "/accounts/login/code/"
    assert client.get("/admin/").status_code == 302
    assert client.post("/accounts/login/code/", {"code": totp_code(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_it_refuses_the_support_site_to_staff_without_a_verified_second_factor(client, make_member, enroll_totp):
    staff = make_member("sam", is_staff=True, is_superuser=True)
    client.force_login(staff)  # a password-only session
    assert client.get("/admin/", follow=True).redirect_chain[-1][0] == "/accounts/security/two-factor/setup/"
    enroll_totp(staff)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403 and "two-factor" in response.content.decode()


def test_it_turns_a_member_away_from_the_support_site_without_a_loop(client, member):
    client.force_login(member)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "This area is for support staff" in response.content.decode()
    assert len(response.redirect_chain) == 1


def test_it_freezes_staff_accounts_too(client, make_member):
    make_member("sam", is_staff=True)
    for _ in range(5):
        sign_in(client, "sam", "wrong", next="/admin/")
    assert sign_in(client, "sam", MEMBER_PASSWORD, next="/admin/").status_code == 403


def test_the_support_sites_sign_out_is_the_portals(staff_client):
    from security.models import SecurityEvent

    response = staff_client.post("/admin/logout/")
    assert response["Location"] == "/accounts/signed-out/" and response["Clear-Site-Data"]
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGNED_OUT, username="sam").exists()
    assert staff_client.get("/admin/").status_code == 302

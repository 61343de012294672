"""Staff choose their time zone from the support site's header, and are sent back to the support site
(members back to their profile)."""


def test_a_staff_member_who_saves_a_time_zone_is_back_on_the_support_site(staff_client):
    page = staff_client.get("/admin/").content.decode()
    assert 'href="/profile/time-zone/"' in page
    form = staff_client.get("/profile/time-zone/").content.decode()
    assert '<a href="/admin/">Cancel</a>' in form
    response = staff_client.post("/profile/time-zone/", {"time_zone": "America/Denver"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    back = staff_client.get("/admin/").content.decode()
    assert "Your time zone is saved." in back and ">Times in America/Denver</a>" in back
    staff_client.staff.refresh_from_db()
    assert staff_client.staff.time_zone == "America/Denver"


def test_a_support_agent_without_superuser_rights_is_sent_back_too(role_client):
    client = role_client("Support")
    response = client.post("/profile/time-zone/", {"time_zone": "America/Chicago"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_member_is_still_sent_to_the_profile(client, member):
    client.force_login(member)
    assert '<a href="/profile/">Cancel</a>' in client.get("/profile/time-zone/").content.decode()
    response = client.post("/profile/time-zone/", {"time_zone": "America/Chicago"})
    assert response.status_code == 302 and response["Location"] == "/profile/"


def test_a_refused_zone_keeps_the_staff_member_on_the_form_with_the_way_back(staff_client):
    response = staff_client.post("/profile/time-zone/", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert '<a href="/admin/">Cancel</a>' in response.content.decode()

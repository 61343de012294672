"""The passkey relying party the portal is configured with (security.E034, security.E035): a passkey
works only for the domain it was made for, so a wrong RP id or origin list makes every ceremony fail,
or lets a page on another site ask for the members' passkeys."""

import pytest

from security.checks import check_passkey_relying_party


def ids(errors):
    return [error.id for error in errors]


def configure(settings, *, rp_id, origins, hosts):
    settings.OTP_WEBAUTHN_RP_ID = rp_id
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = origins
    settings.ALLOWED_HOSTS = hosts


@pytest.mark.parametrize(
    ("rp_id", "origins", "hosts"),
    [
        ("members.example.com", ["https://members.example.com"], ["members.example.com"]),
        ("example.com", ["https://members.example.com"], ["members.example.com"]),  # a parent domain
        ("Members.Example.com", ["https://members.example.com:8443"], ["members.example.com"]),
        ("example.com", ["https://members.example.com"], [".example.com"]),  # a leading-dot entry
        ("members.example.com", ["https://members.example.com"], [".members.example.com"]),
        ("example.com", ["https://example.com", "https://members.example.com"], ["example.com", "members.example.com"]),
        ("localhost", ["http://localhost:8000", "https://localhost:8443"], ["localhost"]),
    ],
)
def test_it_accepts_the_portals_own_domain(settings, rp_id, origins, hosts):
    configure(settings, rp_id=rp_id, origins=origins, hosts=hosts)
    assert check_passkey_relying_party(None) == []


def test_the_shipped_development_defaults_pass(settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://localhost:8443", "https://localhost"]
    assert check_passkey_relying_party(None) == []


@pytest.mark.parametrize(
    ("rp_id", "hosts"),
    [
        ("evil.example", ["members.example.com"]),  # another domain
        ("other-example.com", ["members.example.com"]),  # ends with the name, but not a parent domain
        ("members.example.com.evil.example", ["members.example.com"]),
        ("staging.members.example.com", ["members.example.com"]),  # a subdomain of the host, not a parent
        ("127.0.0.1", ["127.0.0.1"]),  # an IP address, even one the portal serves
        ("[::1]", ["[::1]"]),
        ("::1", ["::1"]),
        ("", ["members.example.com"]),
        ("example.com", ["*"]),  # a wildcard names no domain
        ("example.com", []),
    ],
)
def test_it_refuses_an_rp_id_that_is_not_the_portals_domain(settings, rp_id, hosts):
    configure(settings, rp_id=rp_id, origins=[f"https://{rp_id or 'members.example.com'}"], hosts=hosts)
    errors = check_passkey_relying_party(None)
    assert ids(errors) == ["security.E034"]
    assert repr(rp_id) in errors[0].msg and "PORTAL_PASSKEY_RP_ID" in errors[0].hint


def test_the_refusal_names_the_hosts_it_compared_with(settings):
    configure(settings, rp_id="evil.example", origins=["https://evil.example"], hosts=["a.example", "b.example"])
    (error,) = check_passkey_relying_party(None)
    assert "'evil.example'" in error.msg and "a.example, b.example" in error.msg


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",  # another domain
        "https://members.example.com.evil.example",
        "https://example.com",  # the parent of the RP id: a passkey for members.example.com is not its
        "http://members.example.com",  # not https, and not localhost
        "https://members.example.com/accounts/login/",  # a path
        "https://members.example.com/?next=/",  # a query
        "members.example.com",  # no scheme
        "ftp://members.example.com",
        "",
    ],
)
def test_it_refuses_an_origin_not_under_the_rp_id(settings, origin):
    configure(
        settings,
        rp_id="members.example.com",
        origins=["https://members.example.com", origin],
        hosts=["members.example.com", "example.com"],
    )
    errors = check_passkey_relying_party(None)
    assert ids(errors) == ["security.E035"]
    assert repr(origin) in errors[0].msg and "members.example.com" in errors[0].msg


def test_it_refuses_each_bad_origin_once(settings):
    configure(
        settings,
        rp_id="members.example.com",
        origins=["https://evil.example", "https://members.example.com", "http://members.example.com"],
        hosts=["members.example.com"],
    )
    errors = check_passkey_relying_party(None)
    assert ids(errors) == ["security.E035", "security.E035"]
    assert "'https://evil.example'" in errors[0].msg and "'http://members.example.com'" in errors[1].msg


def test_it_refuses_an_empty_origin_list(settings):
    configure(settings, rp_id="members.example.com", origins=[], hosts=["members.example.com"])
    errors = check_passkey_relying_party(None)
    assert ids(errors) == ["security.E035"]
    assert "PORTAL_PASSKEY_ORIGINS is empty" in errors[0].msg


def test_plain_http_is_for_localhost_only(settings):
    configure(settings, rp_id="localhost", origins=["http://localhost:8000"], hosts=["localhost"])
    assert check_passkey_relying_party(None) == []
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost"]
    assert check_passkey_relying_party(None) == []
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost.evil.example:8000"]
    assert ids(check_passkey_relying_party(None)) == ["security.E035"]
    configure(settings, rp_id="example.com", origins=["http://members.example.com:8000"], hosts=["members.example.com"])
    assert ids(check_passkey_relying_party(None)) == ["security.E035"]


def test_it_is_a_registered_security_check(settings):
    from django.core.checks import registry

    configure(settings, rp_id="evil.example", origins=["https://evil.example"], hosts=["members.example.com"])
    errors = registry.run_checks(tags=["security"])
    assert "security.E034" in ids(errors)

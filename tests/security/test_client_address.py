"""The client address: REMOTE_ADDR, or X-Forwarded-For read from the right when the peer is a trusted proxy."""

import ipaddress
import runpy
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from security.addresses import client_ip, resolve
from security.checks import check_trusted_proxies
from security.models import MemberSession, SecurityEvent
from tests.conftest import MEMBER_PASSWORD

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
NGINX = "10.0.0.1"


def request_from(remote_addr, forwarded_for=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


def sign_in(client, username, password, **meta):
    return client.post("/accounts/login/", {"username": username, "password": password}, **meta)


@pytest.fixture
def behind_nginx(settings):
    settings.PORTAL_TRUSTED_PROXIES = [NGINX]
    settings.PORTAL_BEHIND_TLS_PROXY = True
    return settings


def test_it_ignores_a_forwarded_for_header_when_no_proxy_is_trusted(settings):
    settings.PORTAL_TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_it_ignores_a_forwarded_for_header_from_a_peer_that_is_not_a_trusted_proxy(behind_nginx):
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.2", "198.51.100.1")) == "10.0.0.2"


def test_it_takes_the_address_a_trusted_proxy_reports(behind_nginx):
    assert client_ip(request_from(NGINX, "198.51.100.23")) == "198.51.100.23"


def test_it_takes_the_right_most_address_that_is_not_a_proxy(behind_nginx):
    # A proxy that appends: the client wrote everything left of the address the proxy saw.
    assert client_ip(request_from(NGINX, "127.0.0.1, 6.6.6.6, 198.51.100.23")) == "198.51.100.23"


def test_it_walks_a_chain_of_trusted_proxies(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.0/24", "2001:db8:ffff::/48"]
    chain = "6.6.6.6, 198.51.100.23, 2001:db8:ffff::9, 192.0.2.10, 10.20.30.40"
    assert client_ip(request_from("10.0.0.1", chain)) == "198.51.100.23"


def test_it_reads_several_forwarded_for_headers_joined_by_commas(behind_nginx):
    # What gunicorn makes of two X-Forwarded-For headers: their values joined by a comma, in order.
    assert client_ip(request_from(NGINX, "6.6.6.6, 7.7.7.7,198.51.100.23")) == "198.51.100.23"


def test_it_takes_the_left_most_address_when_every_hop_is_a_proxy(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.1", "10.9.9.9, 10.1.1.1")) == "10.9.9.9"


def test_it_follows_at_most_twenty_proxies(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/8"]
    hops = [f"10.0.0.{n}" for n in range(100, 125)]  # 25 of ours, the farthest first
    assert client_ip(request_from("10.0.0.1", ", ".join(["198.51.100.23", *hops]))) == "10.0.0.105"
    assert client_ip(request_from("10.0.0.1", ", ".join(["198.51.100.23", *hops[-19:]]))) == "198.51.100.23"


def test_it_takes_the_proxy_itself_when_it_sends_no_forwarded_for(behind_nginx):
    assert client_ip(request_from(NGINX)) == NGINX
    assert client_ip(request_from(NGINX, "")) == NGINX


@pytest.mark.parametrize(
    "forwarded_for",
    ["6.6.6.6, unknown", "6.6.6.6, ", "6.6.6.6,,", "6.6.6.6, 999.1.1.1", "6.6.6.6, 1.2.3.4:http", "6.6.6.6, [::1"],
)
def test_it_never_believes_what_lies_left_of_an_unreadable_entry(behind_nginx, forwarded_for):
    assert client_ip(request_from(NGINX, forwarded_for)) == NGINX


def test_it_stops_at_the_last_readable_proxy_before_an_unreadable_entry(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.1", "6.6.6.6, garbage, 10.2.2.2")) == "10.2.2.2"


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("198.51.100.23:51234", "198.51.100.23"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("2001:0DB8:0000:0000::ABCD", "2001:db8::abcd"),
        ("::ffff:198.51.100.23", "198.51.100.23"),
        ("  198.51.100.23  ", "198.51.100.23"),
    ],
)
def test_it_reads_ports_brackets_and_ipv6_spellings_as_one_address(behind_nginx, entry, address):
    assert client_ip(request_from(NGINX, entry)) == address


def test_it_stores_an_ipv4_mapped_peer_as_ipv4_and_matches_it_against_ipv4_proxies(behind_nginx):
    assert client_ip(request_from("::ffff:203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from(f"::ffff:{NGINX}", "198.51.100.23")) == "198.51.100.23"


def test_it_matches_an_ipv4_peer_against_a_proxy_written_as_ipv4_mapped(settings):
    settings.PORTAL_TRUSTED_PROXIES = [f"::ffff:{NGINX}"]
    assert client_ip(request_from(NGINX, "198.51.100.23")) == "198.51.100.23"


def test_it_trusts_ipv6_proxies(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["2001:db8:ffff::/48"]
    assert client_ip(request_from("2001:db8:ffff::1", "2001:db8:1::5")) == "2001:db8:1::5"
    assert client_ip(request_from("2001:db8:1::6", "2001:db8:1::5")) == "2001:db8:1::6"


def test_it_drops_an_interface_zone_from_a_link_local_peer(settings):
    assert client_ip(request_from("fe80::1%eth0")) == "fe80::1"


@pytest.mark.parametrize("remote_addr", ["", "unix:/run/portal.sock", "localhost", "1.2.3.4.5", "x" * 5000])
def test_it_has_no_address_for_a_peer_that_has_none(settings, remote_addr):
    assert client_ip(request_from(remote_addr, "198.51.100.1")) is None


def test_it_has_no_address_for_a_request_without_remote_addr():
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    assert client_ip(request) is None


@pytest.mark.parametrize(
    "forwarded_for",
    [
        "\x00",
        "," * 4000,
        "1.2.3.4, " * 1000,
        "[[::1]]",
        "[::1]:99999999999999999999",
        "1.2.3.4:80:90",
        "::ffff:999.1.1.1",
        "fe80::1%",
        "%eth0",
        "١٢.٣.٤.٥",
        "１.2.3.4",
        "01.2.3.4",
        "0x7f.0.0.1",
        "2001:db8::1/64",
        "\u2028198.51.100.1",
        "198.51.100.1\t",
        '"198.51.100.1"',
        "for=198.51.100.1",
    ],
)
def test_it_never_raises_on_garbage_and_gives_only_real_addresses(behind_nginx, forwarded_for):
    address = client_ip(request_from(NGINX, forwarded_for))
    assert address is not None
    assert str(ipaddress.ip_address(address)) == address


def test_it_works_the_address_out_once_per_request(behind_nginx):
    request = request_from(NGINX, "198.51.100.23")
    assert client_ip(request) == "198.51.100.23"
    request.META["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"
    assert client_ip(request) == "198.51.100.23"


def test_it_gives_axes_the_same_address(behind_nginx):
    assert get_client_ip_address(request_from(NGINX, "6.6.6.6, 198.51.100.23")) == "198.51.100.23"
    assert get_client_ip_address(request_from("203.0.113.7", "198.51.100.23")) == "203.0.113.7"


def test_it_takes_its_trusted_proxies_from_the_setting_as_it_changes(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert str(resolve("10.0.0.1", "198.51.100.23")) == "198.51.100.23"
    settings.PORTAL_TRUSTED_PROXIES = []
    assert str(resolve("10.0.0.1", "198.51.100.23")) == "10.0.0.1"


def test_it_trusts_nothing_for_an_unreadable_proxy_entry(settings):
    settings.PORTAL_TRUSTED_PROXIES = ["*", "10.0.0.1/8"]
    assert client_ip(request_from("10.0.0.1", "198.51.100.23")) == "10.0.0.1"


# What a client observes at the sign-in page.


def test_it_does_not_let_a_rotating_forwarded_for_dodge_the_address_limit(client, member, settings):
    settings.PORTAL_IP_FAILURE_LIMIT = 3
    for n in range(3):
        assert sign_in(client, f"stuffed-{n}", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code == 200
    refused = sign_in(client, "alice", MEMBER_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert refused.status_code == 429
    recorded = set(SecurityEvent.objects.values_list("ip_address", flat=True))
    assert recorded == {"127.0.0.1"}


def test_it_gives_each_client_behind_the_proxy_its_own_limit_audit_rows_and_sessions(client, member, behind_nginx):
    behind_nginx.PORTAL_IP_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in(client, f"stuffed-{n}", "guess", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.1")
    blocked = sign_in(client, "alice", MEMBER_PASSWORD, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert blocked.status_code == 429

    signed_in = sign_in(client, "alice", MEMBER_PASSWORD, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert signed_in.status_code == 302
    failed_from = set(SecurityEvent.objects.filter(kind="sign_in_failed").values_list("ip_address", flat=True))
    assert failed_from == {"198.51.100.1"}
    succeeded = SecurityEvent.objects.get(kind="sign_in_succeeded")
    assert succeeded.ip_address == "198.51.100.2"
    assert list(MemberSession.objects.values_list("ip_address", flat=True)) == ["198.51.100.2"]


# The system check.


def check_ids():
    return [error.id for error in check_trusted_proxies(None)]


@pytest.fixture
def clean_environment(monkeypatch):
    monkeypatch.delenv("PORTAL_TRUSTED_PROXY_COUNT", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("behind_proxy", "proxies"),
    [(False, []), (True, ["127.0.0.1"]), (True, ["10.0.0.0/8", "2001:db8::/32", "::ffff:192.0.2.1"])],
)
def test_it_passes_both_documented_deployments(settings, clean_environment, behind_proxy, proxies):
    settings.PORTAL_BEHIND_TLS_PROXY = behind_proxy
    settings.PORTAL_TRUSTED_PROXIES = proxies
    assert check_ids() == []


@pytest.mark.parametrize("entry", ["*", "10.0.0.1/8", "nginx.internal", "10.0.0.0/33", "127.0.0.1:8080"])
def test_it_refuses_an_entry_that_is_not_an_address_or_network(behind_nginx, clean_environment, entry):
    behind_nginx.PORTAL_TRUSTED_PROXIES = ["127.0.0.1", entry]
    assert check_ids() == ["security.E010"]


@pytest.mark.parametrize("name", ["PORTAL_TRUSTED_PROXY_COUNT", "FORWARDED_ALLOW_IPS"])
def test_it_refuses_the_old_proxy_variables_left_in_the_environment(behind_nginx, clean_environment, name):
    clean_environment.setenv(name, "1")
    assert check_ids() == ["security.E011"]


def test_it_refuses_a_tls_proxy_without_trusted_proxies(settings, clean_environment):
    settings.PORTAL_BEHIND_TLS_PROXY = True
    settings.PORTAL_TRUSTED_PROXIES = []
    assert check_ids() == ["security.E012"]


def test_it_refuses_trusted_proxies_without_a_tls_proxy(settings, clean_environment):
    settings.PORTAL_BEHIND_TLS_PROXY = False
    settings.PORTAL_TRUSTED_PROXIES = ["127.0.0.1"]
    assert check_ids() == ["security.E013"]


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0", "::ffff:0:0/96"])
def test_it_refuses_trusting_every_address(behind_nginx, clean_environment, entry):
    behind_nginx.PORTAL_TRUSTED_PROXIES = [entry]
    assert check_ids() == ["security.E014"]


def test_it_refuses_djangos_proxy_ssl_header(behind_nginx, clean_environment):
    behind_nginx.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert check_ids() == ["security.E015"]


# gunicorn: the same proxies, and only for the scheme.


def gunicorn_settings(monkeypatch, **environment):
    for name in ("PORTAL_BEHIND_TLS_PROXY", "PORTAL_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_it_lets_gunicorn_trust_no_one_for_https_with_its_own_tls(monkeypatch):
    conf = gunicorn_settings(monkeypatch, FORWARDED_ALLOW_IPS="127.0.0.1,10.0.0.0/8")
    assert conf["forwarded_allow_ips"] == ""
    assert conf["forwarder_headers"] == ""


def test_it_lets_gunicorn_trust_the_portals_proxies_for_x_forwarded_proto_only(monkeypatch):
    conf = gunicorn_settings(
        monkeypatch, PORTAL_BEHIND_TLS_PROXY="true", PORTAL_TRUSTED_PROXIES="10.0.0.1,2001:db8::/32"
    )
    assert conf["forwarded_allow_ips"].split(",") == ["10.0.0.1/32", "::ffff:10.0.0.1/128", "2001:db8::/32"]
    assert conf["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}


def test_it_lets_gunicorn_refuse_to_start_with_a_wildcard_proxy(monkeypatch):
    with pytest.raises(ValueError, match="PORTAL_TRUSTED_PROXIES"):
        gunicorn_settings(monkeypatch, PORTAL_BEHIND_TLS_PROXY="true", PORTAL_TRUSTED_PROXIES="*")

"""The client's address, which keys the per-address limit, the audit log and the session list.

The address is the connection's peer (REMOTE_ADDR), unless that peer is one of our own proxies
(PORTAL_TRUSTED_PROXIES). Only then is X-Forwarded-For read: from the right, each proxy appended the
address it was talking to, so the first address that is not one of ours is the client. Everything to
its left was written by the client and is never believed.
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv4 peers of a dual-stack socket appear as ::ffff:a.b.c.d; they are compared and stored as IPv4.
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
# Longer than any address with a port (with an embedded IPv4, 53 characters); longer is not an address.
MAX_ENTRY_LENGTH = 64
# No chain of our own proxies is this long; past it, no one vouches for the hops, so the walk stops.
MAX_PROXY_HOPS = 20
_CACHED = "_portal_client_ip"


def parse_address(text: str) -> IPAddress | None:
    """An address from a header or REMOTE_ADDR ("a.b.c.d", "a.b.c.d:port", "[v6]", "[v6]:port", "v6"), or None."""
    text = text.strip()
    if not text or len(text) > MAX_ENTRY_LENGTH:
        return None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return None
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
        if not port.isdigit():
            return None
    else:
        host = text
    # A zone ("fe80::1%eth0") names an interface of the machine that saw it, not the client.
    host = host.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_network(entry: str) -> IPNetwork:
    """One PORTAL_TRUSTED_PROXIES entry: an address or a network ("10.0.0.0/8"); ValueError if neither."""
    network = ipaddress.ip_network(entry.strip())  # strict: "10.0.0.1/8" is a mistake, not a network
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(IPV4_MAPPED):
        return ipaddress.IPv4Network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96))
    return network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(parse_network(entry))
        except ValueError:
            continue  # trusts nothing; the system check security.E010 refuses the setting
    return tuple(networks)


def configured_entries() -> list[str]:
    """PORTAL_TRUSTED_PROXIES as a list of entries, also when a settings file spells it as one string."""
    entries = settings.PORTAL_TRUSTED_PROXIES
    if isinstance(entries, str):
        entries = entries.split(",")
    return [str(entry).strip() for entry in entries if str(entry).strip()]


def trusted_proxies() -> tuple[IPNetwork, ...]:
    return _networks(tuple(configured_entries()))


def is_trusted(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def resolve(remote_addr: str, forwarded_for: str) -> IPAddress | None:
    """The client's address given the peer and the X-Forwarded-For header(s), joined by commas."""
    hop = parse_address(remote_addr)
    if hop is None:
        return None
    networks = trusted_proxies()
    if not is_trusted(hop, networks) or not forwarded_for:
        return hop
    for entry in reversed(forwarded_for.rsplit(",", MAX_PROXY_HOPS)[-MAX_PROXY_HOPS:]):
        claimed = parse_address(entry)
        if claimed is None:
            # One of our proxies wrote something unreadable: the nearest hop we can vouch for is the
            # client, never an entry further left, which the client could have written.
            return hop
        hop = claimed
        if not is_trusted(hop, networks):
            return hop
    return hop  # every hop read is one of ours: the farthest is where the request began


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as text (IPv4-mapped IPv6 as IPv4), or None if the peer has none."""
    store = getattr(request, "__dict__", {})
    cached: str | None = store.get(_CACHED, _CACHED)
    if cached is not _CACHED:
        return cached
    meta = getattr(request, "META", {})
    address = resolve(str(meta.get("REMOTE_ADDR") or ""), str(meta.get("HTTP_X_FORWARDED_FOR") or ""))
    value = None if address is None else str(address)
    store[_CACHED] = value
    return value

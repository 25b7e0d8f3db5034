"""The real address of the client, for rate limits, lockouts and the audit's source address.

`X-Forwarded-For` is believed only when the request comes from a proxy listed in
settings.YIMEN_TRUSTED_PROXIES (IPs or CIDRs). Then the header is read from the right: each hop
a trusted proxy added is skipped, and the first address not in the list is the client — so a
client cannot pass itself off as someone else by sending the header itself. With no trusted
proxies (the default) the header is ignored and the peer's address is the client.

`limit_key(ip)` is what counters are keyed on: an IPv4 address, or the /64 network of an IPv6
address (one household or host usually holds a whole /64, so counting single IPv6 addresses
would let one client spread over millions of them).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple) -> tuple:
    nets = []
    for item in spec:
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue  # a typo in the list trusts nothing rather than everything
    return tuple(nets)


def _parse(value):
    try:
        return ipaddress.ip_address((value or "").strip().split("%")[0])
    except ValueError:
        return None


def is_trusted_proxy(address) -> bool:
    ip = address if not isinstance(address, str) else _parse(address)
    if ip is None:
        return False
    return any(
        ip in net for net in _networks(tuple(getattr(settings, "YIMEN_TRUSTED_PROXIES", []) or []))
    )


def client_ip(request) -> str | None:
    """The client's address (a string), or None without a request."""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR") or ""
    peer_ip = _parse(peer)
    if peer_ip is None:
        return None
    if not is_trusted_proxy(peer_ip):
        return str(peer_ip)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR") or ""
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _parse(hop)
        if ip is None:
            return str(peer_ip)  # garbage in the chain: stop at the last address we can vouch for
        if not is_trusted_proxy(ip):
            return str(ip)
    return str(_parse(hops[0]) if hops else peer_ip)  # all hops are our proxies: the first one


def limit_key(ip) -> str:
    """Counter key for an address: IPv4 as is, IPv6 by its /64; 'unknown' without one."""
    parsed = _parse(ip) if isinstance(ip, str) else ip
    if parsed is None:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def is_secure_via_proxy(request) -> bool:
    """X-Forwarded-Proto: https from a trusted proxy (settings.SECURE_PROXY_SSL_HEADER is not
    used: it would believe the header from anyone)."""
    return (
        is_trusted_proxy(request.META.get("REMOTE_ADDR") or "")
        and (request.META.get("HTTP_X_FORWARDED_PROTO") or "").split(",")[0].strip().lower()
        == "https"
    )

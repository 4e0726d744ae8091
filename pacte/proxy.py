"""Who is the client: ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only when the
connection comes from a proxy listed in ``PACTE_TRUSTED_PROXIES`` (addresses or networks).

From any other peer the headers are dropped, so a client cannot pick its own address (and
escape login throttling) or claim HTTPS. Behind trusted proxies, the client is the right-most
address of ``X-Forwarded-For`` that is not itself a trusted proxy; ``REMOTE_ADDR`` is replaced
by it, so everything downstream (throttling, audit, sessions) reads one value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"PACTE_TRUSTED_PROXIES: {value!r} is not an IP address or network."
            ) from None
    return tuple(networks)


@cache
def _trusted() -> tuple[Network, ...]:
    return parse_networks(settings.PACTE_TRUSTED_PROXIES)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote_addr: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address given the peer and its ``X-Forwarded-For`` chain."""
    if not _is_trusted(remote_addr, networks):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote_addr  # garbage from a client: keep the proxy's address
    return hops[0] if hops else remote_addr


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        networks = _trusted()
        if networks and _is_trusted(peer, networks):
            meta["REMOTE_ADDR"] = client_address(
                peer, meta.get("HTTP_X_FORWARDED_FOR", ""), networks
            )
            proto = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                meta["wsgi.url_scheme"] = proto
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)

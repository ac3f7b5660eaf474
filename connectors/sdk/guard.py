"""The SSRF guard of the shared HTTP client (and of anything else that opens a socket).

A URL is fetched only over http(s), and only from hosts whose every address is public:
loopback, private, link-local (cloud metadata at 169.254.169.254), multicast and reserved
addresses are refused, unless private addresses are allowed (tests serve from 127.0.0.1).
The address actually connected to is checked again (``check_peer``): DNS may answer
differently the second time (rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from connectors.sdk.errors import FatalSourceError, RetriableError


def check_url(url: str, *, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FatalSourceError(f"unsupported URL scheme: {url}")
    if allow_private:
        return
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise RetriableError(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        refuse_private(host, str(info[4][0]))


def check_peer(resp: httpx.Response) -> None:
    """Refuse a response from a non-public peer address (before its body is read)."""
    stream = resp.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer:
        refuse_private(resp.url.host, str(peer[0]))


def check_socket(sock: socket.socket, url: str) -> None:
    """Refuse a socket connected to a non-public address (a WebSocket opened by hand)."""
    refuse_private(url, str(sock.getpeername()[0]), how="connected to")


def refuse_private(host: str, address: str, *, how: str = "resolves to") -> None:
    """Raise ``FatalSourceError`` unless ``address`` is public (the one address rule)."""
    addr = ipaddress.ip_address(address.split("%", 1)[0])
    if not addr.is_global:
        raise FatalSourceError(
            f"{host} {how} a non-public address ({addr}); "
            "set NEWSWIRE_HTTP_ALLOW_PRIVATE=true to allow it"
        )

"""API keys: made by ``newswire api keys create NAME``, checked on every request.

A key is 256 random bits (``secrets.token_urlsafe(32)``) behind a ``nwk_`` prefix. The API
stores only ``name:sha256hex`` (``NEWSWIRE_API_KEYS``), never the key. A plain SHA-256 is
the right hash here, not a slow or salted one: those exist to make guessing low-entropy
passwords expensive and to defeat tables precomputed over them, while a uniformly random
256-bit key cannot be guessed or tabled at all (a leaked hash leaves 2^256 preimages to
try). A fast hash also keeps checking a key cheap, so a flood of bad keys costs the API
one hash each rather than tens of milliseconds of CPU.

Without keys the API is for this machine only: :func:`bind_problem` refuses any bind
address that is not loopback, and the guard refuses a non-loopback peer too.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass

PREFIX = "nwk_"  # recognisable in a leak scan; not needed to verify
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    name: str
    key: str

    @property
    def entry(self) -> str:
        """What goes into ``NEWSWIRE_API_KEYS``: the name and the key's hash."""
        return f"{self.name}:{hash_key(self.key)}"


def new_key(name: str) -> NewKey:
    if not NAME.fullmatch(name):
        raise ValueError(f"key name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    return NewKey(name, PREFIX + secrets.token_urlsafe(32))


class KeyRing:
    """The configured keys (``name:sha256hex`` entries); a name may have several (rotation)."""

    def __init__(self, entries: list[str]) -> None:
        self._entries: list[tuple[str, bytes]] = []
        for entry in entries:
            name, _, digest = entry.partition(":")
            self._entries.append((name, bytes.fromhex(digest)))

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> set[str]:
        return {name for name, _ in self._entries}

    def identify(self, key: str) -> str | None:
        """The name the key was issued to, or None. Every entry is compared in constant
        time, and all of them always, so timing tells nothing about which part matched."""
        presented = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
        found: str | None = None
        for name, digest in self._entries:
            if hmac.compare_digest(presented, digest) and found is None:
                found = name
        return found


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_problem(host: str, keys: KeyRing) -> str | None:
    """Why the API must not listen on ``host``, in one line, or None."""
    if keys or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host}: without API keys (NEWSWIRE_API_KEYS) the API serves "
        "loopback only; make one with `newswire api keys create NAME`"
    )

"""Talking to platform APIs through the shared HTTP client.

- :func:`request`: a GET with headers or a form POST carrying credentials (a bearer
  token, an OAuth grant), with the client's guards and pacing;
- :func:`check_rate_limit` / :func:`note_rate_limit`: a platform's announced rate-limit
  window kept in the source's cursor, so an exhausted window is waited out;
- :func:`looks_like_html`: an HTML page (an error, a login wall, a CDN challenge) served
  where JSON or a feed was expected, often with status 200.

Re-exported by :mod:`connectors.sdk.social`, which the social connectors import.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Mapping
from typing import Any

import feedparser

from connectors.sdk.base import Cursor
from connectors.sdk.errors import BadPayload, RetryAfter
from connectors.sdk.http import HttpClient, Response

# -- rate-limit budgets -----------------------------------------------------------------
# Platforms announce what is left of a window (X-RateLimit-Remaining) and when it resets.
# The connector records an exhausted window in its cursor, so the next poll waits it out
# with RetryAfter instead of spending a request the platform would refuse.

RETRY_AT = "rate_limited_until"
"""Cursor key: epoch seconds before which the source must not call the platform."""


def check_rate_limit(cursor: Cursor) -> None:
    """Raise ``RetryAfter`` while a window recorded by :func:`note_rate_limit` lasts."""
    until = cursor.get(RETRY_AT)
    if isinstance(until, int | float) and (wait := until - time.time()) > 0:
        raise RetryAfter(wait, f"rate limit exhausted: next request in {wait:.0f}s")


def note_rate_limit(
    cursor: Cursor, remaining: str | None, reset_in: float | None, *, reserve: float = 0
) -> float | None:
    """Record an exhausted window (``remaining <= reserve``) in ``cursor``; return the
    seconds to wait, or None when requests are left."""
    try:
        left = float(remaining) if remaining is not None else None
    except ValueError:
        return None
    if left is None or left > reserve:
        cursor.pop(RETRY_AT, None)
        return None
    wait = max(1.0, reset_in if reset_in is not None else 60.0)
    cursor[RETRY_AT] = time.time() + wait
    return wait


# -- requests with headers or a body -----------------------------------------------------


def request(
    http: HttpClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> Response:
    """A request that carries credentials (a bearer token, an OAuth grant) to a URL the
    user configured (robots.txt does not apply, as for a subscribed feed).

    Through the shared client's public ``get``/``post``: pool, SSRF guard, per-host
    pacing, status mapping and size cap apply. Credentials never enter the URL, which
    ends up in error messages and saved state.
    """
    sent = dict(headers or {})
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        sent["Authorization"] = f"Basic {token}"
    if method == "GET" and not data:
        return http.get(url, headers=sent, subscribed=True)
    return http.post(url, data=dict(data or {}), headers=sent)


def bad_payload(resp: Response, reason: str) -> BadPayload:
    """The error for a response that is not what was expected: it keeps the body, which
    the runner sends to the dead-letter topic with ``reason``."""
    return BadPayload(f"{resp.url}: {reason}", resp.content, status=resp.status)


_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
_LABELS_NOT_TRUSTED = ("", "text/html", "text/plain", "application/octet-stream")


def looks_like_html(content: bytes, content_type: str | None = None) -> bool:
    """True when a response is a web page (an error page, a login wall, a CDN challenge,
    a site's home page) rather than the feed or JSON the caller asked for.

    The one rule, for API answers and feed URLs alike:

    - an explicit XML or JSON type is trusted: False, and the feed or JSON parser judges
      the body (and reports its own error when it is no feed or JSON either);
    - ``application/xhtml+xml`` is a web page: True;
    - otherwise (``text/html``, ``text/plain``, ``application/octet-stream`` or no type:
      servers label feeds ``text/html`` by mistake) the body decides: it must start as an
      HTML document (``<!doctype html`` or ``<html``, after a BOM, an XML declaration or
      comments). Only the first 4 KiB are looked at.
    """
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared == "application/xhtml+xml":
        return True
    if declared not in _LABELS_NOT_TRUSTED:
        return False
    return bool(_HTML_START.match(content[:4096].lstrip(b"\xef\xbb\xbf")))


def fetch_feed(
    http: HttpClient, url: str, cursor: Cursor, expected: str = "the RSS feed"
) -> tuple[Any, dict[str, Any]] | None:
    """A conditional GET of a feed the user configured, parsed with feedparser.

    Returns None when it is unchanged (304, or the same body hash), else the parsed feed
    and the validators to keep in the cursor (``etag``, ``last_modified``, ``body_hash``).
    An HTML page or a body that is no feed at all is a ``BadPayload``.
    """
    resp = http.get(
        url,
        etag=cursor.get("etag"),
        last_modified=cursor.get("last_modified"),
        previous_hash=cursor.get("body_hash"),
        subscribed=True,
    )
    if resp.not_modified:
        return None
    if looks_like_html(resp.content, resp.headers.get("content-type")):
        raise bad_payload(resp, f"an HTML page where {expected} was expected")
    parsed = feedparser.parse(resp.content)
    if not parsed.entries and parsed.get("bozo"):
        raise bad_payload(resp, f"not a feed ({parsed.get('bozo_exception')})")
    validators = {
        "etag": resp.headers.get("etag"),
        "last_modified": resp.headers.get("last-modified"),
        "body_hash": resp.body_hash,
    }
    return parsed, validators

"""From one WARC record to what the WARC connector emits: pure functions, no I/O.

Only ``response`` records with HTTP status 200 and an HTML payload become raw items;
everything else (requests, metadata, revisits, images, redirects) is ``Ignored``. A
record that should have been an item but cannot be (no usable target URI or date, a
payload that cannot be read or is too large) raises ``BadRecord``, which the connector
turns into a dead letter.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_LOOKS_HTML = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)


class Ignored(Exception):
    """Not a page this connector emits (counted, never dead-lettered)."""


class BadRecord(ValueError):
    """A page that should have been emitted but cannot be."""


@dataclass(frozen=True)
class Capture:
    """An HTML page as the archive captured it."""

    url: str
    fetched_at: datetime
    html: str
    record_id: str | None


def capture(record: Any, max_bytes: int) -> Capture:
    """The HTML page a warcio record holds; ``Ignored`` or ``BadRecord`` otherwise."""
    if record.rec_type != "response":
        raise Ignored(record.rec_type)
    http = record.http_headers
    if http is None:
        raise Ignored("no HTTP headers")
    status = http.get_statuscode()
    if status != "200":
        raise Ignored(f"HTTP {status}")
    ctype = (http.get_header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype and ctype not in HTML_TYPES:
        raise Ignored(ctype)
    url = target_uri(record.rec_headers.get_header("WARC-Target-URI"))
    fetched_at = warc_date(record.rec_headers.get_header("WARC-Date"))
    try:
        body = record.content_stream().read(max_bytes + 1)
    except Exception as exc:  # chunked or content-encoded payloads can be broken in any way
        raise BadRecord(f"unreadable payload: {type(exc).__name__}: {exc}") from exc
    if len(body) > max_bytes:
        raise BadRecord(f"payload larger than {max_bytes} bytes")
    if not ctype and not _LOOKS_HTML.match(body[:2048]):
        raise Ignored("untyped, not HTML")
    html = decode(body, http.get_header("Content-Type"))
    if not html.strip():
        raise BadRecord("empty HTML payload")
    return Capture(url, fetched_at, html, record.rec_headers.get_header("WARC-Record-ID"))


def target_uri(value: str | None) -> str:
    """The captured URL; WARC 1.0 files sometimes wrap it in angle brackets."""
    url = (value or "").strip().strip("<>").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
        raise BadRecord(f"not an http(s) target URI: {url[:200]!r}")
    return url


def warc_date(value: str | None) -> datetime:
    """WARC-Date (ISO 8601, UTC, maybe with a fraction) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise BadRecord(f"bad WARC-Date: {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def decode(body: bytes, content_type: str | None) -> str:
    """The page's text: the declared charset (HTTP header, then ``<meta>``), else UTF-8,
    else Windows-1252 (what browsers assume for undeclared legacy pages)."""
    declared = []
    if content_type and "charset=" in content_type.lower():
        value = content_type.lower().split("charset=", 1)[1].split(";")[0]
        declared.append(value.strip().strip("\"'"))
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        declared.append(meta.group(1).decode("ascii", "ignore"))
    for name in declared:
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return body.decode(name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")

"""A response as connectors see it, and the limits on reading a body.

``Response`` is what ``HttpClient.get``/``post`` return (importable from
``connectors.sdk.http`` as before); ``BodyStream`` is the file object of
``HttpClient.stream``. ``read_capped`` reads a body up to the size cap, and ``drain``
reads what nobody needs so the connection can be reused. Time is bounded elsewhere: the
request's deadline (``connectors.sdk.deadline``) covers the body too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from connectors.sdk.errors import FatalSourceError, RetriableError


@dataclass
class Response:
    url: str
    status: int
    content: bytes
    headers: httpx.Headers
    not_modified: bool = False
    """True on a 304, and on a 200 whose body hashes like ``previous_hash``."""

    @property
    def text(self) -> str:
        # httpx's charset detection needs a full response; decode simply and tolerantly.
        charset = self.headers.get_list("content-type")
        enc = "utf-8"
        for value in charset:
            if "charset=" in value:
                enc = value.split("charset=", 1)[1].split(";")[0].strip().strip('"') or enc
        try:
            return self.content.decode(enc, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    @property
    def body_hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


class BodyStream:
    """A response body as a read-only file object; ``tell()`` counts from the file's
    start, so positions read through a Range request are positions in the file.
    A dropped connection while reading is a ``RetriableError``."""

    def __init__(self, chunks: Iterator[bytes], start: int, *, skip: int = 0) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self._position = start
        self._skip = skip

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        while self._skip or size < 0 or len(self._buffer) < size:
            try:
                chunk = next(self._chunks, None)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise RetriableError(f"{type(exc).__name__} reading a stream: {exc}") from exc
            if chunk is None:
                break
            if self._skip:  # the server ignored Range: drop what precedes the offset
                dropped = min(self._skip, len(chunk))
                chunk, self._skip = chunk[dropped:], self._skip - dropped
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._position += len(out)
        return out


def read_capped(resp: httpx.Response, cap: int, *, truncate: bool) -> bytes:
    """The body, at most ``cap`` bytes: a longer one is a ``FatalSourceError`` (said
    early by its Content-Length), or is cut at ``cap`` with ``truncate`` (robots.txt)."""
    declared = resp.headers.get("content-length")
    if not truncate and declared and declared.isdigit() and int(declared) > cap:
        raise FatalSourceError(f"{resp.url}: body of {declared} bytes exceeds the cap")
    chunks, size = [], 0
    for chunk in resp.iter_bytes():
        size += len(chunk)
        if size > cap:
            if truncate:
                chunks.append(chunk[: cap - size])
                break
            raise FatalSourceError(f"{resp.url}: body exceeds {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def drain(resp: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read a body nobody needs (a 304's, a redirect's): a connection is only reused once
    its response was read to the end. A body past ``limit`` is left, and so is the
    connection."""
    size = 0
    for chunk in resp.iter_raw():
        size += len(chunk)
        if size > limit:
            return

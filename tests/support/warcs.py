"""Small WARC files written for tests with warcio's own writer (gzipped or plain)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

Record = tuple[str, str, int | None, str | None, bytes, str]
"""(record type, target URI, HTTP status, content type, payload, WARC-Date)."""


def page(n: int) -> bytes:
    head = f"<!doctype html><html><head><title>Story {n}</title></head>"
    return f"{head}<body><p>Herat story {n}.</p></body></html>".encode()


def news(n: int, *, start: int = 0) -> list[Record]:
    """n captured stories, each with the request before it and an image after it."""
    out: list[Record] = []
    for i in range(start, start + n):
        uri = f"https://steppe.example/news/{i}?utm_source=cc"
        date = f"2024-05-0{1 + i % 9}T08:00:0{i % 10}Z"
        out.append(("request", uri, None, None, b"", date))
        out.append(("response", uri, 200, "text/html; charset=utf-8", page(i), date))
        img = f"https://steppe.example/img/{i}.jpg"
        out.append(("response", img, 200, "image/jpeg", b"\xff\xd8", date))
    return out


def write_warc(path: Path, records: Sequence[Record], *, gzip: bool = True) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for rec_type, uri, status, ctype, body, date in records:
            http = None
            if rec_type in ("response", "request"):
                line = f"{status} OK" if rec_type == "response" else "GET / HTTP/1.1"
                headers = [("Content-Type", ctype)] if ctype else []
                is_request = rec_type == "request"
                http = StatusAndHeaders(
                    line, headers, protocol="HTTP/1.1", is_http_request=is_request
                )
            record = writer.create_warc_record(
                uri,
                rec_type,
                payload=io.BytesIO(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)
            # Without a length, warcio spools the payload to a temporary file to digest it
            # and leaves that file open (a ResourceWarning); it is done with it here.
            record.raw_stream.close()
    return path

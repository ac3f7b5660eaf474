"""The web-archive connector: backfill from WARC files (Common Crawl's CC-NEWS above all).

Config: ``paths``, a list of local paths, globs (expanded and sorted at each poll) or
http(s) URLs (streamed through the shared HTTP client, resumed with Range requests).
Each poll reads on from the cursor and returns a page of at most ``batch`` pages
(``more=True`` until the last file is done). Every HTML response with status 200 becomes
a raw item flagged ``backfill``, keyed by its normalized URL and stamped with the
capture time; a malformed record becomes a dead letter with the reason.

The cursor is ``{"file": index, "name": path or URL, "offset": next record}``: a restart
opens that file at that byte and goes on with the next record. Seeking needs an
uncompressed WARC or one gzip member per record, as the WARC standard recommends and
Common Crawl writes; warcio refuses whole-file gzip and says how to recompress it.
A file that cannot be read past some record is reported (a dead letter naming the file
and offset) and the next file is taken: one bad download does not stop a backfill. That
includes a cut download (warcio reads a record cut short without a word) and junk after
the last record; a WARC file is read as WARC only, so junk is never taken for ARC.

``Page.stats`` carries the page's progress (records read, bytes read, items, files
finished) for the runner's counters and ``newswire backfill``'s progress bar.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from warcio.archiveiterator import ArchiveIterator

from connectors.sdk import ConnectorConfig, Cursor, FatalSourceError, Page, PollingConnector
from connectors.sdk.base import Capabilities
from connectors.sdk.errors import ConnectorError
from connectors.warc.records import BadRecord, Ignored, capture
from wire.models import RawItem
from wire.urls import normalize_url

log = logging.getLogger(__name__)

RECORDS_PER_ITEM = 20  # a page also ends after batch * this many records (few are HTML)
_WARC_START = (b"WARC/", b"\x1f\x8b", b"filedesc://")  # WARC, gzip, ARC
_SNIFF = 512  # bytes read to tell the format; a gzip member's first ones hold its start


class WarcConfig(ConnectorConfig):
    paths: list[str] = Field(
        min_length=1, description="WARC files: local paths, globs or http(s) URLs, in order"
    )
    batch: int = Field(default=100, ge=1, le=10_000, description="raw items per page")

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


@dataclass
class _Progress:
    items: list[RawItem] = field(default_factory=list)
    skipped: list[tuple[str, str | bytes | None]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)


class WarcConnector(PollingConnector[WarcConfig]):
    name = "warc"
    config_model = WarcConfig
    capabilities = Capabilities(
        notes="Backfill, read once: local or http(s) WARC/ARC files (CC-NEWS); resumable."
    )

    def poll(self, cursor: Cursor) -> Page:
        files = self.files()
        index, offset = self._resume(cursor, files)
        work = _Progress()
        records_left = self.config.batch * RECORDS_PER_ITEM
        while index < len(files) and len(work.items) < self.config.batch and records_left > 0:
            end, finished = self._read(files[index], offset, work, records_left)
            work.stats["bytes"] += max(0, end - offset)
            records_left = self.config.batch * RECORDS_PER_ITEM - work.stats["records"]
            index, offset = (index + 1, 0) if finished else (index, end)
            work.stats["files_done"] += finished
        done = index >= len(files)
        work.stats["dead_letters"] = len(work.skipped)
        page = Page(
            items=work.items,
            skipped=work.skipped,
            cursor={"file": index, "name": "" if done else files[index], "offset": offset},
            more=not done,
            stats={k: v for k, v in work.stats.items() if v},
        )
        if work.stats["records"]:
            where = "all files done" if done else f"{files[index]} @ {offset}"
            log.info(
                "source %s: %d records, %d stories, %d dead letters; %s",
                self.source.id,
                work.stats["records"],
                len(work.items),
                len(work.skipped),
                where,
            )
        return page

    def files(self) -> list[str]:
        return expand_paths(self.config.paths)

    def _resume(self, cursor: Cursor, files: list[str]) -> tuple[int, int]:
        index, name, offset = (
            int(cursor.get("file", 0)),
            cursor.get("name", ""),
            cursor.get("offset", 0),
        )
        if not name:  # a fresh start, or every file listed then was done
            return index, 0
        if index < len(files) and files[index] == name:
            return index, int(offset)
        if name in files:  # the list was edited around it: follow the file, not the index
            return files.index(name), int(offset)
        raise FatalSourceError(
            f"the cursor is in {name} (record at byte {offset}), which is no longer listed; "
            "list it again, or reset this source's state to start over"
        )

    def _read(self, name: str, offset: int, work: _Progress, records_left: int) -> tuple[int, bool]:
        """Read ``name`` from ``offset`` on: where it stopped, and whether the file is done."""
        with self._open(name, offset) as stream:
            head = stream.read(_SNIFF)
            if offset == 0 and not head.startswith(_WARC_START):
                work.skipped.append((f"{name}: not a WARC or ARC file", _where(name, 0)))
                return offset, True
            rewound = _Rewound(head, stream, offset)
            # Reading ARC as well lets warcio take a junk line in a WARC file for an ARC
            # record header, and the rest of the file for its body: only ARC files get it.
            archive = ArchiveIterator(rewound, arc2warc=not _is_warc(head))
            position = offset
            try:
                for record in archive:
                    if not record.rec_headers.headers:  # what warcio makes of a blank line
                        continue  # at the end: the check below looks at what is left
                    work.stats["records"] += 1
                    records_left -= 1
                    made = len(work.items), len(work.skipped)
                    self._record(record, name, archive, work)
                    archive.read_to_end()  # so that ``archive.offset`` is the next record's
                    if (cut := _cut_short(record)) is not None:
                        del work.items[made[0] :], work.skipped[made[1] :]
                        raise ValueError(f"the record at byte {position} {cut}")
                    position = archive.offset
                    if len(work.items) >= self.config.batch or records_left <= 0:
                        return position, False
                # warcio also ends quietly at some junk (a line it takes for the end of the
                # stream): the file is done only when nothing but blank lines is left.
                rest = rewound.rest_from(position)
                if rest is None or rest.strip():
                    raise ValueError("what follows the last record read is not a record")
            except ConnectorError:  # a dropped download: the runner retries from the cursor
                raise
            except Exception as exc:  # warcio, zlib and I/O report broken files in many ways
                reason = f"{name}: unreadable after byte {position}, rest of file skipped"
                letter = (f"{reason}: {type(exc).__name__}: {exc}", _where(name, position))
                work.skipped.append(letter)
                log.warning("source %s: %s: %s", self.source.id, reason, exc)
            return position, True

    def _record(self, record: Any, name: str, archive: ArchiveIterator, work: _Progress) -> None:
        try:
            page = capture(record, self.http.max_bytes)
        except Ignored:
            work.stats["ignored"] += 1
            return
        except BadRecord as exc:
            uri = record.rec_headers.get_header("WARC-Target-URI")
            offset = archive.get_record_offset()
            work.skipped.append((f"{name} @ {offset}: {exc}", _where(name, offset, uri)))
            return
        offset = archive.get_record_offset()
        work.items.append(
            self.raw_item(
                key=normalize_url(page.url),
                url=page.url,
                html=page.html,
                fetched_at=page.fetched_at,
                backfill=True,
                source=self.source.model_copy(update={"domain": urlsplit(page.url).hostname}),
                extra={"warc": {"file": name, "offset": offset, "record_id": page.record_id}},
            )
        )

    @contextmanager
    def _open(self, name: str, offset: int) -> Iterator[_Readable]:
        if name.startswith(("http://", "https://")):
            with self.http.stream(name, offset=offset) as body:
                yield body
            return
        try:
            fh = open(name, "rb")  # noqa: SIM115 - closed below, after the caller's reads
        except OSError as exc:
            raise FatalSourceError(f"cannot open {name}: {exc.strerror or exc}") from exc
        with fh:
            fh.seek(offset)
            yield fh


def expand_paths(paths: list[str]) -> list[str]:
    """WARC files in reading order: URLs as given, globs expanded and sorted."""
    out: list[str] = []
    for entry in paths:
        if entry.startswith(("http://", "https://")):
            out.append(entry)
            continue
        path = os.path.expanduser(entry)
        out.extend(sorted(glob.glob(path)) if glob.has_magic(path) else [path])
    return out


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Rewound:
    """A stream whose first bytes were already read (to sniff the format), put back;
    ``tell()`` is the position in the file, which is what warcio's offsets are made of."""

    def __init__(self, head: bytes, stream: _Readable, start: int) -> None:
        self._head = head
        self._stream = stream
        self._position = start
        self._last = b""  # the last bytes read, which start at ``_last_at``
        self._last_at = start

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            out = bytes(self._stream.read(size))
        elif size < 0:
            out, self._head = self._head + self._stream.read(), b""
        else:
            out, self._head = self._head[:size], self._head[size:]
            if len(out) < size:
                out += self._stream.read(size - len(out))
        if out:
            self._last, self._last_at = out, self._position
        self._position += len(out)
        return out

    def rest_from(self, position: int, limit: int = 1 << 16) -> bytes | None:
        """The bytes from ``position`` to the end of the stream; None when they are more
        than ``limit`` or no longer at hand (the reader read whole blocks past them)."""
        if position < self._last_at:
            return None
        out = self._last[position - self._last_at :]
        while len(out) <= limit:
            chunk = self.read(limit)
            if not chunk:
                return out
            out += chunk
        return None


def _cut_short(record: Any) -> str | None:
    """Why a record read to its end is not whole, if it is not: warcio reads a file that
    ends inside a record (a cut download) quietly, up to where the bytes end."""
    if record.length is None:  # its header was cut before its Content-Length
        return "has no length (the file ends in its header)"
    if getattr(record.raw_stream, "limit", 0) > 0:
        return "is cut short (the file ends inside it)"
    return None


def _is_warc(head: bytes) -> bool:
    """Whether a record starting with ``head`` (plain or a gzip member) is a WARC record."""
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error:
            return False
    return head.startswith(b"WARC/")


def _where(name: str, offset: int, uri: str | None = None) -> str:
    """The dead letter's payload: enough to find the record again."""
    return json.dumps({"warc": name, "offset": offset, "target_uri": uri})

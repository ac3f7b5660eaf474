"""The WARC connector on archives written here (plain and gzipped), served and on disk."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from connectors.sdk.base import Cursor
from connectors.sdk.errors import FatalSourceError, RetriableError
from connectors.sdk.http import HttpClient
from connectors.warc import WarcConfig, WarcConnector
from tests.support.httpserver import Reply, http_server
from tests.support.warcs import news, page, write_warc
from wire.models import RawItem, SourceRef

SOURCE = SourceRef(id="cc-news", name="CC-NEWS", connector="warc")


def connector(paths: list[str] | str, batch: int = 2, max_bytes: int = 1_000_000) -> WarcConnector:
    http = HttpClient(user_agent="t", timeout=5, allow_private=True, max_bytes=max_bytes)
    return WarcConnector(SOURCE, WarcConfig(paths=paths, batch=batch), http)  # type: ignore[arg-type]


Skipped = tuple[str, str | bytes | None]


def record_offsets(path: Path) -> list[int]:
    """Where each record of a whole file starts, as warcio reads it."""
    with path.open("rb") as fh:
        archive = ArchiveIterator(fh)
        return [archive.get_record_offset() for _ in archive]


def drain(
    conn: WarcConnector, cursor: Cursor | None = None
) -> tuple[list[RawItem], list[Skipped], list[Cursor]]:
    items: list[RawItem] = []
    skipped: list[Skipped] = []
    cursors: list[Cursor] = []
    cursor = cursor or {}
    for _ in range(100):
        got = conn.poll(cursor)
        items += got.items
        skipped += got.skipped
        cursor = got.cursor
        cursors.append(cursor)
        if not got.more:
            return items, skipped, cursors
    raise AssertionError("never finished")


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
def test_pages_of_n_items_resume_at_the_next_record(tmp_path: Path, gzip: bool) -> None:
    warc = write_warc(tmp_path / "a.warc", news(5), gzip=gzip)
    conn = connector(str(warc))
    first = conn.poll({})
    assert [i.url for i in first.items] == [
        f"https://steppe.example/news/{i}?utm_source=cc" for i in (0, 1)
    ]
    assert first.more and first.cursor["name"] == str(warc) and first.cursor["offset"] > 0
    item = first.items[0]
    assert item.backfill and item.key == "https://steppe.example/news/0"
    assert item.fetched_at == datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
    assert item.html and "Herat story 0." in item.html
    assert item.source.domain == "steppe.example" and item.source.id == "cc-news"
    assert first.stats["records"] >= 4 and first.stats["bytes"] == first.cursor["offset"]

    # A restart is a new connector with only the saved cursor: it goes on from there.
    rest, skipped, cursors = drain(connector(str(warc)), first.cursor)
    assert [i.key for i in rest] == [f"https://steppe.example/news/{i}" for i in (2, 3, 4)]
    assert skipped == []
    assert cursors[-1] == {"file": 1, "name": "", "offset": 0}
    assert conn.poll(cursors[-1]).items == []  # done stays done


def test_globs_are_read_in_order_and_a_moved_file_is_followed(tmp_path: Path) -> None:
    write_warc(tmp_path / "CC-NEWS-2.warc.gz", news(2, start=2))
    write_warc(tmp_path / "CC-NEWS-1.warc.gz", news(2))
    items, _, cursors = drain(connector(str(tmp_path / "CC-NEWS-*.warc.gz"), batch=3))
    assert [i.key[-1] for i in items] == ["0", "1", "2", "3"]
    mid = cursors[0]
    assert mid["name"].endswith("CC-NEWS-2.warc.gz") and mid["file"] == 1

    # An earlier file inserted in the list: the cursor follows its file, not its index.
    write_warc(tmp_path / "extra.warc.gz", news(1, start=9))
    moved = connector([str(tmp_path / "extra.warc.gz"), str(tmp_path / "CC-NEWS-*.warc.gz")])
    assert [i.key[-1] for i in moved.poll(mid).items] == ["3"]


def test_a_cursor_in_a_file_no_longer_listed_is_a_source_error(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", news(1))
    with pytest.raises(FatalSourceError, match="no longer listed"):
        connector(str(warc)).poll({"file": 0, "name": str(tmp_path / "gone.warc.gz"), "offset": 9})


def test_a_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(FatalSourceError, match="cannot open"):
        connector(str(tmp_path / "nope.warc.gz")).poll({})


def test_bad_records_become_dead_letters_and_the_rest_goes_on(tmp_path: Path) -> None:
    date = "2024-05-01T08:00:00Z"
    records = [
        ("response", "http:///no-host", 200, "text/html", page(1), date),
        ("response", "dns:steppe.example", 200, "text/html", page(1), date),  # not http: ignored
        ("response", "https://steppe.example/a", 200, "text/html", page(2), "yesterday"),
        ("response", "https://steppe.example/big", 200, "text/html", b"<html>" + b"x" * 5000, date),
        ("response", "https://steppe.example/gone", 404, "text/html", page(3), date),
        ("response", "https://steppe.example/moved", 301, "text/html", b"", date),
        ("metadata", "https://steppe.example/m", None, None, b"fetchTimeMs: 5", date),
        ("response", "https://steppe.example/untyped", 200, None, page(4), date),
        ("response", "https://steppe.example/ok", 200, "text/html", page(5), date),
    ]
    warc = write_warc(tmp_path / "a.warc.gz", records)
    items, skipped, _ = drain(connector(str(warc), batch=10, max_bytes=1000))
    assert [i.url for i in items] == ["https://steppe.example/untyped", "https://steppe.example/ok"]
    reasons = [reason for reason, _ in skipped]
    assert len(reasons) == 3
    assert "not an http(s) target URI" in reasons[0]
    assert "bad WARC-Date" in reasons[1]
    assert "larger than 1000 bytes" in reasons[2]
    assert '"target_uri": "https://steppe.example/big"' in str(skipped[2][1])


def test_a_broken_file_is_reported_and_the_next_file_is_read(tmp_path: Path) -> None:
    good = write_warc(tmp_path / "b.warc.gz", news(1, start=7))
    broken = write_warc(tmp_path / "a.warc.gz", news(3))
    offsets = record_offsets(broken)
    data = broken.read_bytes()  # the 5th record's gzip member replaced by junk
    junk = b"this is not a record\r\n".ljust(offsets[5] - offsets[4], b"-")
    broken.write_bytes(data[: offsets[4]] + junk + data[offsets[5] :])
    text = tmp_path / "notes.txt"
    text.write_text("not an archive")
    items, skipped, _ = drain(connector([str(text), str(broken), str(good)], batch=10))
    assert items[-1].key == "https://steppe.example/news/7"
    assert [i.key for i in items] == [
        "https://steppe.example/news/0",
        "https://steppe.example/news/7",
    ]
    assert "not a WARC or ARC file" in skipped[0][0]
    reported = re.search(r"unreadable after byte (\d+), rest of file skipped", skipped[1][0])
    assert reported and int(reported.group(1)) >= offsets[4]  # warcio may read past the junk


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
def test_a_line_like_an_arc_header_in_a_warc_file_is_not_read_as_arc(
    tmp_path: Path, gzip: bool
) -> None:
    # warcio, told to read ARC as well, took such a line (URL, IP, date, type, length) for
    # an ARC record, read the rest of the file as its body and reported nothing.
    warc = write_warc(tmp_path / "a.warc", news(3), gzip=gzip)
    offsets = record_offsets(warc)
    data = warc.read_bytes()
    rest = data[offsets[4] :]
    line = f"http://junk.example/x 10.0.0.1 20240501080000 text/html {len(rest)}\n".encode()
    warc.write_bytes(data[: offsets[4]] + line + rest)
    items, skipped, _ = drain(connector(str(warc), batch=10))
    assert [i.key[-1] for i in items] == ["0"]
    assert len(skipped) == 1
    assert f"unreadable after byte {offsets[4]}, rest of file skipped" in skipped[0][0]


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
def test_a_truncated_file_is_reported_where_its_last_whole_record_ends(
    tmp_path: Path, gzip: bool
) -> None:
    # warcio ends quietly at a cut record: the bytes left unread are what tells.
    warc = write_warc(tmp_path / "a.warc", news(2), gzip=gzip)
    offsets = record_offsets(warc)
    warc.write_bytes(warc.read_bytes()[: offsets[5] + 150])  # the last record cut short
    good = write_warc(tmp_path / "b.warc", news(1, start=7), gzip=gzip)
    items, skipped, _ = drain(connector([str(warc), str(good)], batch=10))
    assert [i.key[-1] for i in items] == ["0", "1", "7"]
    assert len(skipped) == 1
    assert f"unreadable after byte {offsets[5]}, rest of file skipped" in skipped[0][0]
    assert f'"offset": {offsets[5]}' in str(skipped[0][1])


@pytest.mark.parametrize("gzip", [True, False], ids=["gzip", "plain"])
def test_a_cut_story_is_not_made_into_an_item(tmp_path: Path, gzip: bool) -> None:
    warc = write_warc(tmp_path / "a.warc", news(2), gzip=gzip)
    offsets = record_offsets(warc)
    warc.write_bytes(warc.read_bytes()[: offsets[5] - 20])  # inside news/1's response
    items, skipped, _ = drain(connector(str(warc), batch=10))
    assert [i.key[-1] for i in items] == ["0"]
    assert len(skipped) == 1
    assert f"unreadable after byte {offsets[4]}, rest of file skipped" in skipped[0][0]


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        (b"<html>502 Bad Gateway</html>\r\n", "Invalid WARC record"),
        (b"\r\nx", "not a record"),  # warcio stops quietly before it
        (b"\r\n\r\n", None),  # blank lines: the file is whole
    ],
    ids=["html", "byte", "blank"],
)
def test_bytes_after_the_last_record_are_reported(
    tmp_path: Path, tail: bytes, why: str | None
) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", news(2))
    size = warc.stat().st_size
    warc.write_bytes(warc.read_bytes() + tail)
    items, skipped, _ = drain(connector(str(warc), batch=10))
    assert [i.key[-1] for i in items] == ["0", "1"]
    if why is None:
        assert skipped == []
        return
    assert len(skipped) == 1
    assert f"unreadable after byte {size}, rest of file skipped" in skipped[0][0]
    assert why in skipped[0][0]


def test_charsets_declared_in_header_or_meta_are_honoured(tmp_path: Path) -> None:
    date = "2024-05-01T08:00:00Z"
    meta = '<html><head><meta charset="windows-1251"></head><body>Кабул</body></html>'
    records = [
        (
            "response",
            "https://a.example/1",
            200,
            "text/html; charset=iso-8859-1",
            "<html>Café</html>".encode("latin-1"),
            date,
        ),
        ("response", "https://a.example/2", 200, "text/html", meta.encode("cp1251"), date),
        (
            "response",
            "https://a.example/3",
            200,
            "text/html",
            "<html>Müller €</html>".encode("cp1252"),
            date,
        ),
    ]
    items, _, _ = drain(connector(str(write_warc(tmp_path / "c.warc.gz", records)), batch=10))
    html = [item.html or "" for item in items]
    assert "Café" in html[0] and "Кабул" in html[1] and "Müller €" in html[2]


def _ranged(data: bytes, honour: bool) -> Callable[[BaseHTTPRequestHandler], Reply]:
    def reply(handler: BaseHTTPRequestHandler) -> Reply:
        match = re.fullmatch(r"bytes=(\d+)-", handler.headers.get("Range") or "")
        if honour and match:
            start = int(match.group(1))
            if start >= len(data):
                return Reply(416, b"")
            return Reply(
                206, data[start:], {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            )
        return Reply(200, data)

    return reply


@pytest.mark.parametrize("honour", [True, False], ids=["range", "no-range"])
def test_remote_warc_is_streamed_and_resumed_with_range(tmp_path: Path, honour: bool) -> None:
    data = write_warc(tmp_path / "r.warc.gz", news(4)).read_bytes()
    with http_server({"/CC-NEWS.warc.gz": _ranged(data, honour)}) as srv:
        url = srv.url("/CC-NEWS.warc.gz")
        items, skipped, cursors = drain(connector(url, batch=3))
        assert [i.key[-1] for i in items] == ["0", "1", "2", "3"] and skipped == []
        ranges = [h.get("Range") for _, h in srv.requests]
        assert ranges[0] is None and ranges[1] == f"bytes={cursors[0]['offset']}-"


def test_a_dropped_download_is_retriable(tmp_path: Path) -> None:
    with http_server({"/x.warc.gz": Reply(503, "busy")}) as srv, pytest.raises(RetriableError):
        connector(srv.url("/x.warc.gz")).poll({})


def test_config_takes_one_path_or_many() -> None:
    assert WarcConfig.model_validate({"paths": "/data/a.warc.gz"}).paths == ["/data/a.warc.gz"]
    with pytest.raises(ValueError, match="at least 1"):
        WarcConfig.model_validate({"paths": []})


def test_the_warcio_samples(shared_dir: Path) -> None:
    folder = shared_dir / "corpus/warc/warcio"
    expected = {
        "example.warc.gz": ["http://example.com/"],  # the revisit is not a page
        "example.warc": ["http://example.com/"],
        "example.arc.gz": ["http://example.com/"],
        "example-iana.org-chunked.warc": ["http://www.iana.org/"],
        "example-wget-bad-target-uri.warc.gz": ["http://example.com/"],
        "example-resource.warc.gz": [],  # a resource record, not a response
    }
    for name, urls in expected.items():
        items, skipped, _ = drain(connector(str(folder / name), batch=10))
        assert [i.url for i in items] == urls, name
        assert skipped == [], name
        assert all(i.backfill and i.html and "<html" in i.html.lower() for i in items)

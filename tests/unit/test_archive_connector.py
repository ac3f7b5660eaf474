"""The archive connector replays the bundled demo archive, in batches, resumably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.archive import ArchiveConfig, ArchiveConnector
from connectors.sdk.errors import FatalSourceError
from connectors.sdk.http import HttpClient
from wire.models import SourceRef

SOURCE = SourceRef(id="demo", name="demo", connector="archive")


def _connector(path: str, batch: int = 50) -> ArchiveConnector:
    http = HttpClient(user_agent="t")
    return ArchiveConnector(SOURCE, ArchiveConfig(path=path, batch=batch), http)


def test_demo_archive_is_replayed_in_batches_and_resumes() -> None:
    conn = _connector("builtin:demo", batch=20)
    first = conn.poll({})
    assert len(first.items) == 20
    assert first.more
    second = conn.poll(first.cursor)
    assert not second.more
    items = first.items + second.items
    assert len(items) == 36
    assert len({i.key for i in items}) == 36
    assert all(i.backfill and i.html and i.published_at for i in items)
    outlets = {i.source.id for i in items}
    assert len(outlets) >= 4  # each item carries its outlet, not the archive, as source
    assert conn.poll(second.cursor).items == []


def test_bad_manifest_entries_are_skipped_with_reason(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("<html><body><p>Story.</p></body></html>")
    manifest = [
        {
            "file": "a.html",
            "url": "https://a.example/1",
            "published_at": "2026-11-01T00:00:00+00:00",
        },
        {"file": "missing.html", "url": "https://a.example/2"},
        {"url": "https://a.example/3"},
    ]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    page = _connector(str(tmp_path)).poll({})
    assert [i.url for i in page.items] == ["https://a.example/1"]
    assert len(page.skipped) == 2
    assert page.cursor == {"done": 3}


def test_unknown_archive_is_a_source_error() -> None:
    with pytest.raises(FatalSourceError, match="no built-in archive"):
        _connector("builtin:nope").poll({})

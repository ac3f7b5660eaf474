"""The conformance kit on the archive connector, which reads local files, not HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.archive import ArchiveConnector
from connectors.sdk.errors import FatalSourceError
from connectors.sdk.testing import ConnectorContract

STORIES = [
    ("termez-bridge", "Termez bridge sees record lorry traffic", "UZ", "2026-10-01T08:00:00+00:00"),
    ("khorog-school", "Khorog opens a school for 600 pupils", "TJ", "2026-10-02T09:15:00+00:00"),
    ("naryn-road", "Naryn road repaired before winter", "KG", "2026-10-03T11:30:00+05:00"),
    ("zaranj-grain", "Zaranj grain depot restocked", "AF", None),
]
CONFIG = {"path": "set per scene by config_for", "batch": 2}


def _write_archive(folder: Path, stories: list[tuple[str, str, str, str | None]]) -> Path:
    folder.mkdir(parents=True)
    manifest: list[dict[str, Any]] = []
    for slug, title, country, published in stories:
        (folder / f"{slug}.html").write_text(
            f"<html><body><h1>{title}</h1><p>{title}, officials said.</p></body></html>",
            encoding="utf-8",
        )
        manifest.append(
            {
                "file": f"{slug}.html",
                "url": f"https://{country.lower()}.news.example/{slug}",
                "source_id": f"outlet-{country.lower()}",
                "country": country,
                "title": title,
                "published_at": published,
            }
        )
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


class TestArchiveContract(ConnectorContract):
    connector = ArchiveConnector
    uses_http = False
    config = CONFIG
    invalid_configs = ({}, {"path": "builtin:demo", "batch": 0}, {"path": ["a", "list"]})

    @pytest.fixture(autouse=True)
    def _archives(self, tmp_path: Path) -> None:
        # Three stories, then the same archive grown by one: batches of two make the
        # first poll span two pages (Page.more), the resume point sit mid-batch.
        self.folders = {
            "first": _write_archive(tmp_path / "first", STORIES[:3]),
            "grown": _write_archive(tmp_path / "grown", STORIES),
        }

    def config_for(self, scene: str, base: str) -> dict[str, Any]:
        folder = self.folders["grown" if scene == "something_new" else "first"]
        return {"path": str(folder), "batch": 2}

    def test_missing_archive_is_a_source_error(self, tmp_path: Path) -> None:
        conn = self.make_connector(
            self.connector.config_model.model_validate({"path": str(tmp_path / "nowhere")})
        )
        with pytest.raises(FatalSourceError, match=r"manifest\.json"):
            conn.fetch({})

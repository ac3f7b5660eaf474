"""Replays a folder of saved article pages into ``news.raw``.

The folder holds ``manifest.json``: a list of ``{"file", "url", "source_id", "source_name",
"country", "title", "published_at"}`` objects, one per saved page. ``path: builtin:demo``
is the demo archive shipped with newswire, so the main job shows stories offline.
Items are flagged ``backfill``; the cursor is the number of manifest entries done.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field

from connectors.sdk import (
    Capabilities,
    ConnectorConfig,
    Cursor,
    FatalSourceError,
    Page,
    PollingConnector,
)
from wire.models import SourceRef
from wire.urls import normalize_url

BUILTIN = {"demo": "data/demo"}  # folders inside the newswire package


class ArchiveConfig(ConnectorConfig):
    path: str = Field(description="a folder with manifest.json, or builtin:demo")
    batch: int = Field(default=50, ge=1)


class ArchiveConnector(PollingConnector[ArchiveConfig]):
    name = "archive"
    config_model = ArchiveConfig
    capabilities = Capabilities(
        notes="A folder of saved pages with manifest.json; builtin:demo ships with newswire."
    )

    def _folder(self) -> Path:
        path = self.config.path
        if path.startswith("builtin:"):
            name = path.split(":", 1)[1]
            if name not in BUILTIN:
                raise FatalSourceError(f"no built-in archive {name!r} (have: {', '.join(BUILTIN)})")
            return Path(str(files("newswire").joinpath(BUILTIN[name])))
        return Path(path).expanduser()

    def poll(self, cursor: Cursor) -> Page:
        folder = self._folder()
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise FatalSourceError(f"cannot read {folder / 'manifest.json'}: {exc}") from exc
        done = int(cursor.get("done", 0))
        batch = manifest[done : done + self.config.batch]
        page = Page(cursor={"done": done + len(batch)}, more=done + len(batch) < len(manifest))
        for entry in batch:
            try:
                html = (folder / entry["file"]).read_text(encoding="utf-8")
                url = entry["url"]
                source = SourceRef(
                    id=entry.get("source_id") or self.source.id,
                    name=entry.get("source_name") or self.source.name,
                    connector=self.name,
                    domain=urlsplit(url).hostname,
                    country=entry.get("country") or self.source.country,
                )
                published = entry.get("published_at")
                page.items.append(
                    self.raw_item(
                        key=normalize_url(url),
                        url=url,
                        title=entry.get("title"),
                        html=html,
                        published_at=datetime.fromisoformat(published) if published else None,
                        source=source,
                        backfill=True,
                    )
                )
            except (OSError, KeyError, ValueError, TypeError) as exc:
                page.skipped.append((f"{type(exc).__name__}: {exc}", json.dumps(entry)))
        return page

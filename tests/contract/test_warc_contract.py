"""The conformance kit on the WARC connector, reading archives served over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.sdk.testing import ConnectorContract, Reply
from connectors.warc import WarcConnector
from tests.support.warcs import news, write_warc

GZIP = {"Content-Type": "application/warc"}


def _warc(tmp: Path, name: str, count: int, start: int) -> Reply:
    return Reply(200, write_warc(tmp / name, news(count, start=start)).read_bytes(), GZIP)


class TestWarcContract(ConnectorContract):
    connector = WarcConnector
    # batch 2 with three stories: the first poll spans two pages (Page.more)
    config: ClassVar[Mapping[str, Any]] = {"paths": ["{base}/CC-NEWS-1.warc.gz"], "batch": 2}
    invalid_configs = (
        {},
        {"paths": []},
        {"paths": ["{base}/CC-NEWS-1.warc.gz"], "batch": 0},
    )

    @pytest.fixture(autouse=True)
    def _archives(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        first = _warc(tmp_path, "CC-NEWS-1.warc.gz", 3, 0)
        second = _warc(tmp_path, "CC-NEWS-2.warc.gz", 2, 3)
        # Recordings are class attributes the kit reads; these need files written per test.
        monkeypatch.setattr(type(self), "first_poll", {"/CC-NEWS-1.warc.gz": first})
        monkeypatch.setattr(
            type(self),
            "something_new",
            {"/CC-NEWS-1.warc.gz": first, "/CC-NEWS-2.warc.gz": second},
        )

    def config_for(self, scene: str, base: str) -> dict[str, Any]:
        # Something new for a backfill is one more file listed after the ones read.
        files = ["CC-NEWS-1.warc.gz"] + (["CC-NEWS-2.warc.gz"] if scene == "something_new" else [])
        return {"paths": [f"{base}/{name}" for name in files], "batch": 2}

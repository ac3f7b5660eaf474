"""The indexer asks for a refresh with the first bulk after a quiet spell, and only then."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pipeline.index.indexer import REFRESH_AFTER_IDLE_S, Indexer
from pipeline.index.writer import BulkOutcome
from wire.settings import Settings


class RecordingWriter:
    """Stands in for the Elasticsearch writer: records what each bulk asked for."""

    def __init__(self) -> None:
        self.refreshes: list[bool] = []

    def send(self, operations: list[Any], refresh: bool = False) -> BulkOutcome:
        self.refreshes.append(refresh)
        return BulkOutcome()


def test_first_bulk_and_bulks_after_a_quiet_spell_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    writer = RecordingWriter()
    indexer = Indexer(Settings(), writer=writer)  # type: ignore[arg-type]

    indexer._send([{"index": {}}])  # the first bulk of a start
    for _ in range(3):  # a burst: bulk after bulk
        clock[0] += 0.2
        indexer._send([{"index": {}}])
    clock[0] += REFRESH_AFTER_IDLE_S + 0.5  # light load: the next bulk comes late
    indexer._send([{"index": {}}])
    clock[0] += 0.1
    indexer._send([{"index": {}}])

    assert writer.refreshes == [True, False, False, False, True, False]

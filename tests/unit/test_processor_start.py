"""The processor's start-up (issue 16): its table manager starts its tables without
faust's one-second sleep (``pipeline.stream.tables``) and otherwise does what faust's own
manager does; ``make_app`` declares its agents and timers without venusian's scan marks,
whose first one cost a second of CPU."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import faust.utils.venusian as faust_venusian
import pytest
from faust.tables import TableManager

import pipeline.stream.processor as processor
from pipeline.stream.tables import PromptTableManager
from wire.settings import Settings


class _NoPool:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.workers = 1

    def close(self) -> None: ...


def _start_steps(manager: Any, on_start: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What ``on_start`` does to ``manager``, in order, with every step recorded only."""
    steps: list[Any] = []

    async def sleep(seconds: float) -> None:
        steps.append(("sleep", seconds))

    async def update_channels() -> None:
        steps.append("tables closed, changelogs subscribed")

    class _Recovery:
        async def start(self) -> None:
            steps.append("recovery started")

    monkeypatch.setattr(manager, "sleep", sleep)
    monkeypatch.setattr(manager, "_update_channels", update_channels)
    monkeypatch.setattr(type(manager), "recovery", _Recovery())
    asyncio.run(on_start(manager))
    return steps


def test_the_processor_starts_its_tables_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor, "ExtractionPool", _NoPool)
    app = processor.make_app(Settings(processor_store="memory://", processor_data_dir=tmp_path))
    manager = app.tables
    assert isinstance(manager, PromptTableManager)
    assert "dedup-state" in manager  # declared in make_app, before any start

    faust_steps = _start_steps(manager, TableManager.on_start, monkeypatch)
    ours = _start_steps(manager, PromptTableManager.on_start, monkeypatch)
    # faust's manager waits a second first; if a faust upgrade changes what its start
    # does, this fails and the override must be looked at again
    assert faust_steps == [("sleep", 1.0), *ours]
    assert ours == ["tables closed, changelogs subscribed", "recovery started"]


def test_agents_and_timers_are_declared_without_scan_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor, "ExtractionPool", _NoPool)
    marks: list[object] = []

    def mark(fun: object, category: str, **kwargs: object) -> None:
        marks.append(fun)

    monkeypatch.setattr(faust_venusian, "attach", mark)
    app = processor.make_app(Settings(processor_store="memory://", processor_data_dir=tmp_path))
    assert set(app.agents) >= {"process-raw", "dedup"} and len(app.agents) == 2
    assert marks == []  # nothing marked while make_app declared them
    assert faust_venusian.attach is mark  # and the marks are back for anything else
    app.timer(60.0)(_a_task)  # another declaration, after make_app: marked as faust does
    assert len(marks) == 1


async def _a_task() -> None: ...

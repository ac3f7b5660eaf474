"""The processor's commit rule (pipeline.stream.offsets): never past an item in flight,
never for a message no stream took, fresh partitions read from their beginning."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from faust.types import TP

from pipeline.stream import offsets
from pipeline.stream.offsets import SafeCommitConsumer, lowest_in_flight, split_at

RAW = TP("t.raw", 0)
OTHER = TP("t.raw", 1)


@dataclass(eq=False)
class Msg:
    offset: int
    tp: TP = RAW
    acked: bool = False
    tracked: bool = True


def consumer(acked: list[int], committed: int | None, in_flight: list[Msg]) -> Any:
    """The consumer's commit bookkeeping alone (no app, no Kafka)."""
    c: Any = object.__new__(SafeCommitConsumer)
    c._acked = defaultdict(list, {RAW: list(acked)})
    c._acked_index = defaultdict(set, {RAW: set(acked)})
    c._committed_offset = defaultdict(lambda: None, {RAW: committed})
    c._gap = defaultdict(list)  # no gaps: faust folds them only when present
    c._unacked_messages = set(in_flight)
    c._log_start = {}
    return c


def test_an_item_in_flight_holds_the_commit_below_it() -> None:
    # faust alone: committed 10, item 10 still extracting, 11 acked -> commits 12
    c = consumer([11, 12], committed=10, in_flight=[Msg(10)])
    assert c._new_offset(RAW) is None
    assert sorted(c._acked[RAW]) == [11, 12]  # kept for later, not dropped


def test_the_commit_stops_at_the_first_item_in_flight() -> None:
    c = consumer([10, 11, 13, 14], committed=10, in_flight=[Msg(12)])
    assert c._new_offset(RAW) == 12
    assert sorted(c._acked[RAW]) == [13, 14]
    # committed (faust records it), then item 12 done: the rest commits
    c._committed_offset[RAW] = 12
    c._acked[RAW].append(12)
    c._acked_index[RAW].add(12)
    c._unacked_messages.clear()
    assert c._new_offset(RAW) == 15


def test_nothing_committed_yet_and_the_first_item_in_flight() -> None:
    # faust checks no head at all when nothing was committed: acked [1] would commit 2
    c = consumer([1], committed=None, in_flight=[Msg(0)])
    assert c._new_offset(RAW) is None


def test_a_hole_at_the_head_holds_the_commit() -> None:
    # faust alone: committed 10, acked [11] with nothing in flight (10 dropped unread)
    # commits 12; here 10 must be done first
    c = consumer([11, 12], committed=10, in_flight=[])
    assert c._new_offset(RAW) is None
    assert sorted(c._acked[RAW]) == [11, 12]


def test_nothing_committed_yet_commits_from_the_log_start() -> None:
    c = consumer([1, 2], committed=None, in_flight=[])
    assert c._new_offset(RAW) is None  # offset 0 unknown: held
    c._log_start[RAW] = 0
    assert c._new_offset(RAW) is None  # offset 0 is in the log and not done
    c._log_start[RAW] = 1  # retention removed offset 0
    assert c._new_offset(RAW) == 3


def test_records_removed_by_retention_are_not_waited_for() -> None:
    # (a longer hole faust folds with its read-offset gaps, not modelled here)
    c = consumer([8, 9], committed=7, in_flight=[])
    assert c._new_offset(RAW) is None
    c._log_start[RAW] = 8
    assert c._new_offset(RAW) == 10


def test_log_starts_are_read_only_where_the_head_is_missing() -> None:
    c = consumer([11], committed=10, in_flight=[])
    c._acked[OTHER] = [3]
    c._committed_offset[OTHER] = 3
    c.app = App(Flag())
    c._thread = thread = OffsetsThread({RAW: 12, OTHER: 4})
    asyncio.run(c.learn_log_starts())
    assert thread.asked == ["start"]  # for RAW only
    assert c._log_start == {RAW: 0}


def test_items_on_other_partitions_and_acked_ones_do_not_hold() -> None:
    c = consumer([5, 6], committed=5, in_flight=[Msg(3, tp=OTHER), Msg(4, acked=True)])
    assert c._new_offset(RAW) == 7


def test_split_at_and_lowest_in_flight() -> None:
    acked = [3, 7, 5, 9]
    assert split_at(acked, 6) == [7, 9]
    assert acked == [3, 5]
    assert split_at(acked, None) == []
    assert lowest_in_flight([Msg(8), Msg(4), Msg(2, acked=True), Msg(1, tp=OTHER)], RAW) == 4
    assert lowest_in_flight([], RAW) is None


def test_a_message_no_stream_took_is_not_acked() -> None:
    c = consumer([], committed=None, in_flight=[])
    skipped = Msg(0, tracked=False)
    assert c.ack(skipped) is False
    assert c._acked[RAW] == []
    assert skipped.acked is False


@dataclass
class FakeThread:
    committed: dict[TP, int | None]
    sought: dict[TP, int] = field(default_factory=dict)
    running: bool = False  # inside call_thread: what the consumer's own thread runs

    async def seek_to_committed(self) -> dict[TP, int | None]:
        return self.committed

    async def call_thread(self, fun: Any, *args: Any) -> Any:
        self.running = True
        try:
            return await fun(*args)
        finally:
            self.running = False

    def seek(self, tp: TP, offset: int) -> None:  # an explicit offset: never unset
        # aiokafka's fetcher is not thread-safe: a seek from the app's thread raced the
        # consumer thread's fetched_records (KeyError, the worker crashed)
        assert self.running, "a seek outside the consumer thread"
        self.sought[tp] = offset


def test_fresh_stream_partitions_are_read_from_their_beginning() -> None:
    changelog = TP("t-processor-dedup-state-changelog", 0)
    thread = FakeThread({RAW: None, OTHER: 0, TP("t.raw", 2): 7, changelog: None})
    c: Any = object.__new__(SafeCommitConsumer)
    c._thread = thread
    c._log_start = {}

    class Topics:
        @staticmethod
        def acks_enabled_for(topic: str) -> bool:
            return topic == "t.raw"

    c.app = type("App", (), {"topics": Topics})()

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return {tp: {RAW: 3, OTHER: 5}[tp] for tp in tps}

    c.earliest_offsets = earliest_offsets
    committed = asyncio.run(c.seek_to_committed())
    assert committed == thread.committed
    # committed 7 was sought by aiokafka itself; the changelog is the tables' business
    assert thread.sought == {RAW: 3, OTHER: 5}  # the log starts (retention removed some)
    assert c._log_start == {RAW: 3, OTHER: 5}  # so the first commit needs no broker call


def test_every_seek_runs_in_the_consumer_thread() -> None:
    thread = FakeThread({})
    c: Any = object.__new__(SafeCommitConsumer)
    c._thread = thread
    c._read_offset = defaultdict(lambda: None)
    c.log = type("Log", (), {"dev": staticmethod(lambda *a, **k: None)})()
    asyncio.run(c.seek(RAW, 42))  # faust's seek: table recovery, heal_stalls
    assert thread.sought == {RAW: 42} and c._read_offset[RAW] == 42


class Flag:
    def __init__(self) -> None:
        self.on = False

    def is_active(self) -> bool:
        return self.on

    def set(self) -> None:
        self.on = True

    def clear(self) -> None:
        self.on = False


def test_stream_partitions_are_fetched_only_once_the_streams_accept_records() -> None:
    changelog = TP("t-processor-dedup-state-changelog", 0)
    flow = Flag()
    c: Any = object.__new__(SafeCommitConsumer)
    c._held = set()
    c._active_partitions = set()
    c._paused_partitions = {RAW, OTHER, changelog}
    c.can_resume_flow, c.suspend_flow = Flag(), Flag()
    c._thread = type("Thread", (), {"assignment": lambda self: {RAW, OTHER, changelog}})()
    tables = type("Tables", (), {"changelog_topics": {changelog.topic}})()
    c.app = type("App", (), {"flow_control": flow, "tables": tables})()

    # table recovery reads its changelog while the streams are stopped
    c.resume_partitions({changelog})
    assert c._active_partitions == {changelog}
    # faust resumes the streams' partitions before it seeks them: held back
    c.resume_partitions({RAW, OTHER})
    assert c._active_partitions == {changelog}
    c.resume_flow()  # recovery's own resume, streams still stopped
    assert c._active_partitions == {changelog}
    flow.set()  # the streams accept records (after the seek)
    c.resume_flow()
    assert c._active_partitions == {changelog, RAW, OTHER}
    assert not c._held

    # a rebalance pauses everything again; a held partition paused is forgotten
    flow.clear()
    c.pause_partitions({RAW, OTHER, changelog})
    c.resume_partitions({RAW})
    c.pause_partitions({RAW})
    flow.set()
    c.resume_flow()
    assert c._active_partitions == set()


class OffsetsThread:
    """The consumer thread's offset lookups, each answering after ``delay`` seconds:
    faust's ``_highwaters`` (aiokafka's ``end_offsets``) and aiokafka's
    ``beginning_offsets`` as run in that thread, and faust's ``highwaters`` and
    ``earliest_offsets`` (the same, without a bound of ours) from the app's."""

    def __init__(self, ends: dict[TP, int], delay: float = 0.0) -> None:
        self.ends, self.delay = ends, delay
        self.asked: list[str] = []
        self.cancelled = 0  # lookups given up in the thread itself

    def assignment(self) -> set[TP]:
        return set(self.ends)

    async def call_thread(self, fun: Any, *args: Any) -> Any:
        return await fun(*args)

    def _ensure_consumer(self) -> OffsetsThread:  # aiokafka's consumer, for the fake
        return self

    async def _answer(self, kind: str, tps: Any, value: Any) -> dict[TP, int]:
        self.asked.append(kind)
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return {tp: value(tp) for tp in tps}

    async def _highwaters(self, tps: list[TP]) -> dict[TP, int]:
        return await self._answer("end", tps, self.ends.__getitem__)

    async def beginning_offsets(self, tps: list[TP]) -> dict[TP, int]:
        return await self._answer("start", tps, lambda tp: 0)

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return await self._highwaters(list(tps))

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return await self.beginning_offsets(list(tps))


class App:
    def __init__(self, flow: Flag) -> None:
        self.flow_control = flow
        self.should_stop = False  # mode.Service: set once the app's stop has begun

    class topics:
        @staticmethod
        def acks_enabled_for(topic: str) -> bool:
            return True


def stalled_consumer(
    ends: dict[TP, int], committed: dict[TP, int | None], delay: float = 0.0
) -> Any:
    c: Any = object.__new__(SafeCommitConsumer)
    c._suspects = {}
    c._log_start = {}
    c._acked = defaultdict(list)
    c._committed_offset = defaultdict(lambda: None, committed)
    c._read_offset = defaultdict(lambda: None, {tp: off for tp, off in committed.items()})
    c._active_partitions = set(ends)
    c._unacked_messages = set()
    c.flow_active = True
    c.sought = []
    flow = Flag()
    flow.set()
    c.app = App(flow)
    c._thread = OffsetsThread(ends, delay)

    async def seek(tp: TP, offset: int) -> None:
        c.sought.append((tp, offset))

    c.seek = seek
    return c


def test_a_stalled_partition_is_sought_back_on_the_second_idle_check() -> None:
    c = stalled_consumer({RAW: 2, OTHER: 1}, {RAW: 1, OTHER: 1})  # RAW: one record waits
    assert asyncio.run(c.heal_stalls()) == []  # first sight: a suspect only
    assert asyncio.run(c.heal_stalls()) == [RAW]  # no progress since: sought back
    assert c.sought == [(RAW, 1)]


def test_a_stalled_partition_with_nothing_committed_is_sought_to_its_log_start() -> None:
    c = stalled_consumer({RAW: 2}, {RAW: None})
    asyncio.run(c.heal_stalls())
    assert asyncio.run(c.heal_stalls()) == [RAW]
    assert c.sought == [(RAW, 0)]
    assert c._log_start == {RAW: 0}


def test_progress_or_work_in_flight_is_not_a_stall() -> None:
    c = stalled_consumer({RAW: 2}, {RAW: 1})
    asyncio.run(c.heal_stalls())
    c._read_offset[RAW] = 2  # a record was handed to the streams meanwhile
    assert asyncio.run(c.heal_stalls()) == []
    c._unacked_messages = {Msg(5, tp=OTHER)}  # busy elsewhere: nothing is judged
    assert asyncio.run(c.heal_stalls()) == []
    assert asyncio.run(c.heal_stalls()) == []
    assert c.sought == []


def test_a_slow_offset_lookup_is_given_up_and_judged_at_a_later_check(monkeypatch: Any) -> None:
    # A SIGTERM once waited 90 s (aiokafka's request timeout) on the healer's lookup:
    # faust's close() in the shutdown rebalance had cancelled aiokafka's metadata task,
    # so the lookup could only time out. Bounded in the consumer's thread itself, so the
    # thread's stop (which runs queued calls to the end) cannot wait on it either.
    monkeypatch.setattr(offsets, "LOOKUP_SECONDS", 0.05)
    c = stalled_consumer({RAW: 2}, {RAW: None}, delay=3600)

    async def check() -> list[TP]:  # the old code waited here for the hour
        return await asyncio.wait_for(c.heal_stalls(), 2)

    with pytest.raises(offsets.StallCheckSkipped, match="no answer"):
        asyncio.run(check())
    c._acked[RAW] = [1]  # the head (0) not acked: its log start is asked for
    with pytest.raises(offsets.StallCheckSkipped):
        asyncio.run(asyncio.wait_for(c.learn_log_starts(), 2))
    assert c._thread.cancelled == 2  # given up in the thread, not left running there
    assert c.sought == [] and c._log_start == {}
    # the broker answers again: the stall is still healed, two checks later
    c._thread.delay = 0
    assert asyncio.run(c.heal_stalls()) == []
    assert asyncio.run(c.heal_stalls()) == [RAW]
    assert c.sought == [(RAW, 0)]


def test_no_stall_check_once_the_worker_is_stopping() -> None:
    c = stalled_consumer({RAW: 2}, {RAW: None})
    c._acked[RAW] = [1]  # the head (0) not acked: learn_log_starts would ask for it
    asyncio.run(c.heal_stalls())  # a suspect
    c.app.should_stop = True  # SIGTERM: the app's stop has begun
    assert asyncio.run(c.heal_stalls()) == []
    asyncio.run(c.learn_log_starts())
    assert c._thread.asked == ["end"]  # the check before the stop only
    assert c.sought == [] and c._log_start == {}

"""Which offsets the processor commits: faust's rule, closed where it loses items.

faust commits, per partition, the end of the first consecutive run of acknowledged
offsets. These paths commit past an item whose result was never produced, or stall
(issue 13, 7: "never commit an offset before the item's result is acknowledged"):

1. **A hole at the head.** faust tolerates one offset missing between the committed
   offset and the first acked one (``min(acked) - committed > 1``), and checks nothing
   when no offset was committed yet (or the committed offset is 0). With concurrent
   actors (``process-raw``), item 10 may still be extracting when item 11 is acked:
   faust commits 12, and a crash then loses item 10.
2. **Items skipped unread.** A stream drops the messages it holds while flow control is
   stopped (start-up, a rebalance) or that were fetched under an earlier consumer
   generation, and *acks* them so that lag does not grow: the next commit can pass them.
3. **A fresh partition read past at start.** aiokafka's ``seek_to_committed`` seeks only
   where the committed offset is above 0, so on a partition nothing was committed on yet
   the position stays past records fetched and dropped before the seek (2.).
4. **Dropped again after the seek.** faust's fetch loop, still walking a batch fetched
   before the seek, moves its read offset past the seek, and then discards the
   re-fetched records as already read.
5. **A record never handed over.** Now and then (about one start in five on a loaded
   machine, with records waiting on several partitions) a partition's next record is
   not handed to the streams at all after start-up: the processor idles with a lag that
   never drains. The root cause, in the faust/aiokafka fetch path, is not pinned down.

Seen in ``tests/integration/test_bad_inputs.py`` (one poison record per topic waiting
before start): a stall before idle, or one record committed without its dead letter.

So this consumer:

* commits only from the next offset to commit, once that item is done: the committed
  offset, or the log's start where retention removed the records between (read from the
  broker when needed, :meth:`SafeCommitConsumer.learn_log_starts`), and never at or
  past the lowest offset still in flight on the partition (1.);
* ignores the ack of a message no stream took: faust marks a message ``tracked`` when a
  stream takes it, and a skipped one never is (2.);
* seeks the streams' partitions with no committed offset to the first offset of their
  log, the group's ``auto_offset_reset=earliest`` (3.); every seek runs in the consumer's
  thread (:meth:`SafeCommitConsumer._seek`: faust's own ran in the app's and raced the
  fetcher);
* resumes fetching the streams' partitions only once the streams accept records, after
  the seek, so nothing is fetched to be dropped (2., 4.);
* heals a stalled partition every few seconds (:meth:`SafeCommitConsumer.heal_stalls`):
  when no item is in flight anywhere, yet a partition has records past its next offset
  to commit and nothing new was handed to the streams since the previous check, it is
  sought back to that offset (4., 5.). Its offset lookups are its own, bounded
  (:data:`LOOKUP_SECONDS`, in the consumer's thread too), and it makes none once the
  worker is stopping: see :class:`StallCheckSkipped`.

At worst an item is processed twice, which the pipeline treats as a replay; never is one
committed without its result. The rest is faust's: commit intervals, gap folding,
rebalances.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, cast

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

LOOKUP_SECONDS = 5.0
"""How long the stall healer waits for one offset lookup; aiokafka's own bound is the
request timeout (faust's ``broker_request_timeout``, 90 s)."""


class StallCheckSkipped(Exception):
    """The stall healer made no judgement this time; it looks again at its next check.

    Its offset lookups (end offsets, log starts) are given up after
    :data:`LOOKUP_SECONDS`, and none is made once the app's stop has begun. A SIGTERM
    once waited 90 s on one (one run in 40 of ``test_dedup_stream``): in the shutdown
    rebalance faust closes aiokafka's client (``Consumer.close``), which cancels its
    metadata task, and a lookup that then needs fresh metadata can only time out
    (``Failed to get offsets by times in 90000 ms``). The consumer thread, which runs
    the calls still queued to the end when it stops and keeps the process alive until
    it ends, was waiting on it. The bound holds in that thread too, not just for the
    caller: a caller that merely stopped waiting would leave the lookup running there.
    """


def lowest_in_flight(messages: Iterable[Any], tp: TP) -> int | None:
    """The lowest offset on ``tp`` a stream took and has not acked, if any."""
    return min((m.offset for m in messages if m.tp == tp and not m.acked), default=None)


def split_at(acked: list[int], first_in_flight: int | None) -> list[int]:
    """Remove from ``acked`` (in place) and return the offsets at or past the first item
    still in flight: they may not be committed until that item is acked."""
    if first_in_flight is None:
        return []
    held = [offset for offset in acked if offset >= first_in_flight]
    if held:
        acked[:] = [offset for offset in acked if offset < first_in_flight]
    return held


class SafeCommitConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer, committing only offsets whose items are all done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._held: set[TP] = set()  # stream partitions to resume with the flow
        self._suspects: dict[TP, int | None] = {}  # partition -> read offset last check
        self._log_start: dict[TP, int] = {}  # partition -> first offset in the log, if read
        super().__init__(*args, **kwargs)

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        """Changelog partitions at once (table recovery reads them); the streams' only
        once the streams accept records: until then faust would fetch and drop them."""
        tps = set(tps)
        streams = {tp for tp in tps if not self._is_changelog_tp(tp)}
        if streams and not self.app.flow_control.is_active():
            self._held |= streams
            tps -= streams
        super().resume_partitions(tps)

    def pause_partitions(self, tps: Iterable[TP]) -> None:
        tps = set(tps)
        self._held -= tps
        super().pause_partitions(tps)

    def resume_flow(self) -> None:
        super().resume_flow()
        if self._held and self.app.flow_control.is_active():
            held, self._held = self._held & self.assignment(), set()
            super().resume_partitions(held)

    async def heal_stalls(self) -> list[TP]:
        """Seek back the partitions that have stalled (5. above); returns them.
        Raises :class:`StallCheckSkipped` when a lookup got no answer in time."""
        consuming = self.flow_active and self.app.flow_control.is_active()
        busy = any(not m.acked for m in self._unacked_messages)
        if self.app.should_stop or not consuming or busy:
            self._suspects.clear()  # busy, stopping, or not consuming: nothing is judged
            return []
        acking = self.app.topics.acks_enabled_for
        active = self._active_partitions or set()
        candidates = [tp for tp in self.assignment() if tp in active and acking(tp.topic)]
        ends = await self._offsets(candidates, end=True) if candidates else {}
        stalled = {
            tp: self._read_offset.get(tp)
            for tp in candidates
            if (ends.get(tp) or 0) > (self._head(tp) or 0)
        }
        healed = [tp for tp, read in stalled.items() if self._suspects.get(tp, -2) == read]
        self._suspects = {tp: read for tp, read in stalled.items() if tp not in healed}
        for tp in healed:
            head = self._head(tp)
            if head is None:  # nothing committed yet: from the log's start
                head = self._log_start[tp] = (await self._offsets([tp], end=False))[tp]
            await self.seek(tp, head)
        return healed

    def ack(self, message: Any) -> bool:
        if not message.tracked:  # skipped by a stream unread: it is fetched again
            return False
        return bool(super().ack(message))

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await super().seek_to_committed()
        acking = self.app.topics.acks_enabled_for
        fresh = [tp for tp, offset in committed.items() if not offset and acking(tp.topic)]
        if fresh:
            # To an explicit offset, not aiokafka's seek_to_beginning: that leaves the
            # position unset until a reset completes in the consumer's thread, and faust's
            # livelock check, reading it meanwhile, crashes the consumer (AssertionError).
            for tp, start in (await self.earliest_offsets(*fresh)).items():
                await self._seek(tp, start)
                self._log_start[tp] = start  # the head to commit from (no wait for it)
        return committed

    async def _seek(self, partition: TP, offset: int) -> None:
        """Seek in the consumer's own thread, as faust runs aiokafka's other calls.

        faust's ``_seek`` calls aiokafka's ``seek`` from the app's thread. aiokafka's
        fetcher is not thread-safe: a seek drops the partition's fetched records while
        the consumer thread may be inside ``fetched_records`` between reading and deleting
        them, which then raises ``KeyError`` and crashes faust's fetcher, its actors and
        the worker (exit 1). Seen in ``test_bad_inputs`` and ``test_dedup_revisions_stream``
        (a second run, records waiting on a partition never committed: the seek at
        assignment), about one run in ten.
        """
        thread = self._thread

        async def seek() -> None:  # runs in the consumer thread's loop
            thread.seek(partition, offset)

        await thread.call_thread(seek)

    def _new_offset(self, tp: TP) -> int | None:
        acked: list[int] = self._acked[tp]
        held = split_at(acked, lowest_in_flight(self._unacked_messages, tp))
        if acked and self._head(tp) not in acked:
            held += acked  # the next offset to commit is not done (1.): nothing moves
            acked.clear()
        try:
            offset: int | None = super()._new_offset(tp)
        finally:
            acked.extend(held)  # faust sorts the list before each use
        return offset

    def _head(self, tp: TP) -> int | None:
        """The first offset of ``tp`` not committed yet, if known: the committed offset,
        or the log's start where that is later (retention deleted the records between;
        faust maps a committed 0 to None too)."""
        committed: int | None = self._committed_offset.get(tp)
        start = self._log_start.get(tp)
        if start is None:
            return committed
        return start if committed is None else max(committed, start)

    async def learn_log_starts(self) -> None:
        """Read the log start of each partition whose next offset to commit is unknown or
        not acked while later ones are: the one case faust's hole tolerance was for."""
        waiting = [tp for tp, acked in self._acked.items() if acked and self._head(tp) not in acked]
        if waiting and not self.app.should_stop:
            self._log_start.update(await self._offsets(waiting, end=False))

    async def _offsets(self, tps: list[TP], *, end: bool) -> Mapping[TP, int]:
        """The end offsets (faust's ``highwaters``) or log starts (``earliest_offsets``)
        of ``tps`` for the stall checks: given up after :data:`LOOKUP_SECONDS` in the
        consumer's thread, where the lookup runs, and by the caller; never asked once
        the worker is stopping. Raises :class:`StallCheckSkipped` instead."""
        if self.app.should_stop:
            raise StallCheckSkipped("the worker is stopping")
        thread = self._thread

        async def lookup() -> Mapping[TP, int]:  # in the consumer thread's loop
            if end:
                asked = thread._highwaters(tps)
            else:
                asked = thread._ensure_consumer().beginning_offsets(tps)
            return cast(Mapping[TP, int], await asyncio.wait_for(asked, LOOKUP_SECONDS))

        try:
            # the caller's bound too: a call still queued when the thread stops
            # never starts, and a stopped thread never answers
            offsets: Mapping[TP, int] = await asyncio.wait_for(
                thread.call_thread(lookup), LOOKUP_SECONDS + 1
            )
        except TimeoutError:
            raise StallCheckSkipped(
                f"{'end offsets' if end else 'log starts'} of "
                f"{', '.join(f'{tp.topic}[{tp.partition}]' for tp in tps)}: no answer "
                f"from Kafka within {LOOKUP_SECONDS:g} s"
            ) from None
        return offsets


class SafeCommitTransport(faust_aiokafka.Transport):
    """The aiokafka transport with :class:`SafeCommitConsumer`."""

    Consumer: ClassVar[type[Any]] = SafeCommitConsumer


def use_safe_commits(app: Any) -> None:
    """Give ``app`` the safe-commit transport; call before the app creates any topic
    (``app.topic`` reaches the transport)."""
    app.transport = SafeCommitTransport(app.conf.broker_consumer, app)

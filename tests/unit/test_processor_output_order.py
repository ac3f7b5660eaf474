"""The dedup stage's records reach their topic in the order of the decisions
(``pipeline.stream.processor.InOrder``).

aiokafka's ``send`` can suspend before it appends the record (the first send to a topic
waits for its metadata; a full batch waits to drain), and a send started later that
needs no wait appends first. The topic below does what aiokafka does there; the
integration test ``test_output_order`` shows it with the real client and broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pipeline.stream.processor import InOrder


class _Topic:
    """Appends records as aiokafka does when the producer lacks the topic's metadata: a
    send that finds it missing waits (a metadata update already in flight did not ask
    for the topic: it sleeps its back-off), while the next update brings the metadata
    and a later send appends at once."""

    def __init__(self) -> None:
        self.appended: list[bytes] = []
        self.known = False  # the producer has the topic's metadata
        self.backoff = asyncio.Event()  # the back-off sleep of a send that found none

    async def send(self, *, key: bytes, value: bytes) -> Awaitable[Any]:
        if not self.known:
            await self.backoff.wait()
        self.appended.append(value)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def _story_then_sighting(
    topic: _Topic, send: Callable[..., Awaitable[Awaitable[Any]]]
) -> list[bytes]:
    story = asyncio.ensure_future(send(key=b"s", value=b"story"))
    await asyncio.sleep(0)  # the story's send waits: no metadata for the topic yet
    topic.known = True  # an update brings it
    sighting = asyncio.ensure_future(send(key=b"s", value=b"sighting"))  # decided next
    await asyncio.sleep(0)
    topic.backoff.set()  # the story's send wakes up
    for sent in await asyncio.gather(story, sighting):
        await sent
    return topic.appended


def test_a_sighting_decided_after_its_story_is_appended_after_it() -> None:
    topic = _Topic()
    assert asyncio.run(_story_then_sighting(topic, InOrder(topic).send)) == [
        b"story",
        b"sighting",
    ]


def test_the_bare_topic_would_append_the_sighting_first() -> None:
    """What the stage did before ``InOrder``: the precondition of the test above."""
    topic = _Topic()
    assert asyncio.run(_story_then_sighting(topic, topic.send)) == [b"sighting", b"story"]


def test_many_overlapping_sends_keep_their_order() -> None:
    async def run() -> list[bytes]:
        topic = _Topic()
        outputs = InOrder(topic)
        sends = [asyncio.ensure_future(outputs.send(key=b"k", value=b"%d" % i)) for i in range(3)]
        await asyncio.sleep(0)
        topic.known = True
        sends += [asyncio.ensure_future(outputs.send(key=b"k", value=b"%d" % i)) for i in (3, 4)]
        await asyncio.sleep(0)
        topic.backoff.set()
        for sent in await asyncio.gather(*sends):
            await sent
        return topic.appended

    assert asyncio.run(run()) == [b"0", b"1", b"2", b"3", b"4"]

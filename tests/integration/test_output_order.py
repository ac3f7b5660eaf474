"""The dedup stage's records keep the order of its decisions on the real broker.

The cause of a flaky ``test_dedup_stream`` (a merged sighting dead-lettered as
``sighting_story_missing``): the processor's producer, whose metadata tracks only the
topics it sent to (the table's changelog, the dedup topic), lacks ``news.articles``' at
its first story. That send waits for the metadata; when an update already in flight did
not ask for the topic, it sleeps its back-off, and the sighting decided next, finding
the metadata the following update brought, is appended first: ahead of its story on the
same partition. ``pipeline.stream.processor.InOrder`` keeps the decisions' order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import faust
import pytest
from kafka import KafkaConsumer

from newswire.kafka import ensure_topics
from pipeline.stream.processor import InOrder
from wire.settings import Settings

pytestmark = pytest.mark.integration

Send = Callable[..., Awaitable[Awaitable[Any]]]


async def _story_then_sighting(
    settings: Settings, topic: str, sender: Callable[[Any], Send], datadir: Path
) -> None:
    """Send a story, then its sighting, as the processor's faust producer would."""
    app = faust.App(f"{topic}-order", broker=f"kafka://{settings.kafka_bootstrap}",
                    datadir=str(datadir), web_enabled=False)  # fmt: skip
    out = app.topic(topic, key_serializer="raw", value_serializer="raw")
    producer = app.producer
    await producer.start()
    try:
        client = cast(Any, producer)._producer.client  # its aiokafka producer's
        client.add_topic(settings.topic_dlq)  # a topic sent to before: the only one tracked
        await client.force_metadata_update()
        assert client.cluster.partitions_for_topic(topic) is None
        client.force_metadata_update()  # an update in flight that does not ask for ours
        await asyncio.sleep(0)
        send = sender(out)
        story = asyncio.ensure_future(send(key=b"story", value=b"story"))
        await asyncio.sleep(0.01)  # well within the story's send's back-off (100 ms)
        sighting = asyncio.ensure_future(send(key=b"story", value=b"sighting"))
        for sent in await asyncio.gather(story, sighting):
            await sent
    finally:
        await producer.stop()


def _values(settings: Settings, topic: str) -> list[bytes]:
    """The topic's two records, in their order on its partition."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        consumer_timeout_ms=10_000,
    )
    found: list[bytes] = []
    for message in consumer:
        found.append(message.value)
        if len(found) == 2:
            break
    consumer.close()
    return found


def test_a_sighting_sent_after_its_story_lands_after_it(
    tmp_path: Path, namespace: dict[str, str]
) -> None:
    settings = Settings.model_validate(
        {k.removeprefix("NEWSWIRE_").lower(): v for k, v in namespace.items()}
    )
    ensure_topics(settings)
    bare, ordered = settings.topic_raw, settings.topic_articles  # two empty topics

    asyncio.run(_story_then_sighting(settings, bare, lambda topic: topic.send, tmp_path))
    # the precondition: aiokafka appends the later send first (if an upgrade changes
    # that, this fails and InOrder's reason must be looked at again)
    assert _values(settings, bare) == [b"sighting", b"story"]

    asyncio.run(
        _story_then_sighting(settings, ordered, lambda topic: InOrder(topic).send, tmp_path)
    )
    assert _values(settings, ordered) == [b"story", b"sighting"]

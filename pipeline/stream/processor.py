"""The processor: a faust agent from ``news.raw`` to ``news.articles``.

The agent only moves bytes and handles failure; the work is ``pipeline.chain.process``,
run in a thread pool with a time bound so one pathological page cannot stall a
partition. Anything that fails becomes a dead letter with its reason, and the stream
goes on.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust

from newswire.models import DeadLetter, RawItem
from newswire.settings import Settings
from pipeline.chain import Tagger, process

log = logging.getLogger(__name__)


class ExtractionTimeout(TimeoutError):
    pass


def make_app(settings: Settings, taggers: tuple[Tagger, ...] = ()) -> faust.App:
    datadir = settings.processor_data_dir or settings.home / "processor"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.processor_group,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        broker_commit_every=200,
        broker_commit_interval=1.0,
        producer_max_request_size=settings.max_raw_bytes + 1024 * 1024,
        consumer_max_fetch_size=settings.max_raw_bytes + 1024 * 1024,
        producer_compression_type="gzip",
    )
    raw_topic = app.topic(settings.topic_raw, value_serializer="raw", key_serializer="raw")
    articles = app.topic(settings.topic_articles, value_serializer="raw", key_serializer="raw")
    dlq = app.topic(settings.topic_dlq, value_serializer="raw", key_serializer="raw")
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="extract")
    timeout = settings.extraction_timeout_s

    async def handle(key: bytes | None, value: Any, where: dict[str, Any]) -> None:
        try:
            if not isinstance(value, bytes | str):
                raise TypeError(f"unexpected value type {type(value).__name__}")
            raw = RawItem.model_validate_json(value)
            loop = asyncio.get_running_loop()
            try:
                article = await asyncio.wait_for(
                    loop.run_in_executor(pool, process, raw, taggers), timeout
                )
            except TimeoutError as exc:
                raise ExtractionTimeout(f"processing took more than {timeout:.0f}s") from exc
        except Exception as exc:  # every failure is a dead letter, never a crash
            log.warning("dead letter (%s) for %s: %s", type(exc).__name__, key, exc)
            letter = DeadLetter.for_error(
                "processor",
                exc,
                value if isinstance(value, bytes | str) else repr(value),
                topic=settings.topic_raw,
                key=key.decode("utf-8", "replace") if key else None,
                **where,
            )
            await dlq.send(key=key, value=letter.to_json_bytes())
            return
        await articles.send(key=article.id.encode(), value=article.to_json_bytes())

    @app.agent(raw_topic, name="process-raw")
    async def process_raw(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            msg = event.message
            where = {"partition": msg.partition, "offset": msg.offset}
            await handle(event.key, event.value, where)

    return app

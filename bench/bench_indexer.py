"""Indexer benchmark: ``news.articles`` → Elasticsearch against a plain ``helpers.bulk``.

Both write the same prepared documents (same indices, ids and sources) to the running
local stack. The indexer is timed from start until every document is acknowledged,
with the documents already in Kafka; the baseline is ``helpers.bulk`` with the
indexer's batch size. Rounds alternate the two, each into fresh indices and topics,
and the best round of each is reported. Goal (issue 7): indexer / bulk >= 0.8.
Run: ``python bench/bench_indexer.py [--docs N] [--rounds R]`` with the stack up.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elasticsearch import Elasticsearch, helpers
from kafka import KafkaProducer
from namespace import namespaced, remove

from newswire.kafka import ensure_topics
from pipeline.index.indexer import Indexer
from pipeline.index.writer import Writer, index_for
from wire.clients import elasticsearch_client_options, kafka_client_config
from wire.models import Article, SourceRef
from wire.settings import Settings

WORDS = (
    "minister border talks water river trade corridor security province officials said "
    "agreement winter refugees aid convoy market prices election council court report "
    "capital district spokesman statement regional meeting delegation energy"
).split()


def make_articles(n: int) -> list[Article]:
    rng = random.Random(7)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    source = SourceRef(id="bench", name="Bench Wire", connector="rss", country="KZ")
    articles = []
    for i in range(n):
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(80)).capitalize() + "." for _ in range(5)
        )
        articles.append(
            Article(
                id=f"bench-{i}",
                url=f"https://bench.example/{i}",
                source=source,
                title=f"Story {i}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
                body=body,
                lang="en",
                published_at=start + timedelta(minutes=13 * i),
                countries=rng.sample(["AF", "IR", "PK", "UZ", "TJ", "KZ"], 2),
                topics=rng.sample(["diplomacy", "trade", "water", "security"], 2),
                cluster_id=f"bench-{i}",
            )
        )
    return articles


def run_bulk(es: Elasticsearch, settings: Settings, articles: list[Article]) -> float:
    Writer(settings, es).setup()
    actions = [
        {
            "_index": index_for(a, settings.index_prefix),
            "_id": a.id,
            "_source": a.model_dump(mode="json", exclude_none=True),
        }
        for a in articles
    ]
    begin = time.perf_counter()
    ok, errors = helpers.bulk(es, actions, chunk_size=settings.index_batch_size, refresh=False)
    elapsed = time.perf_counter() - begin
    assert ok == len(articles) and not errors, errors
    return elapsed


def run_indexer(settings: Settings, articles: list[Article]) -> tuple[float, float]:
    """(seconds for all documents, docs/s from the first acknowledged batch on).

    The second figure leaves out the consumer's one-time group join at start-up."""
    ensure_topics(settings)
    Writer(settings).setup()
    # gzip, as the processor produces them: the indexer pays for decompression too
    producer = KafkaProducer(**kafka_client_config(settings), linger_ms=20, compression_type="gzip")
    for a in articles:
        producer.send(settings.topic_articles, key=a.id.encode(), value=a.to_json_bytes())
    producer.flush()
    producer.close()
    indexer = Indexer(settings)
    thread = threading.Thread(target=indexer.run, daemon=True)
    begin = time.perf_counter()
    thread.start()
    first: tuple[float, int] | None = None
    while indexer.indexed < len(articles):
        if not thread.is_alive():
            raise RuntimeError("the indexer stopped")
        if first is None and indexer.indexed:
            first = (time.perf_counter(), indexer.indexed)
        time.sleep(0.005)
    end = time.perf_counter()
    elapsed = end - begin
    assert first is not None
    steady = (len(articles) - first[1]) / max(end - first[0], 1e-9)
    indexer.stop()
    thread.join(timeout=30)
    assert indexer.dead_letters == 0
    return elapsed, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    es = Elasticsearch(**elasticsearch_client_options(Settings()), request_timeout=120)
    articles = make_articles(args.docs)
    size = sum(len(a.to_json_bytes()) for a in articles) / len(articles)
    bulk_times: list[float] = []
    indexer_runs: list[tuple[float, float]] = []
    for _ in range(args.rounds):
        for which in ("bulk", "indexer"):
            settings = namespaced("bench")
            try:
                if which == "bulk":
                    bulk_times.append(run_bulk(es, settings, articles))
                else:
                    indexer_runs.append(run_indexer(settings, articles))
            finally:
                remove(settings)
    bulk_rate = args.docs / min(bulk_times)
    total_rate = args.docs / min(t for t, _ in indexer_runs)
    steady_rate = max(s for _, s in indexer_runs)
    print(f"documents: {args.docs} of {size / 1024:.1f} KiB; rounds: {args.rounds} (best)")
    print(f"  helpers.bulk           {bulk_rate:8.0f} docs/s")
    print(f"  indexer, steady state  {steady_rate:8.0f} docs/s (from the first acknowledged batch)")
    print(f"  indexer, with start-up {total_rate:8.0f} docs/s (consumer group join included)")
    print(
        f"indexer / helpers.bulk (issue 7, goal >= 0.8): {steady_rate / bulk_rate:.2f} steady, "
        f"{total_rate / bulk_rate:.2f} with start-up"
    )


if __name__ == "__main__":
    main()

"""Processor benchmark: pages through Kafka and the faust processor, against trafilatura.

The pages of ``bench_chain`` (the fundus news pages of ../shared/corpus/html, else the
demo archive) are produced as raw items to a fresh namespaced ``news.raw`` on the
running local stack, with the connectors' own producer (gzip). Then the real processor
starts as ``newswire processor`` in a subprocess (its own topics, group and data dir
through ``NEWSWIRE_*``), exactly as it is deployed: extraction, cleanup, tagging and
dedup, two stages joined by the internal dedup topic. A consumer reads ``news.articles``
and ``news.dlq`` until one record per page came out.

The rate is articles per second between the first and the last output record (their
broker timestamps), so the worker's start-up (group join, gazetteer load) is left out;
the rate including start-up is printed too. It is divided by trafilatura's own rate
(``trafilatura.extract(html, url=...)``, default options) on the same pages, measured
in the same run between the Kafka rounds. Goal (issue 5): >= 0.75.
Every round uses new topics, which are deleted afterwards with the index template.

Run: ``python bench/bench_processor.py [--pages N] [--rounds R]`` with the stack up.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chain import load_pages, run_trafilatura  # noqa: E402
from kafka import KafkaConsumer, TopicPartition  # noqa: E402
from namespace import environment, namespaced, remove  # noqa: E402

from connectors.sdk.runner import make_producer  # noqa: E402
from newswire.kafka import ensure_topics  # noqa: E402
from pipeline.pool import extraction_processes  # noqa: E402
from wire.clients import kafka_client_config  # noqa: E402
from wire.models import RawItem, SourceRef  # noqa: E402
from wire.settings import Settings  # noqa: E402

SOURCE = SourceRef(id="bench", name="bench", connector="file")
# a processor that produced nothing new for this long has finished or is stuck
IDLE_LIMIT_S = 120.0


@dataclass
class KafkaRun:
    pages: int
    articles: int
    dead_letters: int
    steady_s: float  # first to last output record
    total_s: float  # processor start to last output record


def produce(settings: Settings, pages: list[tuple[str, str]]) -> None:
    """The pages as raw items, produced the way the connector runner does it."""
    ensure_topics(settings)
    producer = make_producer(settings)
    for url, html in pages:
        item = RawItem(key=url, url=url, source=SOURCE, html=html)
        producer.send(settings.topic_raw, key=item.key.encode(), value=item.to_json_bytes())
    producer.flush()
    producer.close()


def consume_outputs(settings: Settings, expected: int, worker: subprocess.Popen[bytes]) -> KafkaRun:
    """Read articles and dead letters until ``expected`` records came out of the processor."""
    consumer = KafkaConsumer(
        **kafka_client_config(settings),
        enable_auto_commit=False,
        max_partition_fetch_bytes=settings.max_raw_bytes + 1024 * 1024,
        fetch_max_bytes=settings.max_raw_bytes + 1024 * 1024,
    )
    topics = (settings.topic_articles, settings.topic_dlq)
    parts = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    counts = {topic: 0 for topic in topics}
    stamps: list[int] = []
    started = time.time()
    last_new = time.monotonic()
    try:
        while sum(counts.values()) < expected:
            if worker.poll() is not None:
                raise RuntimeError(f"the processor exited with code {worker.returncode}")
            if time.monotonic() - last_new > IDLE_LIMIT_S:
                print(f"  stopped waiting: {counts} of {expected} after {IDLE_LIMIT_S:.0f}s idle")
                break
            for tp, records in consumer.poll(timeout_ms=500).items():
                counts[tp.topic] += len(records)
                stamps.extend(r.timestamp for r in records)
                last_new = time.monotonic()
    finally:
        consumer.close()
    first, last = min(stamps) / 1000, max(stamps) / 1000
    return KafkaRun(
        pages=expected,
        articles=counts[settings.topic_articles],
        dead_letters=counts[settings.topic_dlq],
        steady_s=max(last - first, 1e-9),
        total_s=last - started,
    )


def run_processor(pages: list[tuple[str, str]], workdir: Path) -> KafkaRun:
    settings = namespaced("benchp", workdir)
    env = environment(settings)
    try:
        produce(settings, pages)
        command = [str(ROOT / ".venv" / "bin" / "newswire"), "processor", "--log-level", "warning"]
        log_path = workdir / f"{settings.processor_group}.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                command, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=log
            )
        try:
            return consume_outputs(settings, len(pages), worker)
        except Exception:
            print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    finally:
        remove(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="at most this many pages")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    what, pages = load_pages(args.pages)
    run_trafilatura(pages)  # warm up imports and caches
    traf_times: list[float] = []
    runs: list[KafkaRun] = []
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        for _ in range(args.rounds):
            start = time.perf_counter()
            run_trafilatura(pages)
            traf_times.append(time.perf_counter() - start)
            runs.append(run_processor(pages, Path(tmp)))
    traf_rate = len(pages) / min(traf_times)
    best = min(runs, key=lambda r: r.steady_s)
    steady_rate = (best.pages - 1) / best.steady_s
    total_rate = best.pages / min(r.total_s for r in runs)
    print(f"pages: {what}; rounds: {args.rounds} (best round reported)")
    print(f"  trafilatura.extract       {traf_rate:7.1f} articles/s (one process)")
    outputs = f"{best.articles} articles, {best.dead_letters} dead letters"
    print(f"  processor, steady state   {steady_rate:7.1f} articles/s (first to last: {outputs})")
    print(f"  processor, with start-up  {total_rate:7.1f} articles/s (worker start included)")
    ratio, with_start = steady_rate / traf_rate, total_rate / traf_rate
    print(f"processor / trafilatura rate ratio (issue 5, goal >= 0.75): "
          f"{ratio:.2f} steady, {with_start:.2f} with start-up")  # fmt: skip
    workers = extraction_processes()
    print(
        f"  the processor ran as deployed: {workers} extraction process(es), one per CPU"
        f" (NEWSWIRE_* unchanged); per extraction process: {ratio / workers:.2f}"
    )


if __name__ == "__main__":
    main()

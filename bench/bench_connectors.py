"""Connector benchmark: the runner's polls per second and produce rate, against baselines.

Both parts run the real ``Runner`` on the running local stack (Kafka), with baselines
measured in the same run:

- ``polls``: a local server (asyncio, its own process) hosts ``--feeds`` RSS feeds; most
  never change (a conditional GET gets 304), one in 50 gains an item every second. The
  server alone is measured first with a raw keep-alive client, to show it is not the
  bottleneck. Then the runner (RSS connector, shared HTTP client, state saves) polls
  every feed once, and its conditional polls per second are measured over ``--seconds``
  while every feed is due. Goal (issue 3): >= 500 polls/s.
- ``produce``: the same ``--items`` raw items are sent by kafka-python's own
  ``KafkaProducer`` (the runner's producer settings, values already serialized) and by
  the runner through an in-memory connector returning pages of ``--page`` items; both
  timed until Kafka acknowledged the last item, rounds alternated, best of each kept.
  Goal (issue 3): runner / producer >= 0.8.

Run: ``python bench/bench_connectors.py [--quick]`` with the stack up.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from namespace import namespaced, remove_topics

from connectors.sdk.base import Connector, ConnectorConfig, Cursor, Page, PollingConnector
from connectors.sdk.registry import load
from connectors.sdk.runner import Runner, make_producer
from connectors.sdk.schedule import SchedulePolicy
from connectors.sdk.sources import Source
from newswire.kafka import ensure_topics
from wire.models import RawItem, SourceRef
from wire.settings import Settings

WORDS = (
    "minister border talks water river trade corridor security province officials said "
    "agreement winter refugees aid convoy market prices election council court report"
).split()
BUSY_EVERY = 50  # one feed in 50 gains an item every second


# -- the feed server (its own process) -------------------------------------------------------


def _feed(i: int, now: int) -> tuple[bytes, bytes]:
    """(etag, body) of feed ``i`` at second ``now``."""
    version = now if i % BUSY_EVERY == 0 else 0
    items = "".join(
        f"<item><title>Story {i}-{v}</title><link>https://bench.example/{i}/{v}</link>"
        f"<description>What happened in place {i}, part {v}.</description></item>"
        for v in (version, version - 1)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>'
        f"<link>https://bench.example/{i}</link>{items}</channel></rss>"
    ).encode()
    return f'"{i}-{version}"'.encode(), body


class _FeedProtocol(asyncio.Protocol):
    """Just enough HTTP/1.1 (GET, keep-alive, If-None-Match) to be fast."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1]
            match = b""
            for line in lines[1:]:
                if line[:14].lower() == b"if-none-match:":
                    match = line[14:].strip()
            self.transport.write(self._answer(path, match))

    @staticmethod
    def _answer(path: bytes, match: bytes) -> bytes:
        if not path.startswith(b"/feed/"):
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        etag, body = _feed(int(path[6:].split(b".")[0]), int(time.time()))
        if match == etag:
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n"
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
            + etag
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )


def _serve(port_out: Any) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            _FeedProtocol, "127.0.0.1", 0, backlog=1024
        )
        port_out.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


async def _hammer(port: int, feeds: int, seconds: float, connections: int = 16) -> int:
    """Conditional GETs answered by the server alone in ``seconds`` (raw keep-alive)."""
    done = 0
    stop = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        rng = random.Random()
        while time.perf_counter() < stop:
            i = rng.randrange(feeds)
            writer.write(
                f'GET /feed/{i}.xml HTTP/1.1\r\nHost: b\r\nIf-None-Match: "{i}-0"\r\n\r\n'.encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line[15:]))
            done += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return done


# -- helpers ---------------------------------------------------------------------------------


def namespaced_local(**overrides: Any) -> Settings:
    """A fresh namespace whose sources may be this machine's test servers."""
    return namespaced("bench").model_copy(update={"http_allow_private": True, **overrides})


def start(runner: Runner) -> threading.Thread:
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread


# -- (a) conditional polls -------------------------------------------------------------------


def bench_polls(port: int, feeds: int, seconds: float, workers: int) -> dict[str, float]:
    settings = namespaced_local(http_per_host_interval=0.0, http_per_host_concurrency=workers)
    ensure_topics(settings)
    base = f"http://127.0.0.1:{port}"
    sources = [
        Source(
            id=f"feed-{i}",
            connector="rss",
            config={"url": f"{base}/feed/{i}.xml", "fetch_articles": False},
            interval=1,
        )
        for i in range(feeds)
    ]
    try:
        # A quiet feed would drift to 4x its interval; capped at 1 s, 10,000 feeds ask
        # for far more polls than any runner gives: the figure is the runner's capacity.
        runner = Runner(settings, sources, workers=workers, policy=SchedulePolicy(max_factor=1))
        thread = start(runner)
        begin = time.perf_counter()
        while runner.totals()["polls"] + runner.totals()["errors"] < feeds:
            time.sleep(0.1)
        first_round = feeds / (time.perf_counter() - begin)
        before, t0 = runner.totals(), time.perf_counter()
        time.sleep(seconds)
        after, t1 = runner.totals(), time.perf_counter()
        runner.stop()
        thread.join(timeout=60)
    finally:
        remove_topics(settings)
    polls = after["polls"] - before["polls"]
    return {
        "first_round": first_round,
        "polls_per_s": polls / (t1 - t0),
        "not_modified_share": (after["not_modified"] - before["not_modified"]) / max(polls, 1),
        "items_per_s": (after["items"] - before["items"]) / (t1 - t0),
        "errors": after["errors"],
    }


# -- (b) produce -----------------------------------------------------------------------------

ITEMS: list[RawItem] = []


class MemoryConfig(ConnectorConfig):
    start: int
    stop: int
    page: int


class MemoryConnector(PollingConnector[MemoryConfig]):
    """Hands out ITEMS[start:stop] a page at a time: the runner's cost, not a source's."""

    name = "bench-memory"
    config_model = MemoryConfig

    def poll(self, cursor: Cursor) -> Page:
        at = cursor.get("at", self.config.start)
        end = min(at + self.config.page, self.config.stop)
        return Page(items=ITEMS[at:end], cursor={"at": end}, more=end < self.config.stop)


def _registry(name: str) -> type[Connector[Any]]:
    return MemoryConnector if name == MemoryConnector.name else load(name)


def make_items(n: int) -> list[RawItem]:
    rng = random.Random(7)
    source = SourceRef(id="bench", name="Bench Wire", connector="rss")
    out = []
    for i in range(n):
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + ".</p>" for _ in range(8)
        )
        out.append(
            RawItem(
                key=f"https://bench.example/story/{i}",
                url=f"https://bench.example/story/{i}",
                source=source,
                title=f"Story {i}",
                html=f"<html><body><article>{paragraphs}</article></body></html>",
                summary="A summary.",
            )
        )
    return out


def run_producer(settings: Settings, messages: list[tuple[bytes, bytes]]) -> float:
    ensure_topics(settings)
    producer = make_producer(settings)
    begin = time.perf_counter()
    for key, value in messages:
        producer.send(settings.topic_raw, key=key, value=value)
    producer.flush()
    elapsed = time.perf_counter() - begin
    producer.close()
    return elapsed


def run_runner(settings: Settings, n: int, page: int, workers: int) -> float:
    ensure_topics(settings)
    share = -(-n // workers)
    sources = [
        Source(
            id=f"mem-{w}",
            connector=MemoryConnector.name,
            config={"start": w * share, "stop": min(n, (w + 1) * share), "page": page},
            interval=3600,
        )
        for w in range(workers)
    ]
    runner = Runner(settings, sources, workers=workers, registry=_registry)
    begin = time.perf_counter()
    thread = start(runner)
    while runner.totals()["items"] < n:
        if not thread.is_alive():
            raise RuntimeError("the runner stopped")
        time.sleep(0.002)
    elapsed = time.perf_counter() - begin
    runner.stop()
    thread.join(timeout=60)
    return elapsed


def bench_produce(n: int, page: int, workers: int, rounds: int) -> dict[str, float]:
    ITEMS[:] = make_items(n)
    messages = [(i.key.encode(), i.to_json_bytes()) for i in ITEMS]
    size = sum(len(v) for _, v in messages) / n
    producer_times, runner_times = [], []
    for _ in range(rounds):
        for which in ("producer", "runner"):
            settings = namespaced_local()
            try:
                if which == "producer":
                    producer_times.append(run_producer(settings, messages))
                else:
                    runner_times.append(run_runner(settings, n, page, workers))
            finally:
                remove_topics(settings)
    return {
        "size": size,
        "producer": n / min(producer_times),
        "runner": n / min(runner_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.seconds, args.items, args.rounds = 2000, 4.0, 5000, 1

    ctx = multiprocessing.get_context("spawn")
    ports: Any = ctx.Queue()
    server = ctx.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    try:
        alone = asyncio.run(_hammer(port, args.feeds, 3.0)) / 3.0
        polls = bench_polls(port, args.feeds, args.seconds, args.workers)
    finally:
        server.terminate()
    produce = bench_produce(args.items, args.page, args.workers, args.rounds)

    print(f"feeds: {args.feeds} (1 in {BUSY_EVERY} changes every second); workers: {args.workers}")
    print(f"  server alone (raw keep-alive client)  {alone:8.0f} conditional GETs/s")
    print(f"  runner, first round (200s, parsing)   {polls['first_round']:8.0f} polls/s")
    print(
        f"  runner, steady state                  {polls['polls_per_s']:8.0f} polls/s "
        f"({polls['not_modified_share']:.0%} not modified, {polls['items_per_s']:.0f} items/s, "
        f"{polls['errors']:.0f} errors)"
    )
    print(f"conditional polls/s (issue 3, goal >= 500): {polls['polls_per_s']:.0f}")
    print(f"items: {args.items} of {produce['size'] / 1024:.1f} KiB; rounds: {args.rounds} (best)")
    print(f"  kafka-python KafkaProducer  {produce['producer']:8.0f} items/s")
    print(f"  runner (pages of {args.page:<4})     {produce['runner']:8.0f} items/s")
    print(
        f"runner / KafkaProducer (issue 3, goal >= 0.8): "
        f"{produce['runner'] / produce['producer']:.2f}"
    )


if __name__ == "__main__":
    main()

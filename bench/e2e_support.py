"""What ``bench_e2e`` needs besides the load: role processes, their CPU, and the wait for
every served URL to be searchable or lettered.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers
from elasticsearch.helpers import ScanError
from kafka import KafkaConsumer, TopicPartition

from wire.clients import elasticsearch_client_options, kafka_client_config
from wire.settings import Settings
from wire.urls import normalize_url

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of the children it reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            rest = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
    return int(rest[1]), (utime + stime + cutime + cstime) / TICK


def _tree(root: int) -> dict[int, float]:
    """``root`` and its live descendants, each with its CPU seconds (its own and its reaped
    children's), from one pass over ``/proc``."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            table[int(entry)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            tree[pid] = table[pid][1]
            todo.extend(children.get(pid, ()))
    return tree


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root``, its live descendants and every child any of them reaped.

    A live child is counted by itself and a reaped one in its parent's ``cutime``, so
    nothing is counted twice; read it before the processes end.
    """
    return sum(_tree(root).values())


def jvm_pids() -> dict[str, int]:
    """The local stack's Kafka and Elasticsearch pids (those that are running)."""
    from newswire.stack.manager import Stack

    stack = Stack(Settings())
    pids = {"kafka": stack.kafka.process.pid(), "elasticsearch": stack.elasticsearch.process.pid()}
    return {name: pid for name, pid in pids.items() if pid is not None}


_THREAD_CPU = re.compile(r'^"([^"]+)".*?cpu=([\d.]+)ms', re.MULTILINE)


def jit_cpu(root: int) -> float:
    """CPU seconds the JIT compiler threads of the JVMs in ``root``'s process tree have used
    (``jcmd <pid> Thread.print``, with the JDK that runs each), or NaN when jcmd cannot attach.
    The tree, because Elasticsearch's launcher is a JVM that starts the server's. On a JVM
    started for the benchmark the JIT compiles for half an hour or more of this load: a
    start-up cost, not a story's."""
    total, seen = 0.0, False
    for pid in _tree(root):
        try:
            exe = Path(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            continue
        if exe.name != "java":
            continue
        try:
            out = subprocess.run(
                [str(exe.with_name("jcmd")), str(pid), "Thread.print"],
                capture_output=True, text=True, timeout=30,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            continue
        threads = _THREAD_CPU.findall(out)
        seen = seen or bool(threads)
        total += sum(float(ms) for name, ms in threads if "CompilerThread" in name) / 1000
    return total if seen else float("nan")


ES_COUNTERS = {
    "bulk_shard_requests": ("thread_pool", "write", "completed"),
    "docs_indexed": ("indices", "indexing", "index_total"),
    "search_shard_queries": ("indices", "search", "query_total"),
    "refreshes": ("indices", "refresh", "total"),
    "merges": ("indices", "merges", "total"),
}


def es_counters(settings: Settings) -> dict[str, float]:
    """The node's request counters (summed over nodes): what Elasticsearch was asked to do
    in a round, next to its CPU, so that a change in its CPU per story can be attributed.
    Empty when the node cannot be read."""
    es = Elasticsearch(**elasticsearch_client_options(settings), request_timeout=30)
    try:
        nodes = es.nodes.stats(metric="indices,thread_pool")["nodes"].values()
    except (ApiError, TransportError):
        return {}
    finally:
        es.close()
    out: dict[str, float] = {}
    for name, path in ES_COUNTERS.items():
        total = 0.0
        for node in nodes:
            value: Any = node
            for key in path:
                value = value.get(key, {}) if isinstance(value, dict) else {}
            total += value if isinstance(value, int | float) else 0.0
        out[name] = total
    return out


class Roles:
    """``newswire <argv>`` processes, one per role, each leading its own process group."""

    def __init__(self, argvs: dict[str, list[str]], env: dict[str, str], logdir: Path,
                 pyspy: Path | None = None) -> None:  # fmt: skip
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logdir = logdir
        self.pyspy = pyspy
        self.started = time.monotonic()
        self.started_wall = time.time()  # the same instant, for documents' timestamps
        for name, argv in argvs.items():
            # the venv's console script, as deployed: each extraction process re-runs it
            # as __mp_main__ (spawn), a start-up cost ``python -m newswire`` would hide
            script = str(Path(sys.executable).with_name("newswire"))
            command = [script, *argv, "--log-level", os.environ.get("BENCH_LOG_LEVEL", "warning")]
            if pyspy is not None:
                pyspy.mkdir(parents=True, exist_ok=True)
                spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
                out = str(pyspy / f"{name}.txt")
                command = [spy, "record", "--subprocesses", "--nonblocking", "--format", "raw",
                           "--rate", "50", "-o", out, "--", *command]  # fmt: skip
            with (logdir / f"{name}.log").open("wb") as log:
                self.procs[name] = subprocess.Popen(
                    command, env={**os.environ, **env}, cwd=logdir, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logdir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def cpu(self) -> dict[str, float]:
        return {name: tree_cpu(proc.pid) for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            target = proc.pid
            if self.pyspy is not None:  # stop the profiled program; py-spy then writes
                target = next((p for p in _children(proc.pid)), proc.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGTERM)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(90)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # stray extraction processes
            proc.wait()


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None and st[0] == pid:
            out.append(int(entry))
    return out


MISSING_EVERY_S = 5.0
"""How often a round reads every story back to see which URLs are still missing."""


class Accounting:
    """Waits until every served URL is searchable (in a story's ``url`` or ``urls``) or a
    dead letter, and reads the stories' freshness."""

    def __init__(self, settings: Settings, served: list[str]) -> None:
        self.settings = settings
        self.served = {normalize_url(u): u for u in served}
        self.es = Elasticsearch(**elasticsearch_client_options(settings), request_timeout=30)
        self.consumer: KafkaConsumer | None = None
        self.letter_keys: set[str] = set()
        self.letter_payloads: list[str] = []

    def close(self) -> None:
        self.es.close()
        if self.consumer is not None:
            self.consumer.close()

    def count(self) -> int | None:
        try:
            resp = self.es.options(ignore_status=404).count(index=self.settings.index_alias)
        except (ApiError, TransportError):  # shards not allocated yet (503), a restart
            return None
        return int(resp.get("count", 0))

    def documents(self, tries: int = 1, refresh: bool = True) -> list[dict[str, Any]]:
        """Every story: its URLs and freshness (``indexed_at - fetched_at``, seconds).

        ``refresh=False`` while the pipeline runs: a forced refresh of every index (the
        corpus spans ~20 yearly indices) every few seconds is Elasticsearch CPU the
        benchmark would count as the pipeline's, and would make stories searchable sooner
        than the pipeline does."""
        for _ in range(tries - 1):
            try:
                return self.documents(refresh=refresh)
            except (ApiError, TransportError, ScanError):
                time.sleep(2)
        if refresh:
            self.es.options(ignore_status=404).indices.refresh(index=self.settings.index_alias)
        out = []
        hits = helpers.scan(
            self.es.options(ignore_status=404), index=self.settings.index_alias,
            query={"query": {"match_all": {}}},
            _source=["url", "urls", "fetched_at", "processed_at", "indexed_at"],
        )  # fmt: skip
        for hit in hits:
            src = hit["_source"]
            urls = {normalize_url(u) for u in [src.get("url", ""), *(src.get("urls") or [])]}
            out.append({
                "urls": urls,
                "freshness_s": _seconds(src, "fetched_at", "indexed_at"),
                # the two legs: connector to extraction done, then dedup, Kafka, indexer
                "to_processed_s": _seconds(src, "fetched_at", "processed_at"),
                "to_indexed_s": _seconds(src, "processed_at", "indexed_at"),
                "indexed_at": (_when(src["indexed_at"]).timestamp()
                               if src.get("indexed_at") else None),
                "fetched_at": (_when(src["fetched_at"]).timestamp()
                               if src.get("fetched_at") else None),
            })  # fmt: skip
        return out

    def _letters(self) -> None:
        if self.consumer is None:
            consumer = KafkaConsumer(**kafka_client_config(self.settings), enable_auto_commit=False)
            parts = consumer.partitions_for_topic(self.settings.topic_dlq)
            if not parts:
                consumer.close()
                return
            tps = [TopicPartition(self.settings.topic_dlq, p) for p in parts]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            self.consumer = consumer
        for records in self.consumer.poll(timeout_ms=200).values():
            for r in records:
                key = (r.key or b"").decode(errors="replace")
                if "://" in key:
                    self.letter_keys.add(normalize_url(key))
                else:
                    self.letter_payloads.append((r.value or b"").decode(errors="replace"))

    def missing(self) -> list[str]:
        self._letters()
        found: set[str] = set()
        for doc in self.documents(refresh=False):
            found |= doc["urls"]
        return [
            raw for url, raw in self.served.items()
            if url not in found and url not in self.letter_keys
            and not any(raw in p for p in self.letter_payloads)
        ]  # fmt: skip

    def wait(self, roles: Roles, idle_limit: float) -> dict[str, Any]:
        """Until nothing is missing; times are seconds since the roles started."""
        first = last = None
        seen, last_check, missing = -1, 0.0, list(self.served)
        while True:
            roles.check()
            now = time.monotonic()
            n = self.count()
            if n is None:
                time.sleep(0.5)
                continue
            if n != seen:
                seen, last = n, now
                if first is None and n > 0:
                    first = now
            # every URL's story is read back (a scan of the whole namespace): only every
            # few seconds, or once the count says all may be there, so that the
            # benchmark's own reads stay a small part of Elasticsearch's CPU
            if now - last_check > MISSING_EVERY_S or n >= len(self.served) - len(self.letter_keys):
                last_check = now
                try:
                    missing = self.missing()
                except (ApiError, TransportError, ScanError) as exc:  # a busy node: look again
                    print(f"  (accounting retried: {type(exc).__name__})", flush=True)
                    continue
                if not missing:
                    break
            if last is not None and now - last > idle_limit:
                print(f"  stopped waiting: {len(missing)} URLs unaccounted after "
                      f"{idle_limit:.0f}s without a new story: {', '.join(missing[:10])}",
                      flush=True)  # fmt: skip
                break
            time.sleep(0.2)
        start = roles.started
        return {
            "first_s": (first or now) - start,
            "last_s": (last or now) - start,
            "wall_s": time.monotonic() - start,
            "dead_letters": len(self.letter_keys) + len(self.letter_payloads),
            "unaccounted": len(missing),
        }


class SearchableWatch:
    """When each story became searchable: a search of the alias every ``every`` seconds
    for the stories indexed in the last minute, no refresh asked; a story's first sighting
    less its ``fetched_at`` is its searchable latency (to within ``every``). For steady
    rounds only: the polling is Elasticsearch work of its own."""

    def __init__(self, settings: Settings, every: float = 0.1) -> None:
        self.settings, self.every = settings, every
        self.since = datetime.now(UTC)  # stories fetched before the watch are not counted
        self.es = Elasticsearch(**elasticsearch_client_options(settings), request_timeout=30)
        self.seen: dict[str, float] = {}  # story id -> searchable latency, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        self.es.close()
        return list(self.seen.values())

    def _watch(self) -> None:
        query = {"range": {"indexed_at": {"gte": "now-60s"}}}
        while not self._stop.wait(self.every):
            try:
                hits = self.es.options(ignore_status=404).search(
                    index=self.settings.index_alias, query=query, size=500,
                    source_includes=["fetched_at"],
                ).get("hits", {}).get("hits", [])  # fmt: skip
            except (ApiError, TransportError):
                continue
            now = datetime.now(UTC)
            for hit in hits:
                if hit["_id"] in self.seen or not hit["_source"].get("fetched_at"):
                    continue
                fetched = _when(hit["_source"]["fetched_at"])
                if fetched >= self.since:
                    self.seen[hit["_id"]] = (now - fetched).total_seconds()


def _seconds(src: dict[str, Any], start: str, end: str) -> float:
    if not (src.get(start) and src.get(end)):
        return float("nan")
    return (_when(src[end]) - _when(src[start])).total_seconds()


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

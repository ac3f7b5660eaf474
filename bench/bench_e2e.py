"""End-to-end benchmark (issue 16): real pages from feeds to searchable stories.

N real pages of ../shared/corpus/html (``.html.gz`` decompressed, canonical links taken
out so each page is its own story) are served by H loopback hosts (127.0.0.2 upwards,
``tests.support.corpus_sites``), each with an RSS feed listing its pages. Politeness and
robots are off through settings (``NEWSWIRE_HTTP_ALLOW_PRIVATE=true``, per-host interval
0, robots off); every round runs in a fresh namespace (topics, groups, indices, a
processor data dir of its own) that is deleted afterwards.

Modes: ``run`` is the whole ``newswire run`` in one process; ``roles`` is ``newswire
connectors``, ``newswire processor`` and ``newswire indexer`` as three processes.

- burst: every page is in the feeds before the processes start. Reported: stories
  indexed per second from the start to the last story searchable (an Elasticsearch
  count, no forced refresh), its ratio to ``trafilatura.extract`` alone over the same
  pages in this process on one core (measured just before and just after the round's
  bursts: the mean of the two, as the machine's speed drifts), CPU seconds per story
  of each newswire process tree (``/proc``: the process, its live children, and the
  children it reaped) and of the Kafka and Elasticsearch JVMs (their pids from the stack
  manager; the JVMs' idle rate measured just before is subtracted, as other work shares
  them), the time to the first story searchable, the last story's wait from its
  ``indexed_at`` to searchable (a refresh the round waits for), and freshness
  (``indexed_at - fetched_at`` of the documents) p50/p90/p99.
- steady (``--steady``): the feeds reveal new pages at half the burst's rate, after a
  warm-up page; freshness p50/p90/p99 of those pages, and when each became searchable
  (a search of the alias every 0.1 s for the stories indexed lately, no refresh asked:
  ``fetched_at`` to found, so the wait for a refresh counts, which ``indexed_at`` does not).

A round ends when every served URL is accounted for (searchable in a story's ``url`` or
``urls``, or a dead letter). Absolute figures depend on whatever else shares the machine:
compare the ratios, and repeat rounds (``--rounds``) to see the spread.

Run: ``python bench/bench_e2e.py [--pages N] [--hosts H] [--mode run|roles|both]
[--steady] [--rounds R] [--json PATH] [--py-spy DIR]`` with the stack up. ``--py-spy``
records each role under ``py-spy record --subprocesses`` (raw folded stacks per role
in DIR; CPU figures then include py-spy's own). Environment: ``BENCH_LOG_LEVEL`` (the roles'
log level, default warning) and ``BENCH_KEEP_LOGS=DIR`` (keep each round's role logs there).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_support import (  # noqa: E402
    Accounting,
    Roles,
    SearchableWatch,
    es_counters,
    jit_cpu,
    jvm_pids,
    tree_cpu,
)
from namespace import environment, namespaced, remove  # noqa: E402

from tests.support.corpus_sites import CORPUS_HTML, Sites, corpus_pages, strip_canonical  # noqa: E402
from wire.settings import Settings  # noqa: E402

IDLE_LIMIT_S = 180.0  # nothing new searchable for this long: stuck, the round is reported as is


def load(limit: int) -> list[tuple[str, bytes]]:
    return [(name, strip_canonical(body)) for name, body in list(corpus_pages())[:limit]]


def trafilatura_alone(pages: list[tuple[str, bytes]]) -> dict[str, float]:
    """``trafilatura.extract`` over the pages in this process: wall and CPU per page."""
    import trafilatura

    texts = [(f"https://bench.example/{i}", body.decode("utf-8", "replace"))
             for i, (_, body) in enumerate(pages)]  # fmt: skip
    wall, cpu = time.perf_counter(), time.process_time()
    for url, html in texts:
        trafilatura.extract(html, url=url)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"pages_per_s": len(texts) / wall, "cpu_ms_per_page": 1000 * cpu / len(texts)}


def baseline(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """trafilatura alone measured before and after a round's bursts, as one baseline: the
    mean time and CPU per page. The machine's speed drifts between rounds and within one
    (by a fifth within minutes on shared cores), so one measurement beside a 30-60 s round
    moves every ratio of it; both are kept."""
    return {
        "pages_per_s": 2 / (1 / before["pages_per_s"] + 1 / after["pages_per_s"]),
        "cpu_ms_per_page": (before["cpu_ms_per_page"] + after["cpu_ms_per_page"]) / 2,
        "before": before,
        "after": after,
    }


def sources_file(path: Path, sites: Sites, interval: int) -> Path:
    lines = ["sources:"]
    for i, host in enumerate(sites.hosts):
        lines += [f"  - id: host-{i}", "    connector: rss", f"    name: Bench host {i}",
                  f"    config: {{url: '{host.base}/feed.xml', max_entries: 5000}}",
                  f"    interval: {interval}"]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


def role_env(settings: Settings) -> dict[str, str]:
    return {
        **environment(settings),
        "NEWSWIRE_HTTP_ALLOW_PRIVATE": "true",
        "NEWSWIRE_HTTP_RESPECT_ROBOTS": "false",
        "NEWSWIRE_HTTP_PER_HOST_INTERVAL": "0",
        "NEWSWIRE_METRICS_PORT": "-1",
        "NEWSWIRE_LOG_FORMAT": "text",
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan")}
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50": q[49], "p90": q[89], "p99": q[98]}


class Round:
    """One mode, one kind of load (burst or steady), in its own namespace."""

    def __init__(self, mode: str, pages: list[tuple[str, bytes]], hosts: int, workdir: Path,
                 pyspy: Path | None) -> None:  # fmt: skip
        self.mode, self.pages, self.pyspy = mode, pages, pyspy
        self.workdir = Path(tempfile.mkdtemp(prefix="e2e-", dir=workdir))
        self.settings = namespaced("benche2e", self.workdir)
        # the processor's state store as deployed (RocksDB when installed), in the round's dir
        self.settings = self.settings.model_copy(
            update={"processor_store": Settings().processor_store}
        )
        self.sites = Sites(hosts)
        self.served: list[str] = []

    def close(self) -> None:
        """Remove the round's directory; its role logs go to ``$BENCH_KEEP_LOGS`` if set."""
        if keep := os.environ.get("BENCH_KEEP_LOGS"):
            dest = Path(keep) / f"{self.mode}-{self.workdir.name}"
            dest.mkdir(parents=True, exist_ok=True)
            for log in self.workdir.glob("*.log"):
                shutil.copy(log, dest / log.name)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def publish(self, index: int) -> None:
        name, body = self.pages[index]
        slug = name.replace("/", "-").removesuffix(".gz")
        host = index % len(self.sites.hosts)
        self.served.append(self.sites.publish(host, f"/p/{slug}", name, body))

    def start_sites(self) -> None:
        self.sites.start()
        for server in self.sites.servers:  # a client closing a kept-alive connection is no news
            server.handle_error = lambda *_: None  # type: ignore[method-assign]

    def burst(self) -> dict[str, Any]:
        self.start_sites()
        try:
            for i in range(len(self.pages)):
                self.publish(i)
            jvm_idle = idle_jvm_rate()
            jit0 = {name: jit_cpu(pid) for name, pid in jvm_pids().items()}
            jvm0 = jvm_cpu()
            es0 = es_counters(self.settings)
            roles = self.start_roles(interval=60)
            try:
                acc = Accounting(self.settings, self.served)
                waited = acc.wait(roles, IDLE_LIMIT_S)
                cpu = roles.cpu()
            finally:
                roles.stop()
            jvm = {k: v - jvm0.get(k, 0.0) for k, v in jvm_cpu().items()}
            jit = {k: jit_cpu(pid) - jit0.get(k, 0.0) for k, pid in jvm_pids().items()}
            es = {k: v - es0.get(k, 0.0) for k, v in es_counters(self.settings).items()}
            docs = acc.documents(tries=5)
            acc.close()
        finally:
            self.sites.stop()
            remove(self.settings)
            self.close()
        stories = len(docs)
        elapsed = waited["last_s"]
        last_indexed = max((d["indexed_at"] for d in docs if d["indexed_at"]), default=None)
        timed = [d for d in docs if d["indexed_at"] and d["fetched_at"]]
        first = min(timed, key=lambda d: d["indexed_at"], default=None)
        legs = {}
        if first is not None:  # where the first story's time went, from newswire's start
            t0, fetched, indexed = roles.started_wall, first["fetched_at"], first["indexed_at"]
            processed = fetched + (first["to_processed_s"] or 0.0)
            legs = {
                "start to fetched": fetched - t0,
                "fetched to extracted": processed - fetched,
                "extracted to indexed": indexed - processed,
                "indexed to found": waited["first_s"] - (indexed - t0),
            }
        return {
            "mode": self.mode,
            "load": "burst",
            "pages": len(self.pages),
            "stories": stories,
            "dead_letters": waited["dead_letters"],
            "unaccounted": waited["unaccounted"],
            "stories_per_s": stories / elapsed if elapsed else 0.0,
            "first_story_s": waited["first_s"],
            "first_story_legs_s": legs,
            "last_story_s": elapsed,
            # the last story's wait for a refresh (to within the accounting's 0.2 s polls)
            "tail_s": roles.started_wall + elapsed - last_indexed if last_indexed else float("nan"),
            "cpu_s_per_story": {k: v / max(stories, 1) for k, v in cpu.items()},
            "jvm_cpu_s_per_story": {k: v / max(stories, 1) for k, v in jvm.items()},
            "jvm_net_cpu_s_per_story": {
                k: max(v - jvm_idle.get(k, 0.0) * waited["wall_s"], 0.0) / max(stories, 1)
                for k, v in jvm.items()
            },
            "jvm_jit_s_per_story": {k: v / max(stories, 1) for k, v in jit.items()},
            "freshness_s": percentiles([d["freshness_s"] for d in docs]),
            "to_processed_s": percentiles([d["to_processed_s"] for d in docs]),
            "to_indexed_s": percentiles([d["to_indexed_s"] for d in docs]),
            # whole node, so other work on it counts too (another round's, another user's)
            "es_requests_per_story": {k: v / max(stories, 1) for k, v in es.items()},
        }

    def steady(self, rate: float) -> dict[str, Any]:
        """Pages revealed at ``rate`` per second after a warm-up page; their freshness."""
        self.start_sites()
        try:
            self.publish(0)
            roles = self.start_roles(interval=1)
            try:
                warm = Accounting(self.settings, self.served[:1])
                warm.wait(roles, IDLE_LIMIT_S)
                warm.close()
                watch = SearchableWatch(self.settings)
                watch.start()
                begin = time.monotonic()
                stop = threading.Event()

                def reveal() -> None:
                    for i in range(1, len(self.pages)):
                        due = begin + (i - 1) / rate
                        if stop.wait(max(0.0, due - time.monotonic())):
                            return
                        self.publish(i)

                publisher = threading.Thread(target=reveal, daemon=True)
                publisher.start()
                publisher.join()
                acc = Accounting(self.settings, self.served)
                waited = acc.wait(roles, IDLE_LIMIT_S)
                stop.set()
                searchable = watch.stop()
            finally:
                roles.stop()
            first_url = self.served[0]
            docs = [d for d in acc.documents(tries=5) if first_url not in d["urls"]]
            acc.close()
        finally:
            self.sites.stop()
            remove(self.settings)
            self.close()
        return {
            "mode": self.mode,
            "load": "steady",
            "rate": rate,
            "pages": len(self.pages) - 1,
            "stories": len(docs),
            "unaccounted": waited["unaccounted"],
            "freshness_s": percentiles([d["freshness_s"] for d in docs]),
            "to_processed_s": percentiles([d["to_processed_s"] for d in docs]),
            "to_indexed_s": percentiles([d["to_indexed_s"] for d in docs]),
            "searchable_s": percentiles(searchable),
            "searchable_seen": len(searchable),
        }

    def start_roles(self, interval: int) -> Roles:
        sources = sources_file(self.workdir / "sources.yaml", self.sites, interval)
        src = ["--sources", str(sources)]
        argvs = (
            {"run": ["run", *src]}
            if self.mode == "run"
            else {
                "connectors": ["connectors", *src],
                "processor": ["processor"],
                "indexer": ["indexer"],
            }
        )
        return Roles(argvs, role_env(self.settings), self.workdir, self.pyspy)


def jvm_cpu() -> dict[str, float]:
    return {name: tree_cpu(pid) for name, pid in jvm_pids().items()}


def idle_jvm_rate(seconds: float = 3.0) -> dict[str, float]:
    """CPU seconds per second the JVMs spend with nothing of ours running (others' work)."""
    before = jvm_cpu()
    time.sleep(seconds)
    return {k: (v - before.get(k, 0.0)) / seconds for k, v in jvm_cpu().items()}


def span(values: list[float], fmt: str = "{:.2f}") -> str:
    values = [v for v in values if v == v]  # NaN out
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return (
        fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"
    )


def _ms(d: dict[str, float], key: str | None = None) -> float:
    return 1000 * (sum(d.values()) if key is None else d.get(key, float("nan")))


def report(result: dict[str, Any]) -> None:
    traf = result["trafilatura"]
    modes = result["modes"]
    print(f"\n{result['pages']} pages, {result['hosts']} hosts; ranges over {len(traf)} round(s)")
    print(f"| measure | {' | '.join(modes)} |")
    print("|---|" + "---|" * len(modes))
    traf_rate = {t["round"]: t["pages_per_s"] for t in traf}
    traf_cpu = {t["round"]: t["cpu_ms_per_page"] for t in traf}

    def row(label: str, pick: Any, fmt: str = "{:.2f}", load: str = "burst") -> None:
        cells = []
        for mode in modes:
            runs = [r for r in result["rounds"] if r["mode"] == mode and r["load"] == load]
            cells.append(span([pick(r) for r in runs], fmt))
        print(f"| {label} | {' | '.join(cells)} |")

    def same(label: str, values: list[float], fmt: str) -> None:
        print(f"| {label} | {' | '.join([span(values, fmt)] * len(modes))} |")

    def all_cpu(r: dict[str, Any]) -> float:
        return _ms(r["cpu_s_per_story"]) + _ms(r["jvm_net_cpu_s_per_story"])

    row("stories indexed", lambda r: r["stories"], "{:.0f}")
    row("dead letters", lambda r: r["dead_letters"], "{:.0f}")
    row("unaccounted (neither searchable nor lettered)", lambda r: r["unaccounted"], "{:.0f}")
    row("stories/s, start to last searchable", lambda r: r["stories_per_s"], "{:.1f}")
    same("trafilatura alone, pages/s (same rounds)", list(traf_rate.values()), "{:.1f}")
    drift = [t["after"]["pages_per_s"] / t["before"]["pages_per_s"] for t in traf if "after" in t]
    same("  trafilatura after the bursts / before", drift, "{:.2f}")
    row("ratio to trafilatura alone (goal ≥ 0.75)",
        lambda r: r["stories_per_s"] / traf_rate[r["round"]])  # fmt: skip
    row("first story searchable, s (goal ≤ 5)", lambda r: r["first_story_s"], "{:.1f}")
    for leg in ("start to fetched", "fetched to extracted", "extracted to indexed",
                "indexed to found"):  # fmt: skip
        row(f"  of which {leg}, s",
            lambda r, g=leg: r.get("first_story_legs_s", {}).get(g, float("nan")),
            "{:.1f}")  # fmt: skip
    row("last story indexed to searchable, s", lambda r: r.get("tail_s", float("nan")), "{:.1f}")
    row("CPU ms/story, newswire processes", lambda r: _ms(r["cpu_s_per_story"]), "{:.0f}")
    burst = [r for r in result["rounds"] if r["load"] == "burst"]
    for name in sorted({k for r in burst for k in r["cpu_s_per_story"]}):
        row(f"  of which {name}", lambda r, n=name: _ms(r["cpu_s_per_story"], n), "{:.0f}")

    def jit(r: dict[str, Any], name: str | None = None) -> float:
        return _ms(r.get("jvm_jit_s_per_story", {"-": float("nan")}), name)

    for jvm in ("kafka", "elasticsearch"):
        label = f"CPU ms/story, {jvm} JVM (less its idle rate)"
        row(label, lambda r, j=jvm: _ms(r["jvm_net_cpu_s_per_story"], j), "{:.0f}")
        row("  of which its JIT compiler threads (start-up: fall as the JVM warms)",
            lambda r, j=jvm: jit(r, j), "{:.0f}")  # fmt: skip
    for name in ("bulk_shard_requests", "search_shard_queries", "refreshes", "merges"):
        row(f"  Elasticsearch {name.replace('_', ' ')} per story",
            lambda r, n=name: r.get("es_requests_per_story", {}).get(n, float("nan")),
            "{:.2f}")  # fmt: skip
    same("CPU ms/page, trafilatura alone", list(traf_cpu.values()), "{:.1f}")
    row("all CPU / trafilatura's (goal ≤ 2.5)", lambda r: all_cpu(r) / traf_cpu[r["round"]])
    row("  the same without the JVMs' JIT compilation",
        lambda r: (all_cpu(r) - jit(r)) / traf_cpu[r["round"]])  # fmt: skip
    for q in ("p50", "p90", "p99"):
        row(f"freshness {q}, burst, s", lambda r, q=q: r["freshness_s"][q], "{:.2f}")
    if any(r["load"] == "steady" for r in result["rounds"]):
        row("steady rate, pages/s (half the burst's)", lambda r: r["rate"], "{:.1f}", "steady")
        for q in ("p50", "p90", "p99"):
            label = f"freshness {q}, steady, s (p99 goal ≤ 1)"
            row(label, lambda r, q=q: r["freshness_s"][q], "{:.2f}", "steady")
        for leg, what in (("to_processed_s", "fetched to extracted"),
                          ("to_indexed_s", "extracted to indexed")):  # fmt: skip
            for q in ("p50", "p99"):
                row(f"  of which {what} {q}, steady, s",
                    lambda r, q=q, leg=leg: r.get(leg, {}).get(q, float("nan")),
                    "{:.2f}", "steady")  # fmt: skip
        for q in ("p50", "p90", "p99"):
            row(f"searchable {q} (fetched to found by a search), steady, s",
                lambda r, q=q: r.get("searchable_s", {}).get(q, float("nan")),
                "{:.2f}", "steady")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=560)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--mode", choices=("run", "roles", "both"), default="both")
    parser.add_argument("--steady", action="store_true", help="add the steady-rate rounds")
    parser.add_argument("--steady-pages", type=int, default=0, help="default: --pages")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--py-spy", type=Path, help="profile each role into this directory")
    args = parser.parse_args()
    if not CORPUS_HTML.is_dir():
        print(f"skipped: no corpus at {CORPUS_HTML} (the shared corpus is not mounted)")
        return
    pages = load(args.pages)
    modes = ["run", "roles"] if args.mode == "both" else [args.mode]
    print(f"{len(pages)} pages from {CORPUS_HTML}, {args.hosts} hosts, modes {modes}", flush=True)
    trafilatura_alone(pages[:20])  # imports and caches warm
    result: dict[str, Any] = {"pages": len(pages), "hosts": args.hosts, "modes": modes,
                              "trafilatura": [], "rounds": []}  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="newswire-e2e-"))
    try:
        for n in range(args.rounds):
            before = trafilatura_alone(pages)
            print(f"round {n}: trafilatura {before['pages_per_s']:.1f} pages/s", flush=True)
            bursts = {}
            for mode in modes:
                pyspy = args.py_spy / f"{mode}-{n}" if args.py_spy else None
                burst = bursts[mode] = Round(mode, pages, args.hosts, work, pyspy).burst()
                result["rounds"].append({"round": n, **burst})
                print(f"  {mode} burst: {burst['stories']} stories, "
                      f"{burst['stories_per_s']:.1f}/s", flush=True)  # fmt: skip
            after = trafilatura_alone(pages)
            result["trafilatura"].append({"round": n, **baseline(before, after)})
            print(f"  trafilatura after the bursts {after['pages_per_s']:.1f} pages/s", flush=True)
            for mode in modes:
                burst = bursts[mode]
                if args.steady:
                    steady_pages = pages[: args.steady_pages or len(pages)]
                    rate = max(burst["stories_per_s"] / 2, 0.5)
                    steady = Round(mode, steady_pages, args.hosts, work, None).steady(rate)
                    result["rounds"].append({"round": n, **steady})
                    print(f"  {mode} steady at {rate:.1f}/s: p99 "
                          f"{steady['freshness_s']['p99']:.2f}s", flush=True)  # fmt: skip
                if args.json:  # what was measured survives a later failure
                    args.json.write_text(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
        print(f"results: {args.json}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # finally blocks clean up
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

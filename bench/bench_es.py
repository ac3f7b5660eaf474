"""Elasticsearch's CPU per story for what the indexer asks of it (issue 16, JVM settings).

``bench_e2e.py`` reads the Elasticsearch JVM's CPU over a whole pipeline run, where it
moves with everything else on the machine. This isolates it: real stories (the chain
run once by ``newswire process`` over N pages of ../shared/corpus/html) are written at a
steady rate the way the indexer writes them (the same-event candidate search, the bulk,
the alert hook), in a fresh namespace per trial, and the JVM's CPU over the trial (from
``/proc``, its idle rate measured just before subtracted) is divided by the stories.
Elasticsearch's own counters over the trial (refreshes, merges, queries, GC) are printed
beside it. Refreshes are the indexer's (``pipeline.index.refresh``: at once after a quiet
second, else at most once a second per index, later for old stories: ``--age`` sets the
stories' age, 0 by default, as at a steady live rate) unless a trial sets an interval
(``--refresh``) or refreshes each bulk (``--bulk-refresh``);
node and JVM settings are compared by running this against two stacks in turn
(``NEWSWIRE_HOME``, ``NEWSWIRE_ELASTICSEARCH_URL``/``_PORT`` pick the stack).

``--live`` dates every story now, so all go to one yearly index as live news does; the
corpus spans 2006-2026, so without it a trial writes to about 20 yearly indices, each
refreshed every second, as the end-to-end benchmark's rounds do. ``--backfill`` first
writes every story at its own date, untimed, then times them again as new live stories
(``--live``): live news on top of a multi-year backfill, where a search of the alias fans
out to every yearly index.

``--baseline`` runs a trial as before search-idle (issue 16): the template sets
``refresh_interval: 1s`` (which keeps every index refreshing each second) and the
same-event search queries the whole alias (which keeps every index search-active);
``--alternate`` alternates baseline and current trials, so both are measured in the same
run on the same machine load.

``--threads`` adds the JVM's CPU per story by thread group over the trial (``jcmd
Thread.print``, as the node's user): ``refresh`` (flushing each refresh's new segment),
``search``, ``write``, ``merge``, ``transport_worker`` (HTTP), the JIT compilers (``C1``,
``C2``: warm-up, large for an hour after a start), cluster state (index creation). ``--compare
K=V[,K=V]`` alternates trials without and with those index settings (e.g.
``index.merge.policy.segments_per_tier=4``); ``--poll-like-e2e`` alternates trials without
and with the polling ``bench_e2e.py`` did before ea83d40, to price it.

``--freshness N`` measures instead the seconds from a bulk's acknowledgement to the story
being searchable (no refresh asked), for an index searched just before and for a
search-idle one, with Elasticsearch's own ``refresh_interval`` of 1 s.

Run: ``python bench/bench_es.py [--pages N] [--articles PATH] [--rate R] [--batch B]
[--trials T] [--live | --backfill] [--baseline | --alternate | --compare K=V |
--poll-like-e2e] [--refresh 5s | --refresh=-1 --bulk-refresh | --age S] [--threads]`` with the stack
up. The first trial after Elasticsearch starts includes the JVM's warm-up (JIT): compare
later ones. ``--articles PATH`` keeps the chain's output
there (made on first use), so repeated runs skip the chain.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e_support import jvm_pids, tree_cpu
from elasticsearch import helpers
from namespace import namespaced, remove

from newswire.alerts import alert_hook
from pipeline.index.events import EventGrouper
from pipeline.index.refresh import RefreshPlan
from pipeline.index.writer import Writer, index_for, make_client
from tests.support.corpus_sites import CORPUS_HTML, corpus_pages, strip_canonical
from wire.models import Article, SourceRef
from wire.settings import Settings


def stories(pages: int, workdir: Path) -> list[str]:
    """The articles (JSON lines) of the first ``pages`` corpus pages, through the chain."""
    raw, out = workdir / "raw.jsonl", workdir / "articles.jsonl"
    with raw.open("w") as fh:
        for i, (name, body) in enumerate(list(corpus_pages())[:pages]):
            html = strip_canonical(body).decode("utf-8", "replace")
            fh.write(json.dumps({"url": f"https://site{i % 20}.example/{name}", "html": html}))
            fh.write("\n")
    command = [sys.executable, "-m", "newswire", "process", "-i", str(raw), "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return out.read_text().splitlines()


def node_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/_nodes/_local/stats/indices,jvm") as resp:
        node = next(iter(json.load(resp)["nodes"].values()))
    ind, gc = node["indices"], node["jvm"]["gc"]["collectors"].values()
    return {
        "refreshes": ind["refresh"]["total"],
        "refresh_ms": ind["refresh"]["total_time_in_millis"],
        "merge_ms": ind["merges"]["total_time_in_millis"],
        "index_ms": ind["indexing"]["index_time_in_millis"],
        "queries": ind["search"]["query_total"],
        "query_ms": ind["search"]["query_time_in_millis"],
        "gc_ms": sum(c["collection_time_in_millis"] for c in gc),
    }


def es_cpu() -> float:
    return tree_cpu(jvm_pids()["elasticsearch"])


_THREAD = re.compile(r'^"([^"]+)".* cpu=([0-9.]+)ms', re.MULTILINE)


def thread_cpu() -> dict[str, float]:
    """CPU ms so far per thread group of the Elasticsearch JVM (``jcmd Thread.print``, run
    as the JVM's user): ``elasticsearch[node][write][T#1]`` counts as ``write``, ``GC
    Thread#0`` as ``GC``, ``C2 CompilerThread0`` as ``C2``. Empty when jcmd cannot attach."""
    pid = jvm_pids()["elasticsearch"]  # the launcher; the node is its java child
    children = [c for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]  # fmt: skip
    pid = int(children[0]) if children else pid
    java = Path(os.readlink(f"/proc/{pid}/exe"))
    user = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    command = [str(java.with_name("jcmd")), str(pid), "Thread.print"]
    if os.geteuid() == 0 and user != "root":
        command = ["runuser", "-u", user, "--", *command]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    groups: dict[str, float] = {}
    for name, ms in _THREAD.findall(out):
        if m := re.match(r"elasticsearch\[[^]]*\]\[([^]]+)\]", name):
            group = m.group(1)
        else:
            group = re.sub(r"[#\s-]*\d+$", "", name).split("#")[0].strip() or name
        groups[group] = groups.get(group, 0.0) + float(ms)
    return groups


def set_refresh(writer: Writer, refresh: str, **more: str) -> None:
    """The template's ``refresh_interval`` for the namespace's indices ("": unset), and any
    other index settings (dotted names below ``index.``)."""
    if refresh or more:
        name = f"{writer.settings.index_prefix}-articles"
        got = writer.client.indices.get_index_template(name=name)["index_templates"][0]
        body = {k: v for k, v in got["index_template"].items() if "_date" not in k}
        index = body["template"]["settings"]["index"]
        if refresh:
            index["refresh_interval"] = refresh
        for key, value in more.items():
            index[key.removeprefix("index.")] = value
        writer.client.indices.put_index_template(name=name, **body)


def freshness(refresh: str, idle: bool, n: int) -> list[float]:
    """Seconds from a bulk's acknowledgement to the story being found by a search of the
    alias (polled every 20 ms, no refresh asked), ``n`` stories one at a time, into an
    index kept search-active or left search-idle before each (``search.idle.after`` 1 s)."""
    settings = namespaced("esfresh")
    writer = Writer(settings)
    writer.setup()
    set_refresh(writer, refresh)
    es, now = writer.client, datetime.now(UTC)
    source = SourceRef(id="x", name="X", connector="rss")
    story = [
        Article(id=f"{i:032x}", url=f"https://x.example/{i}", title=f"Story {i}", body="Text.",
                source=source, published_at=now, processed_at=now)
        for i in range(n + 1)
    ]  # fmt: skip
    out: list[float] = []
    try:
        writer.bulk(story[:1])
        index = index_for(story[0], settings.index_prefix)
        es.indices.put_settings(
            index=index, settings={"index.search.idle.after": "1s" if idle else "1h"}
        )
        for i, a in enumerate(story[1:]):
            if idle:
                while not es.indices.stats(index=index, metric="refresh", level="shards")[
                    "indices"][index]["shards"]["0"][0]["search_idle"]:  # fmt: skip
                    time.sleep(0.1)
            else:  # searched just now, the write at a varying point of the interval
                es.search(index=settings.index_alias, size=0)
                time.sleep(0.37 * (i % 3))
            writer.bulk([a])
            start = time.monotonic()
            query = {"ids": {"values": [a.id]}}
            while not es.search(index=settings.index_alias, query=query)["hits"]["hits"]:
                time.sleep(0.02)
            out.append(time.monotonic() - start)
    finally:
        remove(settings)
    return out


def poll_like_e2e(settings: Settings, stop: threading.Event) -> None:
    """What ``bench_e2e.py`` asked of Elasticsearch while it waited for a round before
    ea83d40: a count of the alias every 0.2 s and, every 2 s, a forced refresh of the alias
    and a scan of every story's URLs (its cost is the ``--poll-like-e2e`` trials' excess)."""
    client = make_client(settings)
    es = client.options(ignore_status=404)  # no index yet before the first story
    alias, last = settings.index_alias, 0.0
    try:
        while not stop.wait(0.2):
            es.count(index=alias)
            if time.monotonic() - last > 2.0:
                last = time.monotonic()
                es.indices.refresh(index=alias)
                query: dict[str, Any] = {"query": {"match_all": {}}}
                for _ in helpers.scan(es, index=alias, query=query, _source=["url", "urls"]):
                    pass
    finally:
        client.close()


def trial(
    lines: list[str],
    args: argparse.Namespace,
    baseline: bool,
    extra: dict[str, str],
    polled: bool = False,
) -> dict[str, Any]:
    settings = namespaced("esbench")
    writer = Writer(settings)
    writer.setup()
    refresh = args.refresh or ("1s" if baseline else "")
    set_refresh(writer, refresh, **extra)
    if args.bulk_refresh:  # each bulk refreshes the indices it wrote to
        bulk = writer.client.bulk
        writer.client.bulk = lambda **kw: bulk(**{**kw, "refresh": True})  # type: ignore[method-assign]
    # as the indexer refreshes (pipeline.index.refresh), unless the trial sets an interval
    plan = None if refresh or args.bulk_refresh else RefreshPlan()
    events, hook = EventGrouper.from_settings(settings), alert_hook(settings)
    if baseline:  # the same-event search over the whole alias, as before
        events.indices_for = lambda article: [settings.index_alias]  # type: ignore[method-assign]
    articles = [Article.model_validate_json(line) for line in lines]
    stop = threading.Event()
    poller = threading.Thread(target=poll_like_e2e, args=(settings, stop), daemon=True)
    try:
        if args.backfill:  # untimed: every story at its own date, ~20 yearly indices
            for i in range(0, len(articles), 100):
                writer.bulk(articles[i : i + 100])
            writer.client.indices.refresh(index=settings.index_alias)
            articles = [a.model_copy(update={"id": a.id[::-1]}) for a in articles]
        if args.live or args.backfill:
            now = datetime.now(UTC)
            articles = [a.model_copy(update={"published_at": now}) for a in articles]
        before = es_cpu()
        time.sleep(5)
        idle = (es_cpu() - before) / 5
        if polled:
            poller.start()
        threads0 = thread_cpu() if args.threads else {}
        stats0, cpu0, start = node_stats(settings.elasticsearch_url), es_cpu(), time.monotonic()
        for n, i in enumerate(range(0, len(articles), args.batch)):
            time.sleep(max(0.0, start + n * args.batch / args.rate - time.monotonic()))
            batch = articles[i : i + args.batch]
            events.assign(batch)
            writer.bulk(batch)
            hook.indexed([a for a in batch if not a.merged_into])
            if plan is not None:
                prefix = settings.index_prefix
                plan.written({index_for(a, prefix): args.age for a in batch}, time.monotonic())
                if due := plan.due(time.monotonic()):
                    writer.refresh(due)
        if plan is not None and (due := plan.due(time.monotonic(), everything=True)):
            writer.refresh(due)
        time.sleep(2)  # the last scheduled refreshes
        wall, cpu = time.monotonic() - start, es_cpu() - cpu0
        stats1 = node_stats(settings.elasticsearch_url)
        threads1 = thread_cpu() if args.threads else {}
    finally:
        stop.set()
        if poller.is_alive():
            poller.join()
        hook.close()
        remove(settings)
    return {
        "mode": "baseline" if baseline else "current",
        **({"polled_like_e2e": True} if polled else {}),
        **({"settings": extra} if extra else {}),
        "refresh_interval": refresh or "unset",
        "stories": len(articles),
        "es_ms_per_story": round(1000 * (cpu - idle * wall) / len(articles), 1),
        "idle_cpu_s_per_s": round(idle, 3),
        **{k: stats1[k] - stats0[k] for k in stats0},
        **_per_story(threads0, threads1, len(articles)),
    }


def _per_story(before: dict[str, float], after: dict[str, float], n: int) -> dict[str, Any]:
    """The thread groups' CPU ms per story over the trial, largest first (0.1 ms and up)."""
    spent = {k: (v - before.get(k, 0.0)) / n for k, v in after.items()}
    top = sorted(((k, round(v, 1)) for k, v in spent.items() if v >= 0.1), key=lambda kv: -kv[1])
    return {"threads_ms_per_story": dict(top)} if after else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=560)
    parser.add_argument("--articles", type=Path, help="the chain's output, kept here")
    parser.add_argument("--rate", type=float, default=10.0, help="stories per second")
    parser.add_argument("--batch", type=int, default=5, help="stories per bulk")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--live", action="store_true", help="every story dated now")
    parser.add_argument(
        "--backfill", action="store_true", help="the stories at their dates first, untimed"
    )
    parser.add_argument("--refresh", default="", help="refresh_interval (default: unset)")
    parser.add_argument(
        "--threads", action="store_true", help="CPU per story by JVM thread group (jcmd)"
    )
    parser.add_argument(
        "--compare", default="", metavar="K=V[,K=V]",
        help="alternate trials without and with these index settings (without first)",
    )  # fmt: skip
    parser.add_argument(
        "--poll-like-e2e", action="store_true",
        help="alternate trials without and with bench_e2e.py's polling of the alias",
    )  # fmt: skip
    parser.add_argument("--bulk-refresh", action="store_true", help="refresh=true on bulks")
    parser.add_argument(
        "--age",
        type=float,
        default=0.0,
        help="the stories' age in seconds for the indexer's refresh plan (0: fresh, live)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="refresh_interval 1s and the same-event search over the alias",
    )
    parser.add_argument(
        "--alternate",
        action="store_true",
        help="alternate baseline and current trials (baseline first)",
    )
    parser.add_argument(
        "--freshness", type=int, default=0, metavar="N",
        help="instead: seconds from bulk to searchable, N stories per case",
    )  # fmt: skip
    args = parser.parse_args()
    if args.freshness:
        # Elasticsearch's own 1 s interval (the template's is a 30 s backstop since the
        # indexer refreshes what it writes)
        for refresh, idle in (("1s", False), ("1s", True)):
            got = sorted(freshness(refresh, idle, args.freshness))
            case = {"refresh_interval": refresh or "unset", "search_idle": idle}
            p50, top = round(got[len(got) // 2], 2), round(got[-1], 2)
            print(json.dumps({**case, "p50_s": p50, "max_s": top}), flush=True)
        return
    if not CORPUS_HTML.is_dir():
        print(f"skipped: no corpus at {CORPUS_HTML} (the shared corpus is not mounted)")
        return
    if args.articles and args.articles.exists():
        lines = args.articles.read_text().splitlines()
    else:
        with tempfile.TemporaryDirectory(prefix="newswire-es-") as work:
            lines = stories(args.pages, Path(work))
        if args.articles:
            args.articles.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} stories at {args.rate:g}/s in bulks of {args.batch}", flush=True)
    for n in range(args.trials):
        baseline = args.baseline or (args.alternate and n % 2 == 0)
        extra = dict(kv.split("=", 1) for kv in args.compare.split(",") if kv and n % 2)
        polled = args.poll_like_e2e and n % 2 == 1
        result = trial(lines, args, baseline, extra, polled)
        print(json.dumps({"trial": n, **result}), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

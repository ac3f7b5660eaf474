"""The chaos run: one namespace, one pipeline, a phase per fault.

Each phase publishes new pages (and syndicated copies of pages served in earlier phases)
on the loopback hosts' feeds, injects its fault once the phase's pages are flowing,
repairs what the fault broke (restarts the role, starts the service again), and waits
until every URL served so far is accounted for (searchable or dead-lettered) and every
consumer group has caught up. The verdict is computed once at the end over all URLs,
so a later fault that damages an earlier phase's stories shows up too.

The suite also acts as the supervisor a deployment would have: a role that exits by
itself (a worker died during an outage, as it should) is restarted and counted.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.chaos.ledger import Row, Served, account, lettered, where
from tests.chaos.probe import Probe
from tests.chaos.roles import Role
from tests.chaos.stack import ChaosStack, stack_environment
from tests.support.corpus_sites import Sites, corpus_pages, strip_canonical
from wire.settings import Settings
from wire.urls import normalize_url


@dataclass
class Config:
    pages: int = 1100  # URLs served in all (originals once, then syndicated copies)
    hosts: int = 8
    es_down: float = 60.0
    kafka_down: float = 30.0
    throttle: float = 60.0
    phase_timeout: float = 420.0
    workdir: Path = Path("/tmp/newswire-chaos")
    faults: list[str] = field(default_factory=list)  # empty: all
    seed: int = 13


@dataclass
class Phase:
    fault: str
    originals: list[tuple[str, bytes]] = field(default_factory=list)
    copies: list[int] = field(default_factory=list)  # indexes into Suite.published
    notes: list[str] = field(default_factory=list)
    restarts: int = 0
    exits: Counter[str] = field(default_factory=Counter)  # role exits the suite restarted
    seconds: float = 0.0


def plan(names: list[str], corpus: list[tuple[str, bytes]], total: int, seed: int) -> list[Phase]:
    """Split ``total`` URLs over the phases: every page once (as far as ``total`` allows),
    the rest as copies of pages served in an earlier phase; the first phase has no copies,
    the last (after all faults) only copies."""
    rng = random.Random(seed)
    copies = max(total - len(corpus), total // 5)
    originals = corpus[: total - copies]
    rng.shuffle(originals)
    phases = [Phase(n) for n in names]
    with_originals = phases[:-1]
    for i, page in enumerate(originals):
        with_originals[i % len(with_originals)].originals.append(page)
    for i in range(copies):
        phases[1 + i % (len(phases) - 1)].copies.append(i)
    return phases


class Suite:
    def __init__(
        self, config: Config, stack: ChaosStack, faults: dict[str, Callable[[Suite, int], None]]
    ) -> None:
        self.config = config
        self.stack = stack
        self.faults = faults
        ns = "chaos" + uuid.uuid4().hex[:6]
        self.ns = ns
        self.workdir = config.workdir / ns
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.settings: Settings = stack.settings.model_copy(
            update={
                "topic_raw": f"{ns}.raw",
                "topic_articles": f"{ns}.articles",
                "topic_dlq": f"{ns}.dlq",
                "topic_state": f"{ns}.state",
                "processor_group": f"{ns}-processor",
                "indexer_group": f"{ns}-indexer",
                "index_prefix": f"{ns}-news",
                "index_alias": f"{ns}-news",
            }
        )
        self.env = {
            **stack_environment(self.settings),
            **{
                f"NEWSWIRE_{name.upper()}": str(getattr(self.settings, name))
                for name in (
                    "topic_raw",
                    "topic_articles",
                    "topic_dlq",
                    "topic_state",
                    "processor_group",
                    "indexer_group",
                    "index_prefix",
                    "index_alias",
                )
            },
            "NEWSWIRE_PROCESSOR_DATA_DIR": str(self.workdir / "processor-1"),
            "NEWSWIRE_HTTP_ALLOW_PRIVATE": "true",
            "NEWSWIRE_HTTP_RESPECT_ROBOTS": "false",
            "NEWSWIRE_HTTP_PER_HOST_INTERVAL": "0",
            "NEWSWIRE_HTTP_PER_HOST_CONCURRENCY": "4",
            "NEWSWIRE_METRICS_PORT": "-1",
            "NEWSWIRE_EXTRACTION_TIMEOUT_S": "60",  # two shared cores: slow is not broken
        }
        self.sites = Sites(config.hosts)
        self.served: list[Served] = []
        self.published: list[tuple[str, str, bytes, int]] = []  # originals: url, title, body, host
        self.sources = self.workdir / "sources.yaml"
        self.roles: dict[str, Role] = {}
        self.probe = Probe(self.settings)
        self.current: Phase | None = None

    # -- roles ---------------------------------------------------------------------------
    def role(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> Role:
        role = Role(name, argv, {**self.env, **(env or {})}, self.workdir)
        if command:
            role.command = command
        self.roles[name] = role
        role.start()
        return role

    def separate_roles(self) -> None:
        src = ["--sources", str(self.sources)]
        self.role("connectors", ["connectors", *src, "--log-level", "info"])
        self.role("processor", ["processor", "--log-level", "info"])
        self.role("indexer", ["indexer", "--log-level", "info"])

    def supervise(self) -> None:
        """Restart a role that ended by itself, as systemd or Kubernetes would."""
        for role in self.roles.values():
            if role.proc is not None and not role.alive():
                code = role.proc.returncode
                print(f"    {role.name} exited ({code}); restarting\n{role.log_tail(5)}")
                if self.current is not None:
                    self.current.restarts += 1
                    self.current.exits[f"{role.name} exited {code}"] += 1
                role.start()

    def retire(self, name: str) -> int | None:
        role = self.roles.pop(name)
        return role.stop()

    # -- pages ---------------------------------------------------------------------------
    def write_sources(self) -> None:
        lines = ["sources:"]
        for i, host in enumerate(self.sites.hosts):
            lines += [
                f"  - id: host-{i}",
                "    connector: rss",
                f"    name: Chaos host {i}",
                f"    config: {{url: '{host.base}/feed.xml', max_entries: 5000}}",
                "    interval: 4",
            ]
        self.sources.write_text("\n".join(lines) + "\n")

    def publish(self, phase: Phase, index: int) -> None:
        hosts = len(self.sites.hosts)
        for n, (name, body) in enumerate(phase.originals):
            slug = name.replace("/", "-").removesuffix(".gz")
            host = (index + n) % hosts
            title = f"{name} ({phase.fault})"
            url = self.sites.publish(host, f"/p/{slug}", title, strip_canonical(body))
            self.published.append((url, title, strip_canonical(body), host))
            self.served.append(Served(url, phase.fault))
        for n, i in enumerate(phase.copies):
            url, title, body, origin = self.published[i % len(self.published)]
            host = (origin + 1 + n % (hosts - 1)) % hosts  # never the original's host
            copy = self.sites.publish(host, f"/copy/{index}/{n}", title, body)
            self.served.append(Served(copy, phase.fault, copy_of=url))

    # -- waiting -------------------------------------------------------------------------
    def accounted(self) -> tuple[int, int] | None:
        """(URLs accounted for, URLs served so far); None while a service is down."""
        docs, letters = self.probe.docs(), self.probe.letters()
        if docs is None or letters is None:
            return None
        found = where(docs)
        by_key, others = lettered(letters)
        done = 0
        for item in self.served:
            url = normalize_url(item.url)
            if url in found or url in by_key or any(item.url in x.payload for x in others):
                done += 1
        return done, len(self.served)

    def wait_progress(self, fraction: float, timeout: float = 60) -> None:
        """Until ``fraction`` of this phase's URLs are through (the fault hits mid-stream)."""
        assert self.current is not None
        mine = len(self.current.originals) + len(self.current.copies)
        before = len(self.served) - mine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.supervise()
            got = self.accounted()
            if got is not None and got[0] - before >= fraction * mine:
                return
            time.sleep(2)

    def wait_settled(self, timeout: float) -> bool:
        """Until every URL is accounted for and no group lags (twice in a row)."""
        deadline = time.monotonic() + timeout
        calm = 0
        shown = time.monotonic()
        while time.monotonic() < deadline:
            self.supervise()
            got = self.accounted()
            if time.monotonic() - shown > 30:
                shown = time.monotonic()
                print(f"   ... accounted {got} (URLs through, served)", flush=True)
            lag = self.probe.lag() if got and got[0] == got[1] else None
            calm = calm + 1 if lag == 0 else 0
            if calm >= 2:
                return True
            time.sleep(3)
        return False

    # -- the run -------------------------------------------------------------------------
    def run(self, names: list[str]) -> list[Row]:
        corpus = list(corpus_pages())
        phases = plan(["none", *names, "after all faults"], corpus, self.config.pages,
                      self.config.seed)  # fmt: skip
        self.sites.start()
        self.write_sources()
        try:
            self.separate_roles()
            for index, phase in enumerate(phases):
                self.current = phase
                begin = time.monotonic()
                fault = self.faults.get(phase.fault)
                print(f"== {phase.fault}: {len(phase.originals)} pages, "
                      f"{len(phase.copies)} copies", flush=True)  # fmt: skip
                before = getattr(fault, "before_publish", None)
                if before:
                    before(self, index)
                self.publish(phase, index)
                if fault:
                    fault(self, index)
                settled = self.wait_settled(self.config.phase_timeout)
                phase.seconds = time.monotonic() - begin
                phase.notes += [f"{what}, restarted (x{n})" for what, n in phase.exits.items()]
                if not settled:
                    phase.notes.append(f"not settled within {self.config.phase_timeout:.0f}s")
                got = self.accounted()
                print(f"   {phase.seconds:.0f}s, accounted {got}; {'; '.join(phase.notes)}",
                      flush=True)  # fmt: skip
            for name in list(self.roles):
                self.retire(name)
            docs = self.probe.docs(bodies=True) or []
            letters = self.probe.letters() or []
            rows = account(self.served, docs, letters)
            for row in rows:
                for ph in phases:
                    if ph.fault == row.fault:
                        row.reasons["restarts"] = ph.restarts
            self.phases = phases
            return rows
        finally:
            for name in list(self.roles):
                self.retire(name)
            self.sites.stop()
            self.probe.close()

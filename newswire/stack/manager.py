"""``newswire stack up | down | status | reset``: idempotent, waits for real readiness."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newswire.stack.services import ElasticsearchService, KafkaService, ServiceStatus
from wire.settings import Settings

Report = Callable[[str], None]


@dataclass
class UpResult:
    started: list[str]
    already_running: list[str]
    seconds: float
    java: dict[str, str]


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kafka = KafkaService(settings)
        self.elasticsearch = ElasticsearchService(settings)

    @property
    def services(self) -> list[KafkaService | ElasticsearchService]:
        return [self.kafka, self.elasticsearch]

    def up(self, report: Report = lambda _: None) -> UpResult:
        """Fetch what is missing, start what is not running, wait until both answer.

        Both services start before either is waited on, so their JVM start-ups overlap.
        """
        begin = time.monotonic()
        started: list[str] = []
        running: list[str] = []
        java: dict[str, str] = {}
        self.settings.home.mkdir(parents=True, exist_ok=True)
        to_start = [s for s in self.services if s.process.pid() is None]
        for service in to_start:
            service.jdk()  # fail before any download when Java is missing
        for service in self.services:
            if service.process.pid() is not None and service.ready():
                running.append(service.name)
                continue
            if service.process.pid() is not None:
                # Started by an earlier `up` that did not wait for it: just wait again.
                started.append(service.name)
                continue
            report(f"fetching {service.name} (cached after the first time)")
            service.fetch()
            report(f"starting {service.name}")
            java[service.name] = str(service.start())
            started.append(service.name)
        for service in self.services:
            if service.name in started:
                report(f"waiting for {service.name} to answer")
                service.wait()
        return UpResult(started, running, time.monotonic() - begin, java)

    def down(self, report: Report = lambda _: None) -> list[str]:
        stopped = []
        for service in reversed(self.services):
            report(f"stopping {service.name}")
            if service.process.stop():
                stopped.append(service.name)
        return stopped

    def reset(self, report: Report = lambda _: None) -> list[Path]:
        """Stop the stack and delete what it stored: Kafka's topics, Elasticsearch's
        indices and the processor's dedup state. The downloaded services stay, so the
        next ``up`` starts empty without fetching anything. Returns what was deleted."""
        self.down(report)
        stores = [s.data for s in self.services]
        stores.append(self.settings.processor_data_dir or self.settings.home / "processor")
        removed = []
        for path in stores:
            if path.exists():
                report(f"deleting {path}")
                shutil.rmtree(path)
                removed.append(path)
        return removed

    def status(self) -> list[ServiceStatus]:
        return [service.status() for service in self.services]

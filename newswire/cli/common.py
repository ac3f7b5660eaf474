"""Helpers shared by the CLI's command groups."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from wire.settings import Settings, get_settings

console = Console(stderr=True)
out = Console()


def settings() -> Settings:
    return get_settings()


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # These libraries are chatty at INFO about every connection.
    for noisy in ("kafka", "aiokafka", "elastic_transport", "faust", "mode", "trafilatura"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def status(message: str) -> Iterator[None]:
    with console.status(message):
        yield

"""Helpers shared by the CLI's command groups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
import typer.core
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from wire.settings import Settings

console = Console(stderr=True)
out = Console()


def _flag_type(self: typer.core.TyperOption, ctx: Any) -> str | None:
    """A flag takes no value: show no ``<bool>`` in help (typer 0.29 shows one, which reads as
    ``--json <bool>``, and ``--json true`` then searches for "true")."""
    if self.is_flag:
        return None
    return _typer_display_type(self, ctx)


_typer_display_type = typer.core.TyperOption.display_type_rich
typer.core.TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]


def settings() -> Settings:
    """The process's settings, imported on first use: pydantic-settings costs 0.2-0.6 s to
    import, which ``--help`` and the commands that never read a setting should not pay."""
    from wire.settings import get_settings

    return get_settings()


log_format: str | None = None  # the global --log-format; else the log_format setting


def setup_logging(level: str, role: str = "cli") -> None:
    """Text or JSON lines (``--log-format``, ``NEWSWIRE_LOG_FORMAT``) at ``level``."""
    from newswire.logs import configure

    configure(level, log_format or settings().log_format, role)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` as one line on stderr and return the exit to raise.

    The message is escaped (text in square brackets is not rich markup) and never wrapped
    (``soft_wrap``), so scripts and the no-traceback test see exactly one line.
    """
    console.print(f"[bold red]error:[/] {escape(one_line(message))}", soft_wrap=True)
    return typer.Exit(code)


def one_line(message: str) -> str:
    return " ".join(str(message).split())


def user_error(exc: BaseException) -> str | None:
    """The one-line message for an error the user can act on (a bad query or filter, a
    service that is down), or None for a bug, which keeps its traceback."""
    from pipeline.index.query import QueryError

    if isinstance(exc, QueryError):
        return str(exc)
    name = type(exc).__name__
    module = type(exc).__module__
    if module.startswith("kafka") and name in {"NoBrokersAvailable", "KafkaTimeoutError"}:
        return (
            f"Kafka is not reachable at {settings().kafka_bootstrap} ({name}); "
            "is the stack up (`newswire stack status`)?"
        )
    if module.startswith(("elastic_transport", "elasticsearch")) and "Connection" in name:
        return (
            f"Elasticsearch is not reachable at {_host(settings().elasticsearch_url)} ({name}); "
            "is the stack up (`newswire stack status`)?"
        )
    return None


@contextmanager
def status(message: str) -> Iterator[None]:
    with console.status(message):
        yield


# -- --fail-on: status commands as probes and cron checks --------------------------------

FAIL_ON = ("failing", "lagging")
FailOnOpt = typer.Option(
    [],
    "--fail-on",
    help="Exit non-zero when a source is failing, or when something is lagging "
    "(repeat the option or give a comma list: failing,lagging).",
)


def parse_fail_on(values: list[str]) -> set[str]:
    wanted = {v.strip().lower() for value in values for v in value.split(",") if v.strip()}
    unknown = wanted - set(FAIL_ON)
    if unknown:
        raise fail(f"--fail-on takes {' or '.join(FAIL_ON)}, not {', '.join(sorted(unknown))}", 2)
    return wanted


def failing_sources(stats: dict[str, dict[str, Any]]) -> list[str]:
    return [sid for sid, st in stats.items() if st.get("failing")]


def lagging_sources(stats: dict[str, dict[str, Any]], now: float) -> list[str]:
    """Sources overdue by more than their interval (at least a minute): the connectors
    are not keeping up with the schedule, or not running at all."""
    late = []
    for sid, st in stats.items():
        due = st.get("next_due")
        if due and now - due > max(60.0, float(st.get("interval") or 0)):
            late.append(sid)
    return late


def exit_on(problems: dict[str, list[str]], wanted: set[str]) -> None:
    """Raise a non-zero exit naming the first kind of problem asked for that is present."""
    for kind in FAIL_ON:
        if kind in wanted and problems.get(kind):
            names = problems[kind]
            shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
            raise fail(f"{len(names)} {kind}: {shown}")


def _host(url: str) -> str:
    """host:port only: a URL may carry a password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

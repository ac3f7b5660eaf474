"""``newswire sources``: validate sources files, convert them to and from OPML, discover feeds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from newswire.cli.common import (
    FailOnOpt,
    console,
    exit_on,
    fail,
    failing_sources,
    lagging_sources,
    out,
    parse_fail_on,
    settings,
)

if TYPE_CHECKING:
    from connectors.sdk.sources import Source

app = typer.Typer(help="Validate and convert sources files.", no_args_is_help=True)


@app.command()
def check(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Validate a sources file; errors give the file and line of each bad source."""
    from connectors.sdk.sources import SourcesError, load_sources

    try:
        sources = load_sources(file)
    except SourcesError as exc:
        for problem in exc.problems:  # one line each: editors and CI jump to file:line
            console.print(f"[red]{problem}[/]", soft_wrap=True, markup=True, highlight=False)
        raise fail(f"{len(exc.problems)} problem(s) in {file}") from exc
    by_connector: dict[str, int] = {}
    for s in sources:
        by_connector[s.connector] = by_connector.get(s.connector, 0) + 1
    summary = ", ".join(f"{n} {c}" for c, n in sorted(by_connector.items()))
    out.print(f"[green]ok[/]: {len(sources)} sources ({summary})")


@app.command("import-opml")
def import_opml(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="An OPML file."),
    output: Path = typer.Option(
        Path("sources.yaml"), "--output", "-o", help="Sources file to write or merge into."
    ),
    country: str | None = typer.Option(
        None, "--country", help="Publisher country (ISO 3166-1 alpha-2) for every feed."
    ),
) -> None:
    """Add the feeds of an OPML file to a sources file (created if missing).

    Folders become tags. Sources already in the file keep their ids; a feed whose URL
    is already there is reported and left out.
    """
    from connectors.sdk import opml
    from connectors.sdk.sources import SourcesError, load_sources

    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise fail(f"--country must be an ISO 3166-1 alpha-2 code, not {country!r}")
    existing: list[Source] = []
    if output.exists() and output.read_text().strip():
        try:
            existing = load_sources(output, check_connectors=False)
        except SourcesError as exc:
            raise fail(f"{output} is not a valid sources file:\n{exc}") from exc
    try:
        result = opml.import_opml(file.read_bytes(), country=country, existing=existing)
    except opml.OpmlError as exc:
        raise fail(f"{file}: {exc}") from exc
    added = result.sources
    for line in result.skipped:
        console.print(f"[yellow]skipped[/] {file}: {line}")
    for line in result.duplicates:
        console.print(f"[yellow]duplicate[/] {line}")
    if added:
        text = output.read_text() if output.exists() else ""
        output.write_text(append_sources(text, added))
    out.print(
        f"[green]ok[/]: {len(added)} feeds added to {output} "
        f"({len(result.duplicates)} duplicates, {len(result.skipped)} outlines skipped)"
    )


@app.command("export-opml")
def export_opml(
    sources: Path | None = typer.Option(
        None, "--sources", "-s", exists=True, dir_okay=False, help="Default: the bundled list."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Default: standard output."),
) -> None:
    """Write the rss sources of a sources file as OPML (tags become nested folders)."""
    from connectors.sdk import opml
    from connectors.sdk.sources import SourcesError, load_sources
    from newswire.runtime import DEFAULT_SOURCES

    path = sources or DEFAULT_SOURCES
    try:
        loaded = load_sources(path, check_connectors=False)
    except SourcesError as exc:
        raise fail(f"invalid sources file:\n{exc}") from exc
    others = [s.id for s in loaded if s.connector != "rss"]
    if others:
        console.print(f"[yellow]not feeds, left out[/]: {', '.join(others)}")
    data = opml.export_opml(loaded, title=f"newswire sources ({path.name})")
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
    else:
        output.write_bytes(data)
        console.print(f"[green]ok[/]: {len(loaded) - len(others)} feeds written to {output}")


@app.command()
def discover(url: str = typer.Argument(..., help="A site's page, e.g. its home page.")) -> None:
    """List the feeds a web page advertises (<link rel="alternate">), best first."""
    from connectors.rss.discover import best, discover
    from connectors.sdk.apis import looks_like_html
    from connectors.sdk.errors import ConnectorError
    from connectors.sdk.http import HttpClient

    http = HttpClient.from_settings(settings())
    try:
        page = http.get(url, subscribed=True)  # asked for by the user, as a feed is
    except ConnectorError as exc:
        raise fail(f"{url}: {exc}") from exc
    finally:
        http.close()
    if not looks_like_html(page.content, page.headers.get("content-type")):
        out.print(f"{page.url} is not a web page: it may be a feed itself")
        return
    feeds = discover(page.content, page.url)
    if not feeds:
        raise fail(f"{page.url} advertises no feed")
    choice = best(feeds)
    for feed in sorted(feeds, key=lambda f: f is not choice):
        mark = "[green]*[/]" if feed is choice else " "
        out.print(f"{mark} {feed.url}  [dim]{feed.type}[/]  {feed.title or ''}".rstrip())


# -- writing sources files ---------------------------------------------------------------


def append_sources(text: str, new: list[Source]) -> str:
    """``text`` (a sources file, possibly empty) with ``new`` appended to its list.

    The existing text is kept as it is, comments included: the entries are inserted
    after the last source of a block-style ``sources:`` list. Any other shape (no file,
    a flow-style list) is rewritten whole.
    """
    import yaml  # here, not at the top: `newswire --help` imports this module too

    entries = "".join(_render(s) for s in new)
    if not text.strip():
        return "sources:\n" + _indent(entries, 2)
    root = yaml.compose(text)
    seq = _sources_node(root)
    if seq is None or seq.flow_style or not seq.value:
        doc = yaml.safe_load(text) or {}
        rest = [_source_dict(s) for s in new]
        doc["sources"] = list(doc.get("sources") or []) + rest
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    last = seq.value[-1]
    line_start = text.rfind("\n", 0, last.start_mark.index) + 1
    dash = text.index("-", line_start)
    end = _last_index(last)
    cut = text.find("\n", end)
    head, tail = (text, "") if cut < 0 else (text[: cut + 1], text[cut + 1 :])
    if not head.endswith("\n"):
        head += "\n"
    return head + _indent(entries, dash - line_start) + tail


def _sources_node(root: Any) -> Any:
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "sources" and isinstance(value, yaml.SequenceNode):
            return value
    return None


def _last_index(node: Any) -> int:
    """Where the last scalar of ``node`` ends (a block node's own end is the next token)."""
    import yaml

    if isinstance(node, yaml.ScalarNode) or node.flow_style:
        return int(node.end_mark.index)
    children = (
        [v for pair in node.value for v in pair]
        if isinstance(node, yaml.MappingNode)
        else node.value
    )
    return max((_last_index(child) for child in children), default=int(node.end_mark.index))


def _source_dict(source: Source) -> dict[str, Any]:
    data = source.model_dump(exclude_defaults=True, exclude={"line"})
    data.update(id=source.id, connector=source.connector)
    if isinstance(data.get("interval"), float) and data["interval"].is_integer():
        data["interval"] = int(data["interval"])
    return data


def _render(source: Source) -> str:
    """One list entry in the style of the bundled file (flow-style config and tags)."""
    data = _source_dict(source)
    order = ["id", "connector", "name", "config", "interval", "country", "tags", "enabled"]
    lines = []
    for key in sorted(data, key=lambda k: order.index(k) if k in order else len(order)):
        lines.append(f"{key}: {_flow(data[key])}")
    return "- " + "\n  ".join(lines) + "\n"


def _flow(value: Any) -> str:
    import yaml

    # Dump inside a one-element flow list, so scalars get no "..." end marker.
    dumped = yaml.safe_dump([value], default_flow_style=True, width=10**6, allow_unicode=True)
    return dumped.strip()[1:-1]


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def sources_status(
    as_json: bool = typer.Option(False, "--json", help="One JSON document, keyed by source."),
    fail_on: list[str] = FailOnOpt,
) -> None:
    """Health of every source from news.connector-state: polls, new items, errors, failing.

    With --fail-on it exits non-zero when a source is failing, or lagging (overdue by
    more than its interval, at least a minute): fit for cron and probes.
    """
    wanted = parse_fail_on(fail_on)
    import json
    import time

    from kafka.errors import KafkaError
    from rich.table import Table

    from connectors.sdk.state import KafkaStateStore
    from wire.clients import kafka_client_config

    s = settings()
    try:
        states = KafkaStateStore(None, kafka_client_config(s), s.topic_state).load_all()
    except KafkaError as exc:
        raise fail(f"cannot read {s.topic_state} from Kafka at {s.kafka_bootstrap}: {exc}") from exc
    report = {sid: st.get("stats") or {} for sid, st in sorted(states.items())}
    now = time.time()
    problems = {"failing": failing_sources(report), "lagging": lagging_sources(report, now)}
    if as_json:
        out.print_json(json.dumps(report))
        exit_on(problems, wanted)
        return

    def when(ts: float | None) -> str:
        if not ts:
            return "never"
        minutes = (ts - now) / 60
        return f"in {minutes:.0f} min" if minutes >= 0 else f"{-minutes:.0f} min ago"

    failing = sum(1 for st in report.values() if st.get("failing"))
    table = Table(title=f"{len(report)} sources, {failing} failing")
    columns = ("source", "last success", "polls", "new items", "not modified", "errors")
    for col in (*columns, "in a row", "next due", "failing", "last error"):
        table.add_column(col, overflow="fold")
    for sid, st in report.items():
        table.add_row(
            sid,
            when(st.get("last_success")),
            *(str(st.get(k, 0)) for k in ("polls", "items", "not_modified", "errors")),
            str(st.get("consecutive_failures", 0)),
            when(st.get("next_due")),
            "yes" if st.get("failing") else "",
            (st.get("last_error") or "")[:120] if st.get("consecutive_failures") else "",
            style="red" if st.get("failing") else "",
        )
    out.print(table)
    exit_on(problems, wanted)


app.command("status")(sources_status)

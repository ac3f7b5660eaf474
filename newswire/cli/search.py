"""``newswire search``: find stories, one line per story (syndicated copies collapsed)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from newswire.cli.common import fail, out, settings


def search(
    query: str = typer.Argument("", help="Words to look for in title, summary and body."),
    region: str | None = typer.Option(
        None, "--region", "-r", help="Country (AF), subdivision (AF-BDS) or world region."
    ),
    topic: str | None = typer.Option(None, "--topic", "-t", help="Topic slug, e.g. diplomacy."),
    source: str | None = typer.Option(None, "--source", help="Source id or domain."),
    lang: str | None = typer.Option(None, "--lang", help="ISO 639-1 language."),
    since: str | None = typer.Option(None, "--since", help="7d, 12h or an ISO date."),
    until: str | None = typer.Option(None, "--until", help="7d, 12h or an ISO date."),
    size: int = typer.Option(10, "--size", "-n", min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="One JSON document for machines."),
) -> None:
    """Search indexed stories, newest first when there is no query."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    from pipeline.index.search import Filters, parse_when
    from pipeline.index.search import search as run_search
    from pipeline.index.writer import make_client

    s = settings()
    filters = Filters(
        region=region,
        topic=topic,
        source=source,
        lang=lang,
        since=parse_when(since) if since else None,
        until=parse_when(until) if until else None,
    )
    try:
        result = run_search(make_client(s), s.index_alias, query or None, filters, size=size)
    except (ApiError, TransportError) as exc:
        raise fail(
            f"search failed: {exc}. Is Elasticsearch up (`newswire stack status`) "
            "and has `newswire run` indexed anything?"
        ) from exc
    if as_json:
        out.print_json(json.dumps(result, default=str))
        return
    table = Table(title=f"{result['stories']} stories ({result['total']} documents)")
    for col in ("published", "source", "title", "countries", "topics", "outlets"):
        table.add_column(col, overflow="fold")
    for hit in result["hits"]:
        table.add_row(
            (hit.get("published_at") or "")[:16].replace("T", " "),
            hit.get("source", {}).get("name", ""),
            hit.get("title") or hit.get("url", ""),
            ",".join(hit.get("countries", [])[:5]),
            ",".join(hit.get("topics", [])[:3]),
            str(hit["outlets"]),
        )
    out.print(table)

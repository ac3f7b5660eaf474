"""``newswire search`` and ``newswire show``: find stories, then open one.

The table puts a short id on every row (``newswire show ID`` opens the story: URL, tags,
text) and fits the terminal: columns are dropped by priority rather than squeezed until
words break mid-word. Query syntax and filters: docs/search.md.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from newswire.cli.common import fail, out, settings

QUERY_HELP = (
    'Words, "phrases", prefix*, AND / OR / NOT / -word, ( ), title: summary: body: '
    "source: (docs/search.md). Plain words match any of them, best first."
)
REGION_HELP = (
    "Country (AF, AFG, Afghanistan), subdivision (AF-BDS) or UN M49 region "
    "('Southern Asia'): stories about it (focus); --mentions for any mention."
)

# (name, width, priority: lower stays longer); the title takes what the others leave
_COLUMNS = [
    ("id", 8, 0),
    ("published", 10, 1),
    ("title", 30, 0),
    ("source", 14, 2),
    ("countries", 9, 3),
    ("topics", 18, 4),
    ("outlets", 7, 5),
    ("url", 48, 6),
]


def search(
    query: str = typer.Argument("", help=QUERY_HELP, show_default=False),
    region: str | None = typer.Option(None, "--region", "-r", help=REGION_HELP),
    mentions: bool = typer.Option(
        False, "--mentions", help="--region matches any mention, not only the focus."
    ),
    topic: str | None = typer.Option(
        None, "--topic", "-t", help="Topic slug (diplomacy), IPTC label or code."
    ),
    source: str | None = typer.Option(None, "--source", help="Source id or domain."),
    lang: str | None = typer.Option(None, "--lang", help="ISO 639-1 language."),
    since: str | None = typer.Option(None, "--since", help="7d, 12h or an ISO date."),
    until: str | None = typer.Option(None, "--until", help="7d, 12h or an ISO date."),
    size: int = typer.Option(10, "--size", "-n", min=1, max=500),
    as_json: bool = typer.Option(False, "--json", help="One JSON document, facets included."),
    by_event: bool = typer.Option(
        False, "--by-event", help="One row per event (story_id): outlets that reported it."
    ),
) -> None:
    """Search indexed stories, newest first when there is no query."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError, NotFoundError

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
        mentions=mentions,
    )
    client = make_client(s)
    try:
        result = run_search(
            client, s.index_alias, query or None, filters,
            size=size, facets=as_json, by_event=by_event,
        )  # fmt: skip
    except NotFoundError:
        raise fail(
            "nothing is indexed yet (no index behind the alias); run `newswire run`"
        ) from None
    except (ApiError, TransportError) as exc:
        raise fail(
            f"search failed: {type(exc).__name__}. Is Elasticsearch up (`newswire stack status`)?"
        ) from exc
    if as_json:
        print(json.dumps(result, default=str, ensure_ascii=False))
        return
    out.print(results_table(result, out.width), soft_wrap=False)


def results_table(result: dict[str, Any], width: int) -> Table:
    """The hits as a table that fits ``width``: low-priority columns go first."""
    from pipeline.index.search import SHORT_ID

    chosen = _fit(width)
    table = Table(
        title=f"{result['stories']} stories ({result['total']} documents)",
        caption="open one: newswire show ID" if result["hits"] else None,
        expand=False,
        pad_edge=False,
    )
    for name, col_width, _p in chosen:
        if name == "title":  # wraps at word boundaries; only a word wider than it is cut
            table.add_column(name, min_width=col_width, ratio=1, overflow="fold")
        elif name == "url":  # a URL has no spaces: folded, never cut
            table.add_column(name, width=col_width, overflow="fold")
        else:
            table.add_column(name, width=col_width, no_wrap=True, overflow="ellipsis")
    for hit in result["hits"]:
        cells = {
            "id": str(hit.get("id", ""))[:SHORT_ID],
            "published": (hit.get("published_at") or "")[:10],
            "title": hit.get("title") or hit.get("url", ""),
            "source": (hit.get("source") or {}).get("name", ""),
            "countries": ",".join(hit.get("focus_countries") or hit.get("countries", [])[:3]),
            "topics": ",".join(hit.get("topics", [])[:2]),
            "outlets": str(hit.get("outlets", 1)),
            "url": hit.get("url", ""),
        }
        table.add_row(*(escape(cells[name]) for name, _w, _p in chosen))
    return table


def _fit(width: int) -> list[tuple[str, int, int]]:
    """The columns that fit, in display order: each costs its width plus 3 for borders."""
    budget = width - 4
    chosen: set[str] = set()
    for name, w, _prio in sorted(_COLUMNS, key=lambda c: c[2]):
        if w + 3 <= budget or name in ("id", "title"):
            chosen.add(name)
            budget -= w + 3
    return [c for c in _COLUMNS if c[0] in chosen]


def show(
    story: str = typer.Argument(..., help="Story id (the 8 digits search shows, or more) or URL."),
    as_json: bool = typer.Option(False, "--json", help="The indexed document as JSON."),
) -> None:
    """One story: URL, source, time, tags and text."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError, NotFoundError

    from pipeline.index.search import find_story
    from pipeline.index.writer import make_client

    s = settings()
    try:
        found = find_story(make_client(s), s.index_alias, story)
    except NotFoundError:
        found = []
    except (ApiError, TransportError) as exc:
        raise fail(f"lookup failed: {type(exc).__name__}; is Elasticsearch up?") from exc
    if not found:
        raise fail(f"no story {story}")
    if len(found) > 1:
        raise fail(f"{story} is ambiguous: {', '.join(d['id'] for d in found)}; give more digits")
    doc = found[0]
    if as_json:
        print(json.dumps(doc, default=str, ensure_ascii=False))
        return
    from newswire.cli.render import story_summary

    out.print(story_summary(doc), soft_wrap=True, highlight=False)

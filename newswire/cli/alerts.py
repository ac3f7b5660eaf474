"""``newswire alerts``: saved searches that POST new matching stories to a webhook.

The indexer percolates every acknowledged bulk against the alerts (``pipeline.index.alerts``)
and POSTs each new match once per story per alert (``newswire.alerts``). Stories indexed
before an alert was added do not fire it; ``alerts test`` shows what it matches today.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from newswire.cli.common import console, fail, out, settings
from newswire.cli.search import QUERY_HELP, REGION_HELP

if TYPE_CHECKING:
    from pipeline.index.alerts import AlertStore

app = typer.Typer(
    help="Alerts: saved searches that POST new stories to a webhook.", no_args_is_help=True
)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _store() -> AlertStore:
    from pipeline.index.alerts import AlertStore
    from pipeline.index.writer import make_client

    s = settings()
    return AlertStore(make_client(s), s.index_prefix, s.index_alias)


@app.command()
def add(
    name: str = typer.Argument(
        ..., help="A name: letters, digits, . _ - (replaces one of the same name)."
    ),
    query: str = typer.Argument(..., help=QUERY_HELP),
    webhook: str = typer.Option(
        ..., "--webhook", help="http(s) URL the stories are POSTed to as JSON."
    ),
    region: str | None = typer.Option(None, "--region", "-r", help=REGION_HELP),
    mentions: bool = typer.Option(False, "--mentions", help="--region matches any mention."),
    topic: str | None = typer.Option(None, "--topic", "-t", help="Topic slug, IPTC label or code."),
    source: str | None = typer.Option(None, "--source", help="Source id or domain."),
    lang: str | None = typer.Option(None, "--lang", help="ISO 639-1 language."),
) -> None:
    """Add (or replace) an alert; new matching stories are POSTed to the webhook."""
    from connectors.sdk.errors import ConnectorError
    from connectors.sdk.guard import check_url
    from pipeline.index.alerts import Alert

    if not _NAME.match(name):
        raise fail(f"alert name {name!r}: use letters, digits, '.', '_' or '-' (100 at most)", 2)
    alert = Alert(name, query, webhook, region, mentions, topic, source, lang)
    alert.to_doc()  # a bad query or filter is refused here (QueryError: one line)
    try:
        check_url(webhook, allow_private=settings().http_allow_private)
    except ConnectorError as exc:
        raise fail(f"webhook refused: {exc}", 2) from None
    _store().add(alert)
    console.print(
        escape(f"alert {name} added: new stories matching it go to {webhook}"), soft_wrap=True
    )


@app.command("list")
def list_alerts(as_json: bool = typer.Option(False, "--json", help="JSON lines.")) -> None:
    """The alerts, with their query, filters and webhook."""
    from dataclasses import asdict

    alerts = _store().all()
    if as_json:
        for alert in alerts:
            print(json.dumps(asdict(alert)))
        return
    table = Table(title=f"{len(alerts)} alerts")
    for col in ("name", "query", "filters", "webhook"):
        table.add_column(col, overflow="fold")
    for a in alerts:
        filters = " ".join(
            f"{k}={v}" for k, v in (("region", a.region), ("topic", a.topic), ("source", a.source),
                                    ("lang", a.lang)) if v
        ) + (" mentions" if a.mentions else "")  # fmt: skip
        table.add_row(escape(a.name), escape(a.query), escape(filters), escape(a.webhook))
    out.print(table)


@app.command()
def remove(name: str = typer.Argument(..., help="The alert's name.")) -> None:
    """Remove an alert (its past deliveries stay recorded)."""
    if not _store().remove(name):
        raise fail(f"no alert {name}")
    console.print(escape(f"alert {name} removed"), soft_wrap=True)


@app.command("test")
def try_alert(
    name: str = typer.Argument(..., help="The alert's name."),
    send: bool = typer.Option(
        False, "--send", help="POST the newest match to the webhook now (not recorded)."
    ),
    size: int = typer.Option(5, "--size", "-n", min=1, max=100, help="Matches to show."),
) -> None:
    """What the alert matches among indexed stories; --send tries its webhook."""
    from elasticsearch import NotFoundError

    from newswire.cli.search import results_table
    from pipeline.index.search import search as run_search

    store = _store()
    alert = store.get(name)
    if alert is None:
        raise fail(f"no alert {name}")
    try:
        result = run_search(
            store.client, settings().index_alias, alert.query or None, alert.filters(), size=size
        )
    except NotFoundError:
        result = {"total": 0, "stories": 0, "hits": []}
    out.print(results_table(result, out.width))
    if send:
        from newswire.alerts import WebhookSender, payload

        if not result["hits"]:
            raise fail("nothing indexed matches the alert: nothing to send")
        sender = WebhookSender(settings(), attempts=1)
        try:
            sender.post(alert, payload(alert, result["hits"][0]))
        except Exception as exc:
            raise fail(f"webhook failed: {type(exc).__name__}: {exc}") from None
        finally:
            sender.close(timeout=1)
        console.print(escape(f"sent 1 story to {alert.webhook}"), soft_wrap=True)

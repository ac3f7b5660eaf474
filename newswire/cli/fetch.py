"""``newswire fetch URL``: what newswire makes of one page, without Kafka or Elasticsearch.

The page comes through the connectors' own HTTP client (robots.txt, politeness, size cap,
the SSRF guard: private addresses only with NEWSWIRE_HTTP_ALLOW_PRIVATE=true) and goes
through the same chain, cleanup and taggers as the processor (``pipeline.chain.process``
with ``pipeline.tagging.default_taggers``), so what it prints is what would be indexed,
before deduplication. The first debugging tool of a connector author or an analyst.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import typer

from newswire.cli.common import fail, out, settings


def fetch(
    url: str = typer.Argument(..., help="The page's URL (http or https)."),
    html: Path | None = typer.Option(
        None,
        "--html",
        exists=True,
        dir_okay=False,
        help="Read the page from this saved file instead of fetching it (URL gives its address).",
    ),
    as_json: bool = typer.Option(False, "--json", help="The article as JSON, body included."),
    excerpt: int = typer.Option(600, "--excerpt", min=0, help="Characters of body shown."),
) -> None:
    """Fetch one page and print the article newswire makes of it."""
    from pipeline.chain import NotAnArticle
    from pipeline.chain import process as run_chain
    from pipeline.tagging import default_taggers
    from wire.models import RawItem, SourceRef
    from wire.urls import normalize_url

    if urlsplit(url).scheme not in ("http", "https"):
        raise fail(f"{url!r} is not an http(s) URL", 2)
    body = html.read_bytes().decode("utf-8", "replace") if html else _download(url)
    domain = urlsplit(url).hostname or ""
    raw = RawItem(
        key=normalize_url(url),
        url=url,
        source=SourceRef(id="fetch", name=domain or "fetch", connector="fetch", domain=domain),
        html=body,
    )
    try:
        article = run_chain(raw, default_taggers(preload=False))
    except NotAnArticle as exc:
        raise fail(f"{url}: not an article ({exc})") from None
    doc = article.model_dump(mode="json", exclude_none=True)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    from newswire.cli.render import story_summary

    out.print(story_summary(doc, excerpt=excerpt), soft_wrap=True, highlight=False)


def _download(url: str) -> str:
    """The page through the connectors' client; a refusal or failure is one line."""
    from connectors.sdk.errors import ConnectorError
    from connectors.sdk.http import HttpClient

    client = HttpClient.from_settings(settings())
    try:
        resp = client.get(url)
    except ConnectorError as exc:
        raise fail(f"not fetched: {exc}") from None
    finally:
        client.close()
    return resp.text

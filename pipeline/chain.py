"""The processing chain as one pure function: a raw item in, an article out.

No Kafka, faust, HTTP or Elasticsearch here: the faust agent and ``newswire process``
both call ``process`` and differ only in where items come from and go to. Dedup is not
part of it: it needs state, which the caller owns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import lxml.html

from pipeline.clean import dateline_of
from pipeline.extract import extract
from pipeline.extract.fields import sane_time
from pipeline.extract.language import detect_language
from wire.metrics import CHAIN_CLOCK
from wire.models import Article, Dateline, Extraction, RawItem, article_id
from wire.urls import is_web_url, normalize_url

Tagger = Callable[[Article], Article]
"""A tagging step: fills fields of the article (regions, topics) and returns it."""


class NotAnArticle(ValueError):
    """The item has no article text: it goes to the dead-letter topic with this reason."""


class NotAWebUrl(NotAnArticle):
    """The item's URL is not http(s) (``javascript:``, ``data:``, ``file:``, ``ftp:``...):
    only web URLs become stories (``wire.urls.is_web_url``); a dead letter says which."""


def _web_url(url: str) -> str:
    if not is_web_url(url):
        raise NotAWebUrl(f"not an http(s) URL: {url[:200]!r}")
    return url


def html_to_text(fragment: str) -> str:
    """Feed content and summaries are often HTML; keep their text, paragraphs apart."""
    if "<" not in fragment:
        return fragment.strip()
    try:
        root = lxml.html.fromstring(fragment)
    except (ValueError, lxml.etree.ParserError):
        return fragment.strip()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    blocks = [el.text_content().strip() for el in root.iter("p", "li", "blockquote")]
    blocks = [b for b in blocks if b]
    return "\n\n".join(blocks) if blocks else root.text_content().strip()


def process(raw: RawItem, taggers: tuple[Tagger, ...] = (), now: datetime | None = None) -> Article:
    now = now or datetime.now(UTC)
    article = _social(raw, now) if raw.kind == "social_post" else _article(raw, now)
    article.cluster_id = article.id  # first of its own cluster until dedup says otherwise
    with CHAIN_CLOCK.time("tagging"):
        for tag in taggers:
            article = tag(article)
    return article


def _article(raw: RawItem, now: datetime) -> Article:
    _web_url(raw.url)
    fallback = raw.content or raw.summary
    extracted = extract(
        raw.html,
        raw.url,
        fallback_text=html_to_text(fallback) if fallback else None,
        fallback_title=raw.title,
        feed_published_at=raw.published_at,
    )
    body = extracted.body.strip()
    if not body:
        raise NotAnArticle(f"no article text could be extracted from {raw.url}")
    canonical = normalize_url(extracted.canonical_url or raw.url)
    seen_under = {canonical, normalize_url(raw.url)}
    dateline = dateline_of(extracted.dropped)  # cut from the lede; the region tagger reads it
    return Article(
        id=article_id(canonical),
        url=canonical,
        urls=sorted(seen_under),
        kind=raw.kind,
        source=raw.source,
        title=extracted.title or raw.title,
        body=body,
        summary=html_to_text(raw.summary) if raw.summary else None,
        lang=extracted.lang or raw.lang,
        authors=extracted.authors or raw.authors,
        site_name=extracted.site_name,
        image=extracted.image if is_web_url(extracted.image) else None,
        published_at=sane_time(extracted.published_at, now) or sane_time(raw.published_at, now),
        fetched_at=raw.fetched_at,
        processed_at=now,
        embeds=extracted.embeds,
        related=[r for r in extracted.related if r.url is None or is_web_url(r.url)],
        extraction=Extraction(method=extracted.method, version=extracted.version),
        backfill=raw.backfill,
        linked_from=_linked_from(raw),
        dateline=Dateline(text=dateline) if dateline else None,
    )


def _linked_from(raw: RawItem) -> str | None:
    """The post a followed link came from (``extra.linked_from``, set by the social SDK)."""
    post = raw.extra.get("linked_from")
    return post if isinstance(post, str) and post else None


TITLE_CHARS = 120


def _social(raw: RawItem, now: datetime) -> Article:
    """A social post is its own text: no page to extract, no furniture to clean."""
    post = raw.social
    if post is None:  # RawItem's validator requires it; keep mypy and bad producers honest
        raise NotAnArticle(f"social_post without its social object: {raw.url}")
    body = (post.text or html_to_text(raw.content or raw.summary or "")).strip()
    if not body:
        raise NotAnArticle(f"social post with no text: {post.url}")
    first_line = body.split("\n", 1)[0]
    if len(first_line) > TITLE_CHARS:
        first_line = first_line[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    who = post.author or post.handle
    url = _web_url(post.url.strip())  # the platform's own permalink: already canonical
    return Article(
        id=article_id(url),
        url=url,
        urls=[url],
        kind="social_post",
        source=raw.source,
        title=f"{who}: {first_line}" if who else first_line,
        body=body,
        lang=post.lang or detect_language(body, raw.lang),
        authors=[a for a in (post.author or post.handle,) if a],
        published_at=sane_time(post.posted_at, now) or sane_time(raw.published_at, now),
        fetched_at=raw.fetched_at,
        processed_at=now,
        extraction=Extraction(method="social", version=post.platform),
        backfill=raw.backfill,
        social=post.model_copy(update={"links": [u for u in post.links if is_web_url(u)]}),
    )

"""Reddit payloads -> ``SocialPost``: Atom entries of the keyless feeds and ``t3`` things
of the JSON API. Both give the same key (``reddit:<base36 id>``) and the same canonical
``https://www.reddit.com`` permalink, so switching modes never repeats a post."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from connectors.sdk.social import entry_time, html_to_text, links_from_html, parse_time
from wire.models import SocialPost

PLATFORM = "reddit"
WEB = "https://www.reddit.com"
OWN_HOSTS = ("reddit.com", "www.reddit.com", "old.reddit.com", "redd.it", "i.redd.it")


class BadThing(ValueError):
    """An entry or thing without the shape of a Reddit submission."""


def atom_post(entry: Any) -> tuple[SocialPost, str, str | None]:
    """(post, title, selftext HTML) of an entry of ``/r/NAME/new/.rss`` or ``search.rss``.

    The entry's content is the selftext (``div.md``) followed by "submitted by /u/x
    [link] [comments]"; ``[link]`` is the external URL of a link post.
    """
    fullname = str(entry.get("id") or "")
    post_id = fullname.removeprefix("t3_")
    if not fullname.startswith("t3_") or not post_id.isalnum():
        raise BadThing(f"entry id {fullname!r} is not a submission (t3_...)")
    title = " ".join(str(entry.get("title") or "").split())
    if not title:
        raise BadThing(f"{fullname} has no title")
    permalink = _permalink(entry.get("link"))
    content = "".join(c.get("value", "") for c in entry.get("content", []) or [])
    body_html, external = _split_content(content)
    links = [external] if external else []
    if body_html:
        for url in links_from_html(body_html, permalink, own_hosts=OWN_HOSTS):
            if url not in links:
                links.append(url)
    author = str(entry.get("author") or "").strip()
    body = html_to_text(body_html) if body_html else ""
    post = SocialPost(
        platform=PLATFORM,
        post_id=post_id,
        url=permalink,
        handle=_handle(author),
        text=f"{title}\n\n{body}".strip(),
        posted_at=entry_time(entry),
        links=links,
    )
    return post, title, body_html


def thing_post(thing: Any) -> tuple[SocialPost, str, str | None]:
    """(post, title, selftext HTML) of a ``t3`` thing of a JSON Listing."""
    if not isinstance(thing, dict) or thing.get("kind") != "t3":
        raise BadThing("not a t3 (submission) thing")
    data = thing.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise BadThing("submission without an id")
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        raise BadThing(f"t3_{data['id']} has no title")
    permalink = _permalink(data.get("permalink") or f"/comments/{data['id']}/")
    selftext = str(data.get("selftext") or "").strip()
    selftext_html = (
        data.get("selftext_html") if isinstance(data.get("selftext_html"), str) else None
    )
    links: list[str] = []
    url = data.get("url")
    if not data.get("is_self") and isinstance(url, str) and not _is_reddit(url):
        links.append(url)
    if selftext_html:
        for found in links_from_html(selftext_html, permalink, own_hosts=OWN_HOSTS):
            if found not in links:
                links.append(found)
    engagement = {
        name: value
        for name, field in (("score", "score"), ("replies", "num_comments"))
        if isinstance(value := data.get(field), int) and not isinstance(value, bool)
    }
    author = data.get("author")
    post = SocialPost(
        platform=PLATFORM,
        post_id=data["id"],
        url=permalink,
        handle=f"u/{author}" if isinstance(author, str) and author != "[deleted]" else None,
        text=f"{title}\n\n{selftext}".strip(),
        posted_at=parse_time(data.get("created_utc")),
        engagement=engagement,
        links=links,
    )
    return post, title, selftext_html


def _permalink(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadThing("no permalink")
    path = urlsplit(value.strip()).path
    if "/comments/" not in path:
        raise BadThing(f"{value!r} is not a submission's permalink")
    return WEB + path  # old., ud., np. and www. are one site


def _split_content(content: str) -> tuple[str | None, str | None]:
    """(selftext HTML, external link) of an Atom entry's content."""
    if not content.strip():
        return None, None
    try:
        root = lxml.html.fragment_fromstring(content, create_parent="div")
    except (etree.ParserError, ValueError):
        return None, None
    md = root.xpath(".//div[contains(concat(' ', normalize-space(@class), ' '), ' md ')]")
    body = etree.tostring(md[0], encoding="unicode", with_tail=False) if md else None
    external = None
    for anchor in root.xpath(".//a[normalize-space(.)='[link]']"):
        href = anchor.get("href") or ""
        if href.startswith(("http://", "https://")) and not _is_reddit(href):
            external = href
    return body, external


def _is_reddit(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in OWN_HOSTS)


def _handle(author: str) -> str | None:
    name = author.strip().removeprefix("/u/").removeprefix("u/")
    return f"u/{name}" if name else None

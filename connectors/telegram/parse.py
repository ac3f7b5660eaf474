"""Telegram's public channel preview (``t.me/s/<channel>``) -> messages.

The page lists a channel's latest messages (about 20, oldest first) as
``div.tgme_widget_message[data-post="channel/123"]``; ``?before=123`` gives the ones
before. Per message: the text (``.tgme_widget_message_text``, not the one quoted inside
a reply), the time (``time[datetime]``), the channel and, when signed, the author, the
view count ("1.2K"), a link preview and where it was forwarded from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from connectors.sdk.social import html_to_text, links_from_html, parse_count, parse_time
from wire.models import SocialPost

PLATFORM = "telegram"
OWN_HOSTS = ("t.me", "telegram.me", "telegram.org", "telesco.pe")


class NotAPreview(ValueError):
    """The page is no channel preview. ``telegram_page`` is True when it is Telegram's
    own page for a name without a public preview (a private channel, a user, a bot, the
    preview switched off): a configuration problem, unlike an error or challenge page."""

    def __init__(self, message: str, *, telegram_page: bool = False) -> None:
        super().__init__(message)
        self.telegram_page = telegram_page


@dataclass
class Message:
    """One parsed message, or the reason it could not be parsed (``error``)."""

    id: int
    post: SocialPost | None = None
    html: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    payload: str = ""


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_MESSAGES = f"//div[{_cls('tgme_widget_message')}][@data-post]"
_ANY_MESSAGE = f"//div[{_cls('tgme_widget_message')}]"
_CHANNEL_INFO = f"//div[{_cls('tgme_channel_info')}]"
_TEXT = (  # the message's own text, not the one quoted from the message it replies to
    f".//div[{_cls('tgme_widget_message_text')}]"
    f"[not(ancestor::*[{_cls('tgme_widget_message_reply')}])]"
)


def parse_page(content: bytes) -> list[Message]:
    """Messages of a preview page, oldest first. Raises ``NotAPreview`` when the page has
    neither messages nor a channel header."""
    try:
        root = lxml.html.document_fromstring(content)
    except (etree.ParserError, ValueError) as exc:
        raise NotAPreview(f"unreadable page: {exc}") from exc
    nodes = root.xpath(_MESSAGES)
    if not nodes and not root.xpath(_CHANNEL_INFO):
        contact = bool(root.xpath(f"//div[{_cls('tgme_page')}]"))
        raise NotAPreview("no channel preview on the page", telegram_page=contact)
    out: list[Message] = []
    for node in nodes:
        out.append(_message(node))
    if len(root.xpath(_ANY_MESSAGE)) > len(nodes):  # a message block without data-post
        for node in root.xpath(_ANY_MESSAGE):
            if node.get("data-post") is None:
                payload = etree.tostring(node, encoding="unicode")
                out.append(Message(0, error="message without data-post", payload=payload))
    return out


def _message(node: Any) -> Message:
    data_post = node.get("data-post", "")
    payload = etree.tostring(node, encoding="unicode")
    channel, _, number = data_post.rpartition("/")
    if not channel or not number.isdigit():
        return Message(0, error=f"bad data-post {data_post!r}", payload=payload)
    msg_id = int(number)
    try:
        post, html, extra = _post(node, channel, msg_id)
    except ValueError as exc:  # includes pydantic's ValidationError
        return Message(msg_id, error=f"message {data_post}: {exc}", payload=payload)
    return Message(msg_id, post=post, html=html, extra=extra, payload=payload)


def _post(node: Any, channel: str, msg_id: int) -> tuple[SocialPost, str | None, dict[str, Any]]:
    url = f"https://t.me/{channel}/{msg_id}"
    texts = node.xpath(_TEXT)
    html = etree.tostring(texts[0], encoding="unicode", with_tail=False) if texts else None
    text = html_to_text(html) if html else ""
    links = links_from_html(html, url, own_hosts=OWN_HOSTS) if html else []
    extra: dict[str, Any] = {}
    preview = _first(node, f".//a[{_cls('tgme_widget_message_link_preview')}]")
    if preview is not None and (href := preview.get("href")):
        host = (urlsplit(href).hostname or "").lower()
        if href not in links and host and host not in OWN_HOSTS:
            links.append(href)
        extra["link_preview"] = {
            "url": href,
            "site_name": _text(preview, "link_preview_site_name"),
            "title": _text(preview, "link_preview_title"),
            "description": _text(preview, "link_preview_description"),
        }
    forwarded = _first(node, f".//*[{_cls('tgme_widget_message_forwarded_from_name')}]")
    if forwarded is not None:
        extra["forwarded_from"] = {
            "name": " ".join(forwarded.text_content().split()),
            "url": forwarded.get("href"),
        }
    reply = _first(node, f".//a[{_cls('tgme_widget_message_reply')}]")
    views = parse_count(_text(node, "tgme_widget_message_views"))
    times = node.xpath(f".//*[{_cls('tgme_widget_message_date')}]//time/@datetime")
    post = SocialPost(
        platform=PLATFORM,
        post_id=f"{channel.lower()}/{msg_id}",
        url=url,
        author=_text(node, "tgme_widget_message_from_author")
        or _text(node, "tgme_widget_message_owner_name"),
        handle=channel,
        text=text,
        posted_at=parse_time(times[0]) if times else None,
        engagement={"views": views} if views is not None else {},
        links=links,
        reply_to=reply.get("href") if reply is not None else None,
    )
    return post, html, extra


def _first(node: Any, xpath: str) -> Any | None:
    found = node.xpath(xpath)
    return found[0] if found else None


def _text(node: Any, cls: str) -> str | None:
    found = _first(node, f".//*[{_cls(cls)}]")
    if found is None:
        return None
    return " ".join(found.text_content().split()) or None

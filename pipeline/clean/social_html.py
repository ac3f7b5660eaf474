"""Embedded social posts in the page markup: found, described, cut out of the tree.

Why before extraction: the embed snippets of X/Twitter, Instagram, TikTok, Bluesky and
Mastodon are blockquotes full of text, and an extractor keeps them as article prose
("... pic.twitter.com/x — Name (@handle) December 17, 2025"). Cutting them from the
tree while their structure is intact gives both a clean body and an exact ``Embed``
(the post's URL sits in the markup, not in the text remnant).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml.html import HtmlElement

from pipeline.clean.patterns import load_patterns
from pipeline.clean.text import parse_embed_date, squash
from wire.models import Embed

# Class fragments of the official embed snippets, per platform.
_BLOCK_CLASSES: dict[str, tuple[str, ...]] = {
    "x": ("twitter-tweet", "twitter-video", "twitter-timeline"),
    "instagram": ("instagram-media",),
    "tiktok": ("tiktok-embed",),
    "bluesky": ("bluesky-embed",),
    "mastodon": ("mastodon-embed",),
    "facebook": ("fb-post", "fb-video", "fb-xfbml-parse-ignore"),
    "telegram": ("telegram-post",),
    "threads": ("text-post-media",),
}
# iframe sources that show one post or video (page plugins and share buttons do not)
_IFRAME_SOURCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("x", re.compile(r"platform\.twitter\.com/embed/|twitter\.com/\w+/status/")),
    ("instagram", re.compile(r"instagram\.com/(?:p|reel|tv)/[\w-]+")),
    ("facebook", re.compile(r"facebook\.com/plugins/(?:post|video)\.php")),
    ("tiktok", re.compile(r"tiktok\.com/(?:embed|player)")),
    ("youtube", re.compile(r"(?:youtube(?:-nocookie)?\.com/embed/|youtu\.be/)")),
    ("telegram", re.compile(r"(?:t\.me|telegram\.me)/[\w]+/\d+")),
    ("bluesky", re.compile(r"embed\.bsky\.app/")),
    ("mastodon", re.compile(r"/@[\w.]+/\d+/embed")),
)
_STATUS_URL = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<handle>\w{1,15})/status(?:es)?/\d+"
)
# the author's handle as it appears in a post's permalink
_HANDLE_IN_URL = (
    re.compile(r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<handle>\w{1,15})/status"),
    re.compile(r"https?://(?:www\.)?tiktok\.com/@(?P<handle>[\w.]{2,40})/video"),
    re.compile(r"https?://(?P<instance>[\w.-]+)/@(?P<handle>[\w.]+)/\d+"),
)
_YOUTUBE_ID = re.compile(r"(?:embed/|youtu\.be/|[?&]v=)(?P<id>[\w-]{11})")
_AMP_EMBEDS = {
    "amp-twitter": "x",
    "amp-instagram": "instagram",
    "amp-youtube": "youtube",
    "amp-facebook": "facebook",
    "amp-tiktok": "tiktok",
}


def _classes(el: HtmlElement) -> str:
    return f" {el.get('class', '')} ".lower()


def classify(el: HtmlElement) -> str | None:
    """The platform an element embeds a post from, or None for ordinary markup."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("blockquote", "div", "section"):
        classes = _classes(el)
        for platform, fragments in _BLOCK_CLASSES.items():
            if any(f" {fragment} " in classes for fragment in fragments):
                return platform
        return None
    if tag == "iframe":
        src = el.get("src") or el.get("data-src") or ""
        for platform, pattern in _IFRAME_SOURCES:
            if pattern.search(src):
                return platform
        return None
    if tag == "script" and el.get("data-telegram-post"):
        return "telegram"
    if tag == "lite-youtube" and el.get("videoid"):
        return "youtube"
    return _AMP_EMBEDS.get(tag)


def _links(el: HtmlElement, base_url: str) -> list[tuple[str, str]]:
    out = []
    for a in el.iter("a"):
        href = a.get("href")
        if href and not href.startswith(("#", "javascript:")):
            out.append((urljoin(base_url, href.strip()), squash(a.text_content())))
    return out


def _post_url(platform: str, el: HtmlElement, base_url: str) -> str | None:
    """The permalink of the embedded post, from the attributes each snippet uses."""
    for attr in ("data-instgrm-permalink", "cite", "data-href", "data-embed-url"):
        value = el.get(attr)
        if value and value.startswith("http"):
            return value.split("?utm_")[0]
    if platform == "bluesky" and el.get("data-bluesky-uri"):
        # at://did:plc:xyz/app.bsky.feed.post/rkey -> bsky.app web URL
        parts = el.get("data-bluesky-uri", "").removeprefix("at://").split("/")
        if len(parts) == 3:
            return f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}"
    if platform == "telegram" and el.get("data-telegram-post"):
        return f"https://t.me/{el.get('data-telegram-post')}"
    if el.tag == "amp-twitter" and el.get("data-tweetid"):
        tweet = el.get("data-tweetid", "")
        return tweet if tweet.startswith("http") else f"https://twitter.com/i/status/{tweet}"
    src = el.get("src") or el.get("data-src") or el.get("data-videoid") or el.get("videoid")
    if platform == "youtube":
        video = el.get("videoid") or el.get("data-videoid")
        match = _YOUTUBE_ID.search(src or "")
        video = video or (match["id"] if match else None)
        return f"https://www.youtube.com/watch?v={video}" if video else None
    if platform == "facebook" and src:
        href = parse_qs(urlsplit(src).query).get("href")
        if href:
            return href[0]
    hosts = load_patterns().social_hosts.get(platform, ())
    links = _links(el, base_url)
    if platform == "x":
        for url, _ in reversed(links):
            if _STATUS_URL.match(url):
                return url.split("?")[0]
    for url, _ in reversed(links):
        if any(host in urlsplit(url).netloc for host in hosts):
            return url.split("?")[0]
    if src and src.startswith(("http", "//")):
        return urljoin(base_url, src)
    return None


def _attribution(el: HtmlElement) -> tuple[dict[str, str], str]:
    """Author, handle and date from the closing "— Name (@handle) date" of a snippet.

    Also returns the matched line, so the post text can be told apart from it.
    """
    # joined without spaces: "(<a>@handle</a>)" must stay "(@handle)"
    text = squash("".join(el.itertext()))
    candidates = [text[text.rfind("—") :]] if "—" in text else []
    paragraphs = [squash(p.text_content()) for p in reversed(list(el.iter("p")))]
    rest = text
    for paragraph in paragraphs:
        rest = rest.replace(paragraph, " ")
    # the credit is a <p> of its own, or the text left around the post's paragraphs
    candidates += [*paragraphs, squash(rest)]
    for candidate in candidates:
        for _, pattern in load_patterns().attribution:
            match = pattern.search(candidate)
            if match:
                return {k: v for k, v in match.groupdict().items() if v}, candidate
    return {}, ""


def _post_text(el: HtmlElement, attribution_line: str) -> str | None:
    if classify(el) == "tiktok":
        # the caption sits between the "@handle" link and the "♬ sound" link
        text = "".join(el.itertext())
        for a in el.iter("a"):
            label = a.text_content()
            if label.strip().startswith(("@", "♬")):
                text = text.replace(label, " ", 1)
        return squash(text) or None
    paragraphs = [squash(p.text_content()) for p in el.iter("p")]
    banners = load_patterns().remnant_start
    paragraphs = [
        p
        for p in paragraphs
        if p and p != attribution_line and not any(b.search(p) for b in banners)
    ]
    if not paragraphs:
        whole = squash(el.text_content())
        paragraphs = [whole.replace(attribution_line, "").strip()] if attribution_line else [whole]
    text = "\n\n".join(p for p in paragraphs if p)
    return text or None


def _handle_from_url(url: str) -> str | None:
    for pattern in _HANDLE_IN_URL:
        match = pattern.match(url)
        if match:
            instance = match.groupdict().get("instance")
            return f"{match['handle']}@{instance}" if instance else match["handle"]
    return None


def describe(platform: str, el: HtmlElement, base_url: str) -> Embed:
    """An ``Embed`` for one embed element: permalink, author, handle, text, day posted."""
    url = _post_url(platform, el, base_url)
    found, attribution_line = _attribution(el)
    if url and platform == "mastodon":
        url = url.removesuffix("/embed")
    handle = found.get("handle", "").lstrip("@") or (_handle_from_url(url) if url else None)
    posted_at = parse_embed_date(found.get("date"))
    if posted_at is None:
        for time_el in el.iter("time"):
            posted_at = parse_embed_date(time_el.get("datetime") or time_el.text_content())
    text = None
    if platform != "youtube" and el.tag not in ("iframe", "script", "lite-youtube"):
        text = _post_text(el, attribution_line)
    return Embed(
        platform=platform,
        url=url,
        author=found.get("author") or None,
        handle=handle,
        text=text,
        posted_at=posted_at,
    )


# every tag classify() can name a platform for, so a walk skips the rest in C
_EMBED_TAGS = ("blockquote", "div", "section", "iframe", "script", "lite-youtube", *_AMP_EMBEDS)
_BLOCK_TAGS = frozenset(("blockquote", "div", "section"))
# any embed class fragment anywhere in a class attribute: a cheap superset test before
# classify() checks the fragment as a whole class name
# (on the lowered attribute: an IGNORECASE alternation is several times slower)
_ANY_BLOCK_CLASS = re.compile(
    "|".join(re.escape(f) for fragments in _BLOCK_CLASSES.values() for f in fragments)
)


def _outermost_embeds(root: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    taken: set[HtmlElement] = set()
    for el in root.iter(*_EMBED_TAGS):
        if el.tag in _BLOCK_TAGS and not _ANY_BLOCK_CLASS.search(el.get("class", "").lower()):
            continue  # most of a page's divs
        platform = classify(el)
        if platform is None or any(a in taken for a in el.iterancestors()):
            continue
        taken.add(el)
        yield platform, el


def remove_embeds(root: HtmlElement, base_url: str) -> list[Embed]:
    """Cut every social embed out of ``root`` (in place) and describe each one."""
    embeds = []
    for platform, el in list(_outermost_embeds(root)):
        embeds.append(describe(platform, el, base_url))
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()  # keeps the tail text, which belongs to the article
    return embeds

"""Text remnants of embedded social posts, once the markup that framed them is gone.

Why a text pass as well as the markup pass: feed content arrives as text, some sites
render embeds without the platform's classes, and an extractor may flatten a blockquote
before we see it. What remains is recognisable: the post text, then a closing
"— Name (@handle) December 17, 2025", Instagram's "View this post on Instagram ... A
post shared by ...", Facebook's "Posted by ... on ...", TikTok's "@handle ♬ sound", bare
post URLs, and "pic.twitter.com/..." media links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from pipeline.clean.patterns import load_patterns
from pipeline.clean.text import parse_embed_date, squash
from wire.models import Embed

# a post text longer than this is article prose, even right above an attribution
MAX_POST_CHARS = 1200
# an Instagram caption runs at most this many lines between its banner and its credit
MAX_CAPTION_LINES = 8
# "... pic.twitter.com/x — Name (@handle) December 17, 2025" at the end of a paragraph
_INLINE_ATTRIBUTION = re.compile(
    r"^(?P<text>.*\S)\s+[—–―]\s*(?P<author>[^()—–]{0,80}?)\s*\((?P<handle>@[\w.@-]{1,80})\)"
    r"\s*(?P<date>[^()]{0,40}\b(?:19|20)\d\d)\s*$"
)
# rules whose post text is the paragraph right above the attribution line
_TEXT_ABOVE = ("auto", "facebook")
_URL_ONLY = re.compile(r"^<?(https?://\S+)>?$")
_POST_PATH = re.compile(r"/(status|statuses|p|reel|posts|videos?|watch|shorts|post)/|/@[\w.]+/\d+")


def platform_of(rule_platform: str, handle: str | None) -> str:
    """Which network an attribution line belongs to, from its rule and handle shape."""
    if rule_platform != "auto":
        return rule_platform
    if handle and handle.count("@") >= 2:
        return "mastodon"  # @user@instance
    if handle and "." in handle:
        return "bluesky"  # @name.bsky.social or a custom domain
    return "x"


def _post_url_platform(url: str) -> str | None:
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    for platform, hosts in load_patterns().social_hosts.items():
        if any(host == h or host.endswith("." + h) for h in hosts):
            if platform in ("telegram", "youtube") or _POST_PATH.search(parts.path):
                return platform
            if platform == "x" and "/status" in parts.path:
                return platform
    return None


def _attribution(line: str) -> tuple[str, dict[str, str]] | None:
    for platform, pattern in load_patterns().attribution:
        match = pattern.match(line)
        if match:
            return platform, {k: v for k, v in match.groupdict().items() if v}
    return None


def _is_banner(line: str) -> bool:
    return any(p.search(line) for p in load_patterns().remnant_start)


def _embed(rule_platform: str, found: dict[str, str], text: str | None) -> Embed:
    handle = found.get("handle")
    return Embed(
        platform=platform_of(rule_platform, handle),
        author=(found.get("author") or "").strip() or None,
        handle=handle.lstrip("@") if handle else None,
        text=text or found.get("text") or None,
        posted_at=parse_embed_date(found.get("date")),
    )


def _caption_start(lines: Sequence[str], end: int) -> int | None:
    """Index of an Instagram banner at most ``MAX_CAPTION_LINES`` above ``end``."""
    for index in range(end - 1, max(-1, end - 1 - MAX_CAPTION_LINES), -1):
        if _is_banner(lines[index]):
            return index
    return None


def take_embeds(paragraphs: Sequence[str]) -> tuple[list[str], list[Embed]]:
    """Split paragraphs into body and the social posts whose remnants they contained."""
    patterns = load_patterns()
    lines = [squash(p) for p in paragraphs]
    keep = [True] * len(lines)
    replaced: dict[int, str] = {}
    embeds: list[Embed] = []
    for index, line in enumerate(lines):
        if not keep[index]:
            continue
        hit = _attribution(line)
        if hit is not None:
            rule, found = hit
            keep[index] = False
            start = _caption_start(lines, index)
            if start is not None:  # banner ... caption ... credit
                caption = [lines[i] for i in range(start + 1, index) if keep[i]]
                for i in range(start, index):
                    keep[i] = False
                embeds.append(_embed(rule, found, "\n\n".join(caption)))
                continue
            previous = index - 1
            text = None
            if rule in _TEXT_ABOVE and previous >= 0 and keep[previous]:
                candidate = lines[previous]
                if len(candidate) <= MAX_POST_CHARS and not _attribution(candidate):
                    text, keep[previous] = candidate, False
            embeds.append(_embed(rule, found, text))
            continue
        # the handle's "(@" is literal in the pattern, and a plain substring test is cheap
        inline = _INLINE_ATTRIBUTION.match(line) if "(@" in line else None
        if inline and len(inline["text"]) <= MAX_POST_CHARS + 200:
            found = {k: v for k, v in inline.groupdict().items() if v}
            text = found.pop("text")
            embeds.append(_embed("auto", found, text))
            keep[index] = False
            continue
        url_only = _URL_ONLY.match(line)
        if url_only:
            platform = _post_url_platform(url_only.group(1))
            if platform:
                embeds.append(Embed(platform=platform, url=url_only.group(1)))
                keep[index] = False
                continue
        if _is_banner(line):
            keep[index] = False  # a banner without its credit line: drop it alone
            continue
        if patterns.strip_tokens.search(line):
            replaced[index] = squash(patterns.strip_tokens.sub(" ", line))
    body = [replaced.get(i, line) for i, line in enumerate(lines) if keep[i]]
    return [line for line in body if line], embeds

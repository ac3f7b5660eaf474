"""Tidying single metadata values: titles, authors, site names, publication times.

Why separate from reading them: every source of a value (meta tag, JSON-LD, trafilatura,
the feed) has the same defects — " | Site Name" on titles, "By Jane Doe · December"
as an author, a hostname as a site name, a 1970 or next-year date — and one rule per
defect keeps the merge in :mod:`pipeline.extract` readable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from pipeline.clean.patterns import load_patterns
from pipeline.clean.text import comparison_key, squash

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)

_TITLE_SEPARATORS = (
    " | ",
    " - ",
    " – ",
    " — ",
    " :: ",
    " · ",
    " • ",
    " « ",
    " » ",
    " / ",
    # full-width forms and the Hangul bar, used without spaces in CJK titles
    "｜",
    "：",
    "ㅣ",
    "|",
)
_DATE_PART = re.compile(r"^[\d\s./-]{6,12}$")
_AUTHOR_SPLIT = re.compile(
    r"\s*(?:;|\||·|•|,\s+(?:and|und|og|och|et|y)\s+|\s+(?:and|und|og|och|et|y)\s+|\s+&\s+"
    r"|,\s+(?=[A-Z]))\s*"
)
_AUTHOR_PREFIX = re.compile(
    r"^(?:by|von|par|por|di|de|autor|autorin|author|written by|text)[:\s]+", re.IGNORECASE
)
_AUTHOR_INITIALS = re.compile(r"\s*\([\w.]{1,6}\)$")  # "Jane Doe (jd)": the desk's initials
_LAST_FIRST = re.compile(r"^([^\W\d_][\w'-]+),\s+([^\W\d_][\w'-]+)$")
_NOT_A_NAME = re.compile(r"://|@|\d|^www\.|^[\w-]+\.[a-z]{2,6}$", re.IGNORECASE)
_HOSTLIKE = re.compile(r"^[\w-]+(\.[\w-]+)+$")


def sane_time(value: datetime | None, now: datetime) -> datetime | None:
    """A publication time as UTC, or None when it cannot be true.

    Before 1990 is a template default or an epoch bug; more than a day ahead is a bad
    time zone or an embargo placeholder. Either way the next source is better. The one
    rule for every time the chain keeps: page metadata, feed dates and social posts.
    """
    if value is None or value.tzinfo is None:
        return None
    value = value.astimezone(UTC)
    if value < EARLIEST or value > now + MAX_AHEAD:
        return None
    return value


def _site_keys(site_name: str | None, url: str) -> set[str]:
    keys = {comparison_key(site_name)} if site_name else set()
    host = urlsplit(url).netloc.lower().removeprefix("www.")
    labels = [label for label in host.split(".") if label]
    if labels:
        keys.add(comparison_key(host))
        keys.update(comparison_key(label) for label in labels[:-1] if len(label) >= 2)
    return {k for k in keys if k}


def _is_site_part(part: str, keys: set[str]) -> bool:
    key = comparison_key(part)
    if len(key) < 2:
        return False
    if key in keys:
        return True
    # "Die Neue Südtiroler Tageszeitung" on tageszeitung.it; "Lrt.lt" on lrt.lt
    return any((len(k) >= 4 and k in key) or (len(key) >= 4 and key in k) for k in keys)


def split_site_suffix(
    title: str, site_name: str | None, url: str, known_title: str | None = None
) -> tuple[str, str | None]:
    """A headline without the " | Site Name" (or "Site Name - ") its page adds, and that part.

    The removed part is returned so a page with no declared site name can still name it.
    ``known_title`` (og:title) settles it: "<og:title> | X" makes X the site's label.
    """
    title = squash(title)
    if known_title:
        known = squash(known_title)
        for separator in _TITLE_SEPARATORS:
            if title.startswith(known + separator):
                return known, title[len(known + separator) :].strip() or None
            if title.endswith(separator + known):
                return known, title[: -len(separator + known)].strip() or None
    keys = _site_keys(site_name, url)
    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        if head and (_is_site_part(tail, keys) or _DATE_PART.match(tail)):
            return split_site_suffix(head, site_name, url)[0], tail
        first, _, rest = title.partition(separator)
        if rest and _is_site_part(first, keys):
            return split_site_suffix(rest, site_name, url)[0], first
        # an unknown short tail behind a pipe is a section or site label, not the headline
        if separator == " | " and head and len(tail.split()) <= 4 and len(head) > 2 * len(tail):
            return split_site_suffix(head, site_name, url)[0], tail
    return title, None


def strip_site_suffix(title: str, site_name: str | None, url: str) -> str:
    """:func:`split_site_suffix` without the removed part."""
    return split_site_suffix(title, site_name, url)[0]


def clean_authors(values: Iterable[str], site_name: str | None = None) -> list[str]:
    """Author names, one per entry: no "By", no dates, no URLs, no duplicates."""
    months = load_patterns().months
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        value = squash(value)
        last_first = _LAST_FIRST.match(value)
        if last_first:  # "Brazil, Rachel" in citation order
            value = f"{last_first.group(2)} {last_first.group(1)}"
        for part in _AUTHOR_SPLIT.split(value):
            name = _AUTHOR_INITIALS.sub("", _AUTHOR_PREFIX.sub("", part)).strip(" ,.-–—:")
            words = name.split()
            while words and words[-1].lower().strip(".,") in months:
                words.pop()  # "Staff Reporter December" from a byline with a date
            name = " ".join(words)
            key = comparison_key(name)
            if not name or len(name) > 60 or len(words) > 6 or _NOT_A_NAME.search(name):
                continue
            if key in seen or (site_name and key == comparison_key(site_name) and out):
                continue
            seen.add(key)
            out.append(name)
    return out


def clean_site_name(value: str | None) -> str | None:
    """A publisher name; a bare hostname is not one (it says nothing the URL does not)."""
    if not value:
        return None
    value = squash(value)
    return None if _HOSTLIKE.match(value) else value or None

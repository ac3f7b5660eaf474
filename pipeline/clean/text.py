"""Small text helpers shared by the cleanup rules: whitespace, comparison keys, dates.

Dates printed in embeds ("December 17, 2025", "17. Dezember 2025") carry no time zone
and usually no time: they are read as that day, 00:00 UTC, which is the precision the
page gives.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from lxml.html import HtmlElement

from pipeline.clean.patterns import load_patterns

# zero-width non-joiner (U+200C) and joiner stay: Persian and Indic words need them
INVISIBLE_CHARS = "\u200b\u200e\u200f\u2060\ufeff"
_INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_ISO_DATE = re.compile(r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)")
_WORD_DATE = re.compile(
    r"(?:(?P<d1>\d{1,2})\.?\s+(?:de\s+)?(?P<m1>[^\W\d_]{3,12})\.?,?\s+(?:de\s+)?(?P<y1>\d{4})"
    r"|(?P<m2>[^\W\d_]{3,12})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))",
    re.IGNORECASE,
)


def squash(text: str) -> str:
    """One line, single spaces, NFC: the form every line rule is matched against."""
    # str methods, not regular expressions: called for every line and link of a page.
    # split() and the regex \s agree on what whitespace is (Py_UNICODE_ISSPACE).
    if text.isascii():  # no invisible characters, already NFC; a flag, not a scan
        return " ".join(text.split())
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def text_of(el: HtmlElement) -> str:
    """``el.text_content()``, read directly for a leaf (most links): no XPath call."""
    return el.text_content() if len(el) else el.text or ""


def comparison_key(text: str) -> str:
    """Case-, accent- and punctuation-blind form, to compare a line with a title."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub("", folded)


def parse_embed_date(text: str | None) -> datetime | None:
    """The day named in an embed's date line, as 00:00 UTC; None when none is found."""
    if not text:
        return None
    iso = _ISO_DATE.search(text)
    if iso:
        return _day(int(iso["y"]), int(iso["m"]), int(iso["d"]))
    months = load_patterns().months
    for match in _WORD_DATE.finditer(text):
        day, month_name, year = (
            (match["d1"], match["m1"], match["y1"])
            if match["d1"]
            else (match["d2"], match["m2"], match["y2"])
        )
        month = months.get(month_name.lower().rstrip("."))
        if month:
            return _day(int(year), month, int(day))
    return None


def _day(year: int, month: int, day: int) -> datetime | None:
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None

"""Text folding and tokenization shared by the topic lexicons and the stories they are matched on.

Lexicon terms and article text go through the same ``fold`` so that spelling variants meet:
case, accents (``grève`` = ``greve``), and the letter variants of :mod:`pipeline.tag.fold` (the
table the region gazetteer uses too): Arabic versus Persian/Urdu letter forms (``ي``/``ی``,
``ك``/``ک``, ``ة``/``ه``, ``ہ``/``ه``), hamza and madda carriers (``أ``/``آ`` = ``ا``), harakat and
tatweel. That is coarser than any one language needs, but it is cheap (a few C-level string
passes) and both sides are folded alike, so nothing is lost that a lexicon entry could have used.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pipeline.tag.fold import fold_letters

_TOKEN = re.compile(r"\w+")

# Arabic clitics (conjunction, prepositions, article) glued to the word they precede.
_ARABIC_PREFIXES = ("وال", "بال", "کال", "فال", "لل", "ال", "و", "ف", "ب", "ل")
_MIN_STEM = 3


@lru_cache(maxsize=1)
def _marks() -> re.Pattern[str]:
    """Every combining mark (accents, harakat, hamza above/below) of the running Python's Unicode
    database, as one character class: a regex deletes them faster than ``str.translate``."""
    ranges: list[list[int]] = []
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)) == "Mn":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]+")


def fold(text: str) -> str:
    """Fold text for matching: NFKD, marks removed, case-folded, letter variants unified
    (:func:`pipeline.tag.fold.fold_letters`), and ZWNJ made a space: Persian compounds and
    plural suffixes become tokens of their own."""
    text = _marks().sub("", unicodedata.normalize("NFKD", text)).casefold()
    text = fold_letters(text)
    return text.replace("\u200c", " ") if "\u200c" in text else text


def tokenize(folded: str) -> list[str]:
    """Word tokens of already-folded text: runs of letters/digits; punctuation and hyphens split."""
    return _TOKEN.findall(folded)


def is_arabic_script(token: str) -> bool:
    return "\u0600" <= token[0] <= "\u06ff"


def variants(token: str) -> tuple[str, ...]:
    """The token plus, for Arabic-script words, its forms without a leading clitic.

    Arabic writes ``و`` (and), ``ب`` (with), ``ل`` (for) and ``ال`` (the) as part of the next word,
    so ``والانتخابات`` has to meet the lexicon entry ``انتخابات``. Only prefixes are stripped;
    endings are left to ``*`` entries in the lexicons.
    """
    if not token or not is_arabic_script(token):
        return (token,)
    found = [token]
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_STEM:
            stem = token[len(prefix) :]
            if stem not in found:
                found.append(stem)
    return tuple(found)

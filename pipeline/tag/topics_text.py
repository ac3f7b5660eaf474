"""Text folding and tokenization shared by the topic lexicons and the stories they are matched on.

Lexicon terms and article text go through the same ``fold`` so that spelling variants meet:
case, accents (``grève`` = ``greve``), Arabic versus Persian/Urdu letter forms (``ي``/``ی``,
``ك``/``ک``, ``ة``/``ه``, ``ہ``/``ه``), hamza and madda carriers (``أ``/``آ`` = ``ا``), harakat and
tatweel. That is coarser than any one language needs, but it is cheap (three C-level string passes)
and both sides are folded alike, so nothing is lost that a lexicon entry could have used.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"\w+")

# Letters folded to one form after NFKD (which already split hamza/madda/harakat off as marks).
_LETTER_FOLDS = {
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
    "\u06d2": "\u06cc",  # URDU YEH BARREE -> FARSI YEH
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
    "\u0629": "\u0647",  # TEH MARBUTA -> HEH
    "\u06c1": "\u0647",  # HEH GOAL (Urdu) -> HEH
    "\u06c3": "\u0647",  # TEH MARBUTA GOAL -> HEH
    "\u06be": "\u0647",  # HEH DOACHASHMEE (Urdu aspiration) -> HEH
    "\u06d5": "\u0647",  # AE -> HEH
    "\u0671": "\u0627",  # ALEF WASLA -> ALEF
    "\u0640": None,  # TATWEEL
    "\u200c": " ",  # ZERO WIDTH NON-JOINER: Persian compounds and plural suffixes become tokens
    "\u200d": None,  # ZERO WIDTH JOINER
    "\u00ad": None,  # SOFT HYPHEN
}

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


_SPECIAL = re.compile("[" + "".join(_LETTER_FOLDS) + "]")
_SPECIAL_TABLE = {ord(k): v for k, v in _LETTER_FOLDS.items()}


def fold(text: str) -> str:
    """Fold text for matching: NFKD, marks removed, script variants unified, case-folded."""
    text = _marks().sub("", unicodedata.normalize("NFKD", text))
    if _SPECIAL.search(text):
        text = text.translate(_SPECIAL_TABLE)
    return text.casefold()


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

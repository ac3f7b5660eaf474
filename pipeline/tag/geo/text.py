"""Tokens and their match keys: one normalisation shared by the gazetteer and the text.

Names are matched token by token, so the gazetteer and the story must reduce a word to the same
key. The key drops what varies without changing the name: case, Latin diacritics ("Kābul"), the
possessive ("Iran's"), Arabic-script letter variants (ي/ی, ك/ک, ة/ه, alef forms; the table is
:mod:`pipeline.tag.fold`, shared with the topic lexicons), harakat and tatweel, the bare hamza,
and the article "ال". Russian case endings are handled by the gazetteer (it declines its
own names, see ``russian_forms``) rather than by stemming the text, which would merge "груз"
(cargo) with "Грузия".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import overload

from pipeline.tag.fold import ARABIC_MARKS, ARABIC_TABLE, LATIN_TABLE

# Letter variants and marks are folded by the table the topic lexicons use too. Names also
# lose the bare hamza, which Persian and Urdu spellings of Arab places drop ("صنعاء" is
# "صنعا"); in vocabulary it is a letter, so that rule is the gazetteer's alone.
_HAMZA = 0x0621
_DELETE = dict.fromkeys([*ARABIC_MARKS, _HAMZA])
_ARABIC_NAME_TABLE = {**ARABIC_TABLE, _HAMZA: None}

_APOSTROPHES = "'’ʼʻ`´"
_MARKS = re.compile(r"[.'’ʼʻ`´]")
_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[^\W_]+(?:['’ʼ][^\W_]+)*", re.UNICODE)
_SPLIT = re.compile(f"({_TOKEN.pattern})", re.UNICODE)  # keeps the words between the gaps
_JOINING_GAP = re.compile(r"[ \u00a0\u200c\t]*[-‐‑–]?[ \u00a0\u200c\t]*")
_ABBREVIATIONS = {"st": "saint", "mt": "mount", "ft": "fort"}


def is_arabic_script(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff" or "\ufb50" <= word[0] <= "\ufeff"


def is_cyrillic(word: str) -> bool:
    return "\u0400" <= word[0] <= "\u04ff"


_DELETE_RE = re.compile("[" + "".join(chr(c) for c in sorted(_DELETE)) + "]")


def clean_text(text: str) -> str:
    """Compose accents and drop Arabic-script marks before tokenising, so words stay whole."""
    if text.isascii():
        return text
    return _DELETE_RE.sub("", unicodedata.normalize("NFC", text))


def words(name: str) -> list[str]:
    """The words of a gazetteer name, split as ``tokenize`` splits a story (but faster)."""
    return _TOKEN.findall(clean_text(name))


@lru_cache(maxsize=1 << 16)
def key(word: str) -> str:
    """The match key of one token (see the module docstring). Cached: news repeats its words."""
    if word.isascii():
        k = word.lower()
    elif is_arabic_script(word):
        k = word.translate(_ARABIC_NAME_TABLE)
        if k.startswith("ال") and len(k) >= 5:
            k = k[2:]
        return k
    elif is_cyrillic(word):
        return word.lower().replace("ё", "е")
    else:
        k = unicodedata.normalize("NFKD", word.casefold())
        k = "".join(ch for ch in k if not unicodedata.combining(ch)).translate(LATIN_TABLE)
    if len(k) > 2 and k[-2] in _APOSTROPHES and k[-1] == "s":
        k = k[:-2]
    elif k[-1] in _APOSTROPHES:
        k = k[:-1]
    if _MARKS.search(k):
        k = _MARKS.sub("", k)
    return _ABBREVIATIONS.get(k, k)


def arabic_variants(k: str) -> list[str]:
    """Keys to try when an Arabic-script word did not match as written.

    Arabic and Urdu attach conjunctions and prepositions ("و", "ب", "ل") and plural or feminine
    endings ("ون", "ین", "ه", "ان", "وں") to names and adjectives: "بإيران", "والعراق",
    "الإيرانيون". The full word is always tried first, so "باکستان" is never read as "اکستان".
    """
    stems = [k]
    if k.startswith("لل") and len(k) >= 5:
        stems.append(k[2:])
    if len(k) >= 4 and k[0] in "وفبلک":
        rest = k[1:]
        if rest.startswith("ال") and len(rest) >= 5:
            rest = rest[2:]
        stems.append(rest)
    out: list[str] = []
    for stem in stems:
        if stem != k:
            out.append(stem)
        for suffix in ("ها", "ان", "ون", "ین", "وں", "ه"):
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 4:
                out.append(stem[: -len(suffix)])
    return out


@dataclass(slots=True)
class Token:
    """A word of the story with what matching needs: its key, its case, how it joins the next."""

    text: str
    key: str
    start: int
    end: int
    upper_initial: bool
    all_caps: bool
    joins_next: bool  # only spaces or a hyphen between this token and the next one


class Tokens(Sequence[Token]):
    """The tokens of one text, built in bulk as parallel lists; ``Token`` objects on demand.

    Matching reads the key and the join of every word but looks closer at only the few that
    name something, so building a full object per word (most of tokenizing's cost) is left
    to the words that are actually indexed.
    """

    __slots__ = ("_made", "ends", "gaps", "joins", "keys", "lead", "starts", "words")

    def __init__(self, text: str) -> None:
        # One C-level split gives words and the gaps between them, no match objects:
        # [gap, word, gap, word, ..., gap]; offsets are the running sum of their lengths.
        parts = _SPLIT.split(text)
        self.words = parts[1::2]
        offsets = list(accumulate(map(len, parts)))
        self.starts = offsets[0::2][: len(self.words)]
        self.ends = offsets[1::2]
        self.keys = list(map(key, self.words))  # no Python frame per word
        self.lead = parts[0]  # what comes before the first word
        self.gaps = parts[2::2][:-1]  # what stands between each word and the next
        self.joins = _joins(self.words, self.gaps)
        self._made: dict[int, Token] = {}

    def __len__(self) -> int:
        return len(self.words)

    def hashtag(self, index: int) -> bool:
        """Whether the word is a hashtag's ("#ukraine"): social posts write them in any case."""
        return (self.gaps[index - 1] if index else self.lead).endswith("#")

    @overload
    def __getitem__(self, index: int) -> Token: ...

    @overload
    def __getitem__(self, index: slice) -> list[Token]: ...

    def __getitem__(self, index: int | slice) -> Token | list[Token]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.words)))]
        if index < 0:
            index += len(self.words)
        made = self._made.get(index)
        if made is None:
            word = self.words[index]  # IndexError past the end, as a list
            upper = word[0].isupper()
            bare = word[:-2] if word[-2:-1] in _APOSTROPHES and word[-1:] == "s" else word
            # "UK's" is "UK" in capitals, as "Iran's" is "Iran": the possessive is no letter
            caps = upper and len(bare) > 1 and bare.replace(".", "").isupper()
            made = Token(word, self.keys[index], self.starts[index], self.ends[index], upper,
                         caps, self.joins[index])  # fmt: skip
            self._made[index] = made
        return made

    def __iter__(self) -> Iterator[Token]:
        return (self[i] for i in range(len(self.words)))


def _joins(words: list[str], gaps: list[str]) -> list[bool]:
    """Whether each token joins the next: only spaces or a hyphen (or "St.") between them."""
    joining = _JOINING_GAP.fullmatch
    joins = [gap == " " or joining(gap) is not None for gap in gaps]
    for i, gap in enumerate(gaps):
        if gap[:1] == "." and not joins[i] and words[i].lower() in _ABBREVIATIONS:
            joins[i] = joining(gap[1:]) is not None
    if words:
        joins.append(False)  # the last token joins nothing
    return joins


def tokenize(text: str) -> Tokens:
    """The words of ``text`` with their match keys, case and joins, in one pass."""
    return Tokens(text)


# Russian declension of names, by the ending of the nominative. Endings are tried longest first.
_NOUN_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ия", ("ия", "ии", "ию", "ией", "иею")),
    ("ея", ("ея", "еи", "ею", "еей", "ее")),
    ("ец", ("ец", "ца", "цу", "цем", "це", "цы", "цев", "цам", "цами", "цах")),
    ("ай", ("ай", "ая", "аю", "аем", "ае")),
    ("ей", ("ей", "ея", "ею", "еем", "ее")),
    ("ы", ("ы", "ов", "ам", "ами", "ах")),
    ("а", ("а", "ы", "и", "е", "у", "ой", "ою")),
    ("я", ("я", "и", "е", "ю", "ей", "ею")),
    ("й", ("й", "я", "ю", "ем", "е")),
    ("ь", ("ь", "и", "ью", "я", "ю", "ем", "е")),
)
_ADJECTIVE_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "ский",
        (
            "ский",
            "ского",
            "скому",
            "ским",
            "ском",
            "ская",
            "ской",
            "скую",
            "ское",
            "ские",
            "ских",
            "скими",
        ),
    ),
    (
        "цкий",
        (
            "цкий",
            "цкого",
            "цкому",
            "цким",
            "цком",
            "цкая",
            "цкой",
            "цкую",
            "цкое",
            "цкие",
            "цких",
            "цкими",
        ),
    ),
    ("ая", ("ая", "ой", "ую", "ою")),
    ("яя", ("яя", "ей", "юю")),
    ("ый", ("ый", "ого", "ому", "ым", "ом")),
    ("ий", ("ий", "его", "ему", "им", "ем", "ого", "ому")),
    ("ое", ("ое", "ого", "ому", "ым", "ом")),
    ("ее", ("ее", "его", "ему", "им", "ем")),
    ("ые", ("ые", "ых", "ым", "ыми")),
    ("ие", ("ие", "их", "им", "ими")),
)
_INDECLINABLE_ENDINGS = ("о", "е", "и", "у", "ю", "э")
_VOWELS = "аеёиоуыэюя"


def russian_forms(word: str, adjective: bool) -> set[str]:
    """Case forms of a Russian name word ("Иран" -> Ирана, Ирану, Ираном, Иране)."""
    w = word.lower().replace("ё", "е")
    forms = {w}
    if word.isupper() or len(w) < 3 or not is_cyrillic(w):
        return forms
    table = _ADJECTIVE_ENDINGS if adjective else _NOUN_ENDINGS
    for ending, endings in table:
        if w.endswith(ending):
            stem = w[: -len(ending)]
            forms.update(stem + e for e in endings)
            return forms
    if adjective or w.endswith(_INDECLINABLE_ENDINGS):
        return forms
    if w[-1] not in _VOWELS:
        forms.update(w + e for e in ("а", "у", "ом", "ем", "е", "ы", "ов", "ам", "ами", "ах"))
    return forms


def is_russian_adjective(word: str) -> bool:
    w = word.lower()
    return is_cyrillic(w) and w.endswith(("ий", "ый", "ая", "яя", "ое", "ее", "ые", "ие", "ой"))

"""Letter folding shared by the region gazetteer and the topic lexicons: one table of variants.

Both taggers match words of a story against words of their data, so both must reduce a
spelling variant to one form. The variants are the same whichever tagger reads them:

* Arabic script: the Arabic, Persian, Urdu and Pashto forms of YEH (ي ى ئ ې ۍ ے ۓ -> ی),
  KAF (ك ڪ -> ک), HEH and TEH MARBUTA (ة ۀ ہ ھ ۃ ە -> ه) and GAF (ګ -> گ); ALEF with hamza
  or madda and ALEF WASLA (أ إ آ ٱ -> ا); WAW with hamza (ؤ -> و); harakat, Quranic marks,
  superscript alef and tatweel dropped. Persian and Urdu write ی and ک where Arabic writes
  ي and ك, and writers of all three drop hamza seats and vowel marks freely, so these
  carry no difference a tagger could use.
* Latin letters that Unicode does not decompose into a base letter and an accent
  (ı ł ø đ æ œ ð þ), so that "Łódź" meets "Lodz" as "Kraków" meets "Krakow".

The bare hamza (ء) is a letter, not a variant, and stays: "ماء" (water) is not "ما"
(what). Place names are the exception, and the region tagger drops it on its own
(``pipeline.tag.geo.text``): Arabic "صنعاء", "كربلاء" are Persian "صنعا", "کربلا".
"""

from __future__ import annotations

import re

# Marks and joiners that carry no letter: harakat (with hamza above/below and madda),
# superscript alef, Quranic annotation signs, tatweel, zero-width joiner, soft hyphen.
ARABIC_MARKS: tuple[int, ...] = (
    *range(0x064B, 0x0660),
    0x0670,
    *range(0x06D6, 0x06EE),
    0x0640,
    0x200D,
    0x00AD,
)
ARABIC_LETTERS: dict[str, str] = {
    "ي": "ی",  # ARABIC YEH -> FARSI YEH
    "ى": "ی",  # ALEF MAKSURA
    "ئ": "ی",  # YEH WITH HAMZA ABOVE
    "ې": "ی",  # Pashto E
    "ۍ": "ی",  # Pashto YEH WITH TAIL
    "ے": "ی",  # Urdu YEH BARREE
    "ۓ": "ی",  # YEH BARREE WITH HAMZA ABOVE
    "ك": "ک",  # ARABIC KAF -> KEHEH
    "ڪ": "ک",  # Sindhi SWASH KAF
    "ة": "ه",  # TEH MARBUTA -> HEH
    "ۀ": "ه",  # HEH WITH YEH ABOVE (Persian ezafe)
    "ہ": "ه",  # Urdu HEH GOAL
    "ھ": "ه",  # Urdu HEH DOACHASHMEE (aspiration)
    "ۃ": "ه",  # TEH MARBUTA GOAL
    "ە": "ه",  # AE
    "أ": "ا",  # ALEF WITH HAMZA ABOVE
    "إ": "ا",  # ALEF WITH HAMZA BELOW
    "آ": "ا",  # ALEF WITH MADDA
    "ٱ": "ا",  # ALEF WASLA
    "ؤ": "و",  # WAW WITH HAMZA ABOVE
    "ګ": "گ",  # Pashto GAF WITH RING
}
LATIN_LETTERS: dict[str, str] = {
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "æ": "ae",
    "œ": "oe",
    "ð": "d",
    "þ": "th",
}

ARABIC_TABLE: dict[int, str | None] = {
    **dict.fromkeys(ARABIC_MARKS),
    **{ord(letter): folded for letter, folded in ARABIC_LETTERS.items()},
}
"""``str.translate`` table: Arabic-script marks deleted, letter variants folded."""
LATIN_TABLE = str.maketrans(LATIN_LETTERS)

_FOLDED = re.compile(
    "[" + "".join(map(chr, ARABIC_MARKS)) + "".join(ARABIC_LETTERS) + "".join(LATIN_LETTERS) + "]"
)


def fold_letters(text: str) -> str:
    """``text`` with every variant above folded; text without any is returned as it is
    (one regex search instead of a per-character translation, the common case)."""
    if text.isascii() or not _FOLDED.search(text):
        return text
    return text.translate(ARABIC_TABLE).translate(LATIN_TABLE)


def fold_arabic(word: str) -> str:
    """An Arabic-script word with its marks deleted and its letter variants folded."""
    return word.translate(ARABIC_TABLE)

"""Language of a body: statistical identification, with the page's own claim as fallback.

Why both: ``<html lang>`` is a site-wide template value (an English portal's Urdu
section often says "en"), so the text is asked first; a short or mixed text is a weak
witness, and then the page's claim wins. py3langid (a modernised langid.py, model
shipped in the wheel, no download) is optional: without it the page's claim is used.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

# below this many letters a text's language guess is noise
MIN_LETTERS = 40
# a guess this sure overrides the page's declared language
CONFIDENT = 0.9
# with nothing declared, a guess below this is left out: on a short post it is noise
# (a line of place names came out "uz" at 0.38). Article bodies of shared/corpus/html
# all score 0.94 or more, so only short texts ever fall under it.
PLAUSIBLE = 0.5
# the identifier reads at most this much text: enough to decide, bounded cost (it walks
# the sample byte by byte in Python). On the 566 pages of shared/corpus/html, 1,000
# characters give the same guess, and the same side of CONFIDENT, as 3,000 on every page.
SAMPLE_CHARS = 1000
# py3langid's model also answers with ISO 639-3 codes, and ``lang`` is ISO 639-1: members
# of a macrolanguage take its code; the others have none ("bcl" is no "bc"), so no guess.
_ISO_639_1 = {
    "ary": "ar",
    "arz": "ar",
    "gug": "gn",
    "kik": "ki",
    "sdh": "ku",
    "uzs": "uz",
    "wuu": "zh",
    "yue": "zh",
}


class _Identifier(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


@cache
def _identifier() -> Any:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        return None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) for ``text``, or None when it cannot be told."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    identifier: _Identifier | None = _identifier()
    if identifier is None:
        return None
    code, probability = identifier.classify(sample)
    code = str(code).lower()
    code = _ISO_639_1.get(code, code)
    if len(code) != 2:
        return None  # also "zxx": no linguistic content
    return code, float(probability)


def detect_language(text: str, declared: str | None = None) -> str | None:
    """The body's language; ``declared`` (from the page) decides when the text cannot."""
    guess = identify(text)
    if guess is None:
        return declared
    code, probability = guess
    if declared and code != declared and probability < CONFIDENT:
        return declared
    if not declared and probability < PLAUSIBLE:
        return None  # no language beats a wrong one: `--lang` filters would hide the story
    return code

"""One letter folding for both taggers: the region keys and the topic folding agree on every
letter variant of pipeline.tag.fold, and differ only where the gazetteer adds a name rule."""

from __future__ import annotations

import pytest

from pipeline.tag.fold import ARABIC_LETTERS, LATIN_LETTERS, fold_arabic, fold_letters
from pipeline.tag.geo.text import clean_text, key
from pipeline.tag.topics_text import fold


@pytest.mark.parametrize("variant", sorted(ARABIC_LETTERS))
def test_every_arabic_variant_folds_alike_in_both_taggers(variant: str) -> None:
    word = f"ب{variant}ر"  # inside a word, as in text
    expected = f"ب{ARABIC_LETTERS[variant]}ر"
    assert fold(word) == expected
    assert key(clean_text(word)) == expected


@pytest.mark.parametrize(
    ("arabic", "persian"),
    [
        ("كيف", "کیف"),  # Arabic YEH and KAF, Persian forms
        ("مدرسة", "مدرسه"),  # TEH MARBUTA
        ("أفغانستان", "افغانستان"),  # hamza seat
        ("بھارت", "بهارت"),  # Urdu HEH DOACHASHMEE
        ("پاکستان", "پاکستان"),
        ("مُحَمَّد", "محمد"),  # harakat
        ("كـتـاب", "کتاب"),  # tatweel
    ],
)
def test_spelling_variants_meet(arabic: str, persian: str) -> None:
    assert fold(arabic) == fold(persian)
    assert key(clean_text(arabic)) == key(clean_text(persian))


def test_the_bare_hamza_is_a_letter_except_in_place_names() -> None:
    assert fold("ماء") != fold("ما"), "water is not 'what'"
    assert key(clean_text("صنعاء")) == key(clean_text("صنعا")), "Arabic and Persian Sanaa"


@pytest.mark.parametrize("letter", sorted(LATIN_LETTERS))
def test_latin_letters_without_a_decomposition_fold_alike(letter: str) -> None:
    assert fold(letter) == fold_letters(letter) == LATIN_LETTERS[letter]
    assert key(f"x{letter}x") == f"x{LATIN_LETTERS[letter]}x"


def test_text_without_variants_is_returned_as_it_is() -> None:
    text = "Кабул и Тегеран"
    assert fold_letters(text) is text
    assert fold_arabic("کابل") == "کابل"

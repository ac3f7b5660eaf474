"""The Arabic topic model (``data/topics/topic_model_ar.npz``, scripts/train_topics_ar.py): it
loads, it tags Arabic stories the lexicon alone leaves untagged, and English is unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.tag import topic_model
from pipeline.tag.topic_model import MODEL_PATH, load_model, model_scores
from pipeline.tag.topics import combine, tag_topics, tag_topics_lexicon, topic_data

# Sentences written for this test (not from SANAD): the lexicon alone finds no topic in them.
CABINET = "ناقش مجلس الوزراء في جلسته الأسبوعية عددا من الملفات وأقر مشروع الموازنة"
FINAL = "تأهل المنتخب إلى الدور النهائي بعد فوزه بركلات الترجيح"
EARNINGS = "أعلنت الشركة ارتفاع أرباحها الفصلية بنسبة عشرة في المئة"
AIRSTRIKES = "شنت الطائرات غارات على مواقع المسلحين وقصفت المدفعية القرى الحدودية"
ENGLISH = "The central bank raised interest rates by a quarter point on Wednesday."


def top_level_of(slug: str) -> str:
    chain = topic_data().ancestors(slug)
    return chain[-1] if chain else slug


def test_arabic_model_file_loads_as_arabic_only() -> None:
    path = topic_model.LANGUAGE_MODELS["ar"]
    assert path == MODEL_PATH.with_name("topic_model_ar.npz")
    assert path.stat().st_size < 5_000_000
    model = load_model(path)
    assert model is not None
    assert model.languages == frozenset({"ar"})
    assert {"politics", "sport", "economy-business-finance", "health"} <= set(model.classes)
    assert load_model(path) is model  # loaded once per process
    assert np.isfinite(model.weights).all()


@pytest.mark.parametrize(
    ("text", "top"),
    [(CABINET, "politics"), (FINAL, "sport"), (EARNINGS, "economy-business-finance")],
)
def test_arabic_story_gets_its_top_level_from_the_model(text: str, top: str) -> None:
    assert tag_topics_lexicon(None, text, "ar").topics == []  # the lexicon alone finds nothing
    tags = tag_topics(None, text, "ar")
    assert tags.topics, "no topic"
    assert top_level_of(tags.topics[0]) == top
    assert any(e.startswith("model:") for e in tags.evidence[tags.topics[0]])


def test_arabic_war_story_keeps_the_lexicons_conflict_first() -> None:
    # The model knows no conflict class (SANAD files wars under politics); a group it cannot
    # score is ranked by the lexicon (``outside``), so its politics score does not take the lead.
    tags = tag_topics(None, AIRSTRIKES, "ar")
    assert top_level_of(tags.topics[0]) == "conflict-war-peace"


def test_arabic_model_is_not_used_for_persian_urdu_or_untagged_arabic_script() -> None:
    assert model_scores(None, CABINET, "ar")
    for lang in ("fa", "ur", None):
        assert model_scores(None, CABINET, lang) == {}


def test_english_behaviour_unchanged() -> None:
    english = load_model()
    assert english is not None and english.languages == frozenset({"en"})
    probs = english.scores(None, ENGLISH)
    assert model_scores(None, ENGLISH, "en") == probs
    expected = combine(tag_topics_lexicon(None, ENGLISH, "en"), probs)
    assert tag_topics(None, ENGLISH, "en") == expected

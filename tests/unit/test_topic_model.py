"""The learned topic model (pipeline/tag/topic_model.py) and its combination with the lexicon."""

from __future__ import annotations

import pytest

from pipeline.tag import topic_model
from pipeline.tag.topic_model import MODEL_PATH, load_model, model_scores
from pipeline.tag.topics import tag_topics, tag_topics_lexicon

# Short stories written for this test (headline, one sentence), with the expected top level.
STORIES = [
    (
        "Liverpool edge Arsenal in late winner",
        "A stoppage-time header settled the league match at Anfield.",
        "sport",
    ),
    (
        "Shares slide as oil prices jump",
        "Investors sold stocks after crude rose to its highest level this year.",
        "economy-business-finance",
    ),
    (
        "Parliament passes budget after long debate",
        "The governing coalition won the vote despite opposition walkouts.",
        "politics",
    ),
    (
        "Hospitals report rise in measles cases",
        "Doctors urged parents to vaccinate children as infections spread.",
        "health",
    ),
    (
        "Telescope finds water vapour on distant planet",
        "Astronomers said the discovery could help the search for life.",
        "science-technology",
    ),
    (
        "Troops shell rebel positions near the border",
        "Fighting between the army and insurgents killed dozens of soldiers.",
        "conflict-war-peace",
    ),
]


def test_model_ships_small_and_loads_once() -> None:
    assert MODEL_PATH.exists()
    assert MODEL_PATH.stat().st_size < 20_000_000  # tens of MB at most; today about 6 MB
    first = load_model()
    assert first is not None
    assert load_model() is first  # module-level cache: one load per process
    assert "en" in first.languages


@pytest.mark.parametrize(("title", "body", "expected"), STORIES)
def test_expected_top_topic_on_short_news(title: str, body: str, expected: str) -> None:
    model = load_model()
    assert model is not None
    scores = model.scores(title, body)
    assert max(scores, key=scores.__getitem__) == expected
    assert tag_topics(title, body, "en").topics[0] in {expected} | _children(expected)


def _children(top: str) -> set[str]:
    from pipeline.tag.topics import taxonomy

    return {slug for slug, t in taxonomy().items() if t.parent == top} | {
        slug for slug, t in taxonomy().items() if t.parent and taxonomy()[t.parent].parent == top
    }


def test_scores_are_probabilities_and_deterministic() -> None:
    title, body, _ = STORIES[0]
    a = model_scores(title, body, "en")
    b = model_scores(title, body, "en")
    assert a == b
    assert a and all(0.0 <= p <= 1.0 for p in a.values())
    assert set(a) == set(load_model().classes)  # type: ignore[union-attr]


def test_model_not_used_outside_its_languages() -> None:
    assert model_scores("Выборы в парламент", "Голосование прошло в воскресенье.", "ru") == {}
    assert model_scores("انتخابات پارلمان", "رای‌گیری یکشنبه برگزار شد.", None) == {}
    assert model_scores("Election day", "Voters queued from dawn.", None) != {}


def test_model_gives_short_story_a_topic_the_lexicon_misses() -> None:
    title, body = "Real Madrid beat Barcelona 3-1 in El Clasico", "Vinicius scored twice."
    assert tag_topics_lexicon(title, body, "en").topics == []
    tags = tag_topics(title, body, "en")
    assert tags.topics == ["sport"]
    assert tags.evidence["sport"][0].startswith("model:")


def test_lexicon_alone_when_no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topic_model, "load_model", lambda: None)
    title, body, _ = STORIES[1]
    assert tag_topics(title, body, "en") == tag_topics_lexicon(title, body, "en")

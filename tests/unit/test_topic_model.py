"""The learned topic model (pipeline/tag/topic_model.py) and its combination with the lexicon."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.tag import topic_model
from pipeline.tag.topic_model import (
    MODEL_PATH,
    VECTORS_PATH,
    load_model,
    load_vectors,
    model_scores,
)
from pipeline.tag.topics import TopicTags, combine, tag_topics, tag_topics_lexicon
from wire.models import TopicScore

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
    size = MODEL_PATH.stat().st_size + VECTORS_PATH.stat().st_size
    assert size < 20_000_000  # tens of MB at most; today about 13 MB with the word vectors
    first = load_model()
    assert first is not None
    assert load_model() is first  # module-level cache: one load per process
    assert "en" in first.languages
    # the English model reads the word vectors, loaded once too
    assert first.dense is not None and first.vectors is load_vectors()
    assert first.dense.shape == (first.vectors.dim, len(first.classes))


def test_word_vectors_mean() -> None:
    vectors = load_vectors()
    m = vectors.mean(["striker", "scored", "striker"])
    assert abs(float(np.linalg.norm(m)) - 1.0) < 1e-5
    # near words point the same way, far ones not
    football = vectors.mean(["midfielder"])
    parliament = vectors.mean(["parliament"])
    assert float(m @ football) > float(m @ parliament) + 0.2
    assert not vectors.mean(["qqzxv", "the"]).any()  # unknown, and "the" is left out


def test_dense_block_scores_words_the_weights_never_saw() -> None:
    """A model whose dense weights point at "midfielder" and at "parliament" scores a story of
    other words by their meaning; without the block only the bias is left."""
    vectors = load_vectors()
    dense = np.stack([vectors.mean(["midfielder"]), vectors.mean(["parliament"])], axis=1)
    bits = 4

    def tiny(
        dense: np.ndarray | None, vectors: topic_model.WordVectors | None
    ) -> topic_model.TopicModel:
        return topic_model.TopicModel(
            classes=("sport", "politics"),
            weights=np.zeros((1 << bits, 2), dtype=np.float32),
            bias=np.zeros(2, dtype=np.float32),
            platt_a=np.ones(2, dtype=np.float32),
            platt_b=np.zeros(2, dtype=np.float32),
            bits=bits,
            languages=frozenset({"en"}),
            version="test",
            dense=dense,
            vectors=vectors,
        )

    model = tiny(dense, vectors)
    sport, politics = model.raw_scores("Striker scores twice", "The forward netted a late goal.")
    assert sport > politics
    sport, politics = model.raw_scores("Lawmakers pass bill", "The senate voted on the law.")
    assert politics > sport
    plain = tiny(None, None)
    assert not plain.raw_scores("Striker scores twice", "The forward netted a late goal.").any()


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


def _reference_features(title: str, body: str, bits: int) -> dict[int, float]:
    """The hashing scheme written out plainly, as the shipped weights were trained on it."""
    import math
    import zlib

    from pipeline.tag.topics_text import fold, tokenize

    counts: dict[int, int] = {}

    def add(key: str) -> None:
        h = zlib.crc32(key.encode("utf-8")) & ((1 << bits) - 1)
        counts[h] = counts.get(h, 0) + 1

    title_tokens = tokenize(fold(title))[:40]
    words = title_tokens + tokenize(fold(body))[: topic_model.MAX_WORDS]
    for tok in title_tokens:
        add("t " + tok)
    for i, tok in enumerate(words):
        add("w " + tok)
        if i:
            add(f"b {words[i - 1]} {tok}")
    for tok in words[: topic_model.MAX_CHAR_WORDS]:
        padded = f"<{tok}>"
        for n in topic_model.CHAR_NGRAMS:
            for i in range(len(padded) - n + 1):
                add("c " + padded[i : i + n])
    values = {h: math.log1p(c) for h, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {h: v / norm for h, v in values.items()}


def test_cached_features_match_the_trained_hashing_scheme() -> None:
    title, body, _ = STORIES[3]
    for _ in range(2):  # second round served from the per-word caches
        idx, val = topic_model.features(title, body, 18)
        got = dict(zip(idx.tolist(), val.tolist(), strict=True))
        want = _reference_features(title, body, 18)
        assert got.keys() == want.keys()
        assert all(abs(got[h] - want[h]) < 1e-6 for h in want)


def _tags(scores: dict[str, float]) -> TopicTags:
    return TopicTags(
        topics=list(scores),
        topic_scores=[TopicScore(topic=t, score=s) for t, s in scores.items()],
        evidence={t: ["word"] for t in scores},
    )


def test_confident_model_outranks_an_incidental_lexicon_hit() -> None:
    # The lexicon found "minister" in a football story; the model is sure it is sport.
    probs = {"sport": 0.92, "politics": 0.04}
    tags = combine(_tags({"politics": 0.62}), probs)
    assert tags.topics[0] == "sport"
    assert "politics" in tags.topics  # the lexicon's topic is kept, only ranked lower
    assert tags.evidence["sport"] == ["model:0.92"]


def test_lexicon_decides_when_the_model_is_unsure() -> None:
    probs = {"politics": 0.35, "economy-business-finance": 0.4}
    tags = combine(_tags({"elections": 0.8, "politics": 0.8}), probs, lexicon_weight=0.1)
    assert tags.topics[:2] == ["elections", "politics"]
    assert "model:0.35" in tags.evidence["politics"]


def test_shipped_ranking_follows_the_model_and_keeps_the_lexicon_topics() -> None:
    # Model 2026-5: lexicon weight 0 (chosen on validation), so the model's order decides; the
    # lexicon's finer topics and words stay, in the lower-ranked group.
    probs = {"politics": 0.35, "economy-business-finance": 0.4}
    tags = combine(_tags({"elections": 0.8, "politics": 0.8}), probs)
    assert tags.topics == ["economy-business-finance", "elections", "politics"]
    assert tags.evidence["elections"] == ["word"]
    # The model's best topic joins the lexicon's from 0.1 up (was 0.2).
    assert combine(_tags({"politics": 0.8}), {"sport": 0.15}).topics[0] == "sport"
    assert combine(_tags({"politics": 0.8}), {"sport": 0.08}).topics == ["politics"]


def test_model_fallback_only_above_its_floor() -> None:
    assert combine(TopicTags(), {"sport": 0.05, "politics": 0.04}, fallback=0.1).topics == []
    assert combine(TopicTags(), {"sport": 0.3, "politics": 0.04}).topics == ["sport"]

"""Properties over random text (seeded, so failures reproduce): identical text always
matches, unrelated text never does, light edits always cluster, estimates are sound."""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.dedup import DEFAULT_CONFIG, Deduplicator, Fingerprint, decide, fingerprint, keys_for
from pipeline.dedup.minhash import sketch_similarity
from pipeline.dedup.rules import read
from pipeline.dedup.text import jaccard, tokens

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
SEEDS = range(6)


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 9))) for _ in range(size)]


def zipf_text(rng: random.Random, words: list[str], length: int) -> str:
    """Natural-ish text: a few words very common (the, of, said), most rare."""
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    chosen = rng.choices(words, weights=weights, k=length)
    return " ".join(w + rng.choice(["", "", "", ",", "."]) for w in chosen)


def retype(rng: random.Random, text: str) -> str:
    """Same words, other typography: case, punctuation and whitespace changed at random."""
    out = []
    for word in text.split():
        word = word.upper() if rng.random() < 0.2 else word
        out.append(word + rng.choice(["", "", "!", " —", ";"]))
    return rng.choice(["\n\n", "  ", "\t"]).join([" ".join(out[:5]), " ".join(out[5:])])


def edit(rng: random.Random, text: str, words: list[str], rate: float) -> str:
    return " ".join(rng.choice(words) if rng.random() < rate else w for w in text.split())


def story(n: int, body: str, when: datetime = T0) -> Fingerprint:
    return fingerprint(f"{n:032x}", f"https://site{n}.example/story", f"src{n}", None, body, when)


@pytest.mark.parametrize("seed", SEEDS)
def test_identical_text_always_matches(seed: int) -> None:
    rng = random.Random(seed)
    words = vocabulary(rng)
    dedup = Deduplicator({})
    for n in range(0, 40, 2):
        body = zipf_text(rng, words, rng.randint(DEFAULT_CONFIG.min_content_tokens, 400))
        dedup.check(story(n, body))
        outcome = dedup.check(story(n + 1, retype(rng, body)))
        assert outcome.action == "merge" and outcome.decision.method == "content"
        assert outcome.merge_into == f"{n:032x}"


@pytest.mark.parametrize("seed", SEEDS)
def test_unrelated_texts_never_match(seed: int) -> None:
    rng = random.Random(100 + seed)
    words = vocabulary(rng)
    dedup = Deduplicator({})
    for n in range(60):
        body = zipf_text(rng, words, rng.randint(30, 500))
        outcome = dedup.check(story(n, body, T0 + timedelta(minutes=n)))
        assert outcome.decision.method == "new", outcome.decision


@pytest.mark.parametrize("seed", SEEDS)
def test_lightly_edited_copies_always_cluster(seed: int) -> None:
    rng = random.Random(200 + seed)
    words = vocabulary(rng)
    for n in range(0, 20, 2):
        dedup = Deduplicator({})
        body = zipf_text(rng, words, rng.randint(150, 600))
        copy = edit(rng, body, words, rate=0.02)
        dedup.check(story(n, body))
        outcome = dedup.check(story(n + 1, copy))
        assert outcome.indexed and outcome.duplicate_of == f"{n:032x}", jaccard(
            tokens(body), tokens(copy), DEFAULT_CONFIG.shingle_size
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_sketch_estimates_follow_the_exact_jaccard(seed: int) -> None:
    rng = random.Random(300 + seed)
    words = vocabulary(rng)
    base = zipf_text(rng, words, 400).split()
    for keep in (0.2, 0.5, 0.8, 1.0):
        other = base[: int(len(base) * keep)] + zipf_text(rng, words, 50).split()
        a, b = story(1, " ".join(base)), story(2, " ".join(other))
        assert a.sketch and b.sketch
        exact = jaccard(tokens(" ".join(base)), tokens(" ".join(other)), 4)
        estimate = sketch_similarity(a.sketch, b.sketch)
        assert estimate == sketch_similarity(b.sketch, a.sketch)
        assert abs(estimate - exact) < 0.2
        assert sketch_similarity(a.sketch, a.sketch) == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_decisions_are_pure_and_writes_are_json(seed: int) -> None:
    rng = random.Random(400 + seed)
    words = vocabulary(rng)
    body = zipf_text(rng, words, 200)
    first = story(1, body)
    assert first == story(1, body), "fingerprints are deterministic"
    state: dict[str, object] = {}
    Deduplicator(state).check(first)
    again = story(2, edit(rng, body, words, 0.01))
    lookups = read(again, state.get, T0)
    snapshot = json.dumps(lookups, sort_keys=True)
    one, two = decide(again, lookups, T0), decide(again, lookups, T0)
    assert one == two and json.dumps(lookups, sort_keys=True) == snapshot, "no side effects"
    outcome, writes = one
    assert set(writes) <= set(keys_for(again))
    assert json.loads(json.dumps(writes)) == writes
    assert outcome.decision.method in {"content", "minhash"}

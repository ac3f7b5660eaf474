"""A learned topic classifier: calibrated IPTC top-level topic scores for a story, numpy only.

Why a model beside the lexicon: the keyword lexicon (``topics.py``) is precise but cannot reach
recall on short or unusual text, where no listed term occurs. A linear model over hashed word and
character n-grams generalises from labelled news to words nobody listed, at a cost of well under a
millisecond per story.

* Features (``features``): the story's words are folded exactly as the lexicon folds them
  (``topics_text.fold``: case, accents, Arabic-script letter variants), then word unigrams and
  bigrams (headline words counted again under their own prefix, as the headline says most about
  the topic) and character 3-5-grams of the first words (so inflected and unseen forms still
  share features), each hashed with CRC-32 into ``2**bits`` buckets, ``log1p`` counts, L2-normed.
  The English model adds a dense block: the mean of the story's GloVe word vectors (50
  dimensions, public domain, ``data/topics/word_vectors_en.npz``), so a headline whose words
  the labelled news never used still scores by what they mean.
* Model: one logistic regression per top-level topic (multi-label, one-vs-rest), trained by
  ``scripts/train_topics.py`` with scikit-learn, which is needed for training only.
* Calibration: each class's raw score goes through a Platt sigmoid fitted on a validation part
  of the data the weights never saw, so a score of 0.7 means about 70% of such stories carried
  the topic there, and one threshold can be used across topics.
* Speed: the hashed buckets of a word and of its character n-grams are cached per process
  (``_bucket``, ``_char_buckets``), as most words of a story were met before; the features are
  the same as computed afresh (``tests/unit/test_topic_model.py`` checks it).

The weights ship as ``data/topics/topic_model.npz`` (float16, compressed) and are loaded once per
process (``load_model`` is cached); nothing is downloaded at run time. Data, licences and figures:
``docs/topics-model.md``.

A language can have a model of its own (``LANGUAGE_MODELS``), same features and format, trained
on news in that language alone: Arabic, ``data/topics/topic_model_ar.npz``
(``scripts/train_topics_ar.py``), loaded on the first Arabic story. It is used for stories tagged
with that language only (untagged Arabic-script text may be Persian or Urdu).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pipeline.tag.topics_text import fold, tokenize

MODEL_PATH = Path(__file__).with_name("data") / "topics" / "topic_model.npz"
# Pretrained word vectors (GloVe, public domain) whose mean over a story is a small dense block of
# features beside the hashed ones: words the labelled news never used still land near the words
# it did ("striker" near "midfielder"). Built by scripts/build_word_vectors.py.
VECTORS_PATH = MODEL_PATH.with_name("word_vectors_en.npz")
# Models of one language each, used instead of the English model for stories tagged with it.
LANGUAGE_MODELS: dict[str, Path] = {"ar": MODEL_PATH.with_name("topic_model_ar.npz")}

# Feature budget: enough of a story to know its topic, bounded so a long article costs what a
# short one does (the lead carries the topic; the tail adds noise and time).
MAX_WORDS = 300
MAX_CHAR_WORDS = 60
CHAR_NGRAMS = (3, 4, 5)


def story_tokens(title: str | None, body: str) -> tuple[list[str], list[str]]:
    """The folded words the features read: (headline words, body words), both bounded."""
    title_tokens = tokenize(fold(title or ""))[:40]
    # Folding a whole long article costs more than the rest: fold only what can hold MAX_WORDS.
    body_tokens = tokenize(fold((body or "")[: MAX_WORDS * 12]))[:MAX_WORDS]
    return title_tokens, body_tokens


def features(
    title: str | None, body: str, bits: int, tokens: tuple[list[str], list[str]] | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Hashed sparse features of a story: (bucket indices, L2-normalised log1p counts)."""
    title_tokens, body_tokens = tokens or story_tokens(title, body)
    ids = [_bucket("t " + tok, bits) for tok in title_tokens]
    words = title_tokens + body_tokens
    ids += [_bucket("w " + tok, bits) for tok in words]
    mask = (1 << bits) - 1
    ids += [zlib.crc32(f"b {a} {b}".encode()) & mask for a, b in pairwise(words)]
    for tok in words[:MAX_CHAR_WORDS]:
        ids += _char_buckets(tok, bits)
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx, counts = np.unique(np.array(ids, dtype=np.int64), return_counts=True)
    val = np.log1p(counts.astype(np.float32))
    return idx, (val / np.sqrt(np.dot(val, val))).astype(np.float32)


# Words recur from story to story ("the", "minister", "said"): their hashed unigram and character
# n-gram buckets are kept, so a story costs mostly its unseen words. Bounded; a few MB at most.
@lru_cache(maxsize=1 << 16)
def _bucket(key: str, bits: int) -> int:
    return zlib.crc32(key.encode("utf-8")) & ((1 << bits) - 1)


@lru_cache(maxsize=1 << 16)
def _char_buckets(token: str, bits: int) -> tuple[int, ...]:
    mask = (1 << bits) - 1
    padded = f"<{token}>"
    return tuple(
        zlib.crc32(("c " + padded[i : i + n]).encode("utf-8")) & mask
        for n in CHAR_NGRAMS
        for i in range(len(padded) - n + 1)
    )


@dataclass(frozen=True)
class WordVectors:
    """Unit-length word vectors stored as int8 (x 127), and each word's row."""

    index: dict[str, int]
    vectors: npt.NDArray[np.int8]  # (words, dim)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def mean(self, words: list[str]) -> npt.NDArray[np.float32]:
        """The L2-normalised mean vector of the story's known words (each occurrence counts);
        zeros when it has none."""
        rows = [self.index[w] for w in words if w in self.index]
        if not rows:
            return np.zeros(self.dim, dtype=np.float32)
        m: npt.NDArray[np.float32] = self.vectors[rows].astype(np.float32).mean(axis=0)
        norm = float(np.sqrt(np.dot(m, m)))
        return m / norm if norm > 0 else m


def load_vectors(path: Path = VECTORS_PATH) -> WordVectors:
    """The word vectors at ``path``, loaded once per process (about 0.1 s, 15 MB)."""
    return _load_vectors(path)


@cache
def _load_vectors(path: Path) -> WordVectors:
    with np.load(path, allow_pickle=False) as z:
        words = str(z["words"]).split("\n")
        return WordVectors({w: i for i, w in enumerate(words)}, z["vectors"])


def dense_features(
    vectors: WordVectors, tokens: tuple[list[str], list[str]]
) -> npt.NDArray[np.float32]:
    """The dense block: the mean word vector of the headline and body words."""
    return vectors.mean(tokens[0] + tokens[1])


@dataclass(frozen=True)
class TopicModel:
    """Weights of the classifier and its calibration, as saved by ``scripts/train_topics.py``."""

    classes: tuple[str, ...]  # taxonomy slugs of the top-level topics the model scores
    weights: npt.NDArray[np.float32]  # (2**bits, len(classes))
    bias: npt.NDArray[np.float32]  # (len(classes),)
    platt_a: npt.NDArray[np.float32]  # calibrated p = sigmoid(a * raw + b)
    platt_b: npt.NDArray[np.float32]
    bits: int
    languages: frozenset[str]  # languages the shipped model is used for (see docs/topics-model.md)
    version: str
    # Weights of the dense block (dim, len(classes)) and the word vectors it reads; None for a
    # model trained on hashed features alone (the Arabic one).
    dense: npt.NDArray[np.float32] | None = None
    vectors: WordVectors | None = None

    def raw_scores(self, title: str | None, body: str) -> npt.NDArray[np.float32]:
        tokens = story_tokens(title, body)
        idx, val = features(title, body, self.bits, tokens)
        out: npt.NDArray[np.float32] = self.bias.copy()
        if len(idx):
            out += val @ self.weights[idx]
        if self.dense is not None and self.vectors is not None:
            out += dense_features(self.vectors, tokens) @ self.dense
        return out

    def scores(self, title: str | None, body: str) -> dict[str, float]:
        """Calibrated probability per top-level topic slug, each in [0, 1]."""
        raw = self.raw_scores(title, body)
        z = self.platt_a * raw + self.platt_b
        probs = 1.0 / (1.0 + np.exp(-z))
        return {c: float(p) for c, p in zip(self.classes, probs, strict=True)}

    def covers(self, lang: str | None) -> bool:
        """Whether the model is trusted for a story in ``lang`` (unknown language: English-like
        text only, judged by the share of ASCII letters)."""
        return lang in self.languages if lang else "en" in self.languages


def _is_mostly_latin(text: str) -> bool:
    letters = [c for c in text[:400] if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) > 0.9


@cache
def load_model(path: Path = MODEL_PATH) -> TopicModel | None:
    """The shipped model, loaded on first use and shared by every call; ``None`` if absent (the
    tagger then runs on the lexicon alone)."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        dense = vectors = None
        if "dense" in z.files:
            dense = z["dense"].astype(np.float32)
            # the vectors ship beside the shipped models, whatever file the weights come from
            vectors = load_vectors(VECTORS_PATH.with_name(str(z["vectors"])))
        return TopicModel(
            dense=dense,
            vectors=vectors,
            classes=tuple(str(c) for c in z["classes"]),
            weights=z["weights"].astype(np.float32),
            bias=z["bias"].astype(np.float32),
            platt_a=z["platt_a"].astype(np.float32),
            platt_b=z["platt_b"].astype(np.float32),
            bits=int(z["bits"]),
            languages=frozenset(str(x) for x in z["languages"]),
            version=str(z["version"]),
        )


def model_scores(title: str | None, body: str, lang: str | None) -> dict[str, float]:
    """Calibrated model scores for a story, or ``{}`` when no model ships or the language is one
    the model was not validated on (the lexicon alone tags those). A language with a model of
    its own (``LANGUAGE_MODELS``) is scored by that model."""
    if lang in LANGUAGE_MODELS:
        own = load_model(LANGUAGE_MODELS[lang])
        return own.scores(title, body) if own is not None and own.covers(lang) else {}
    model = load_model()
    if model is None:
        return {}
    if lang is None:
        if not _is_mostly_latin(f"{title or ''} {body[:400]}"):
            return {}
    elif not model.covers(lang):
        return {}
    return model.scores(title, body)


def logit(p: float) -> float:
    """Inverse of the sigmoid, for callers that combine calibrated scores additively."""
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))

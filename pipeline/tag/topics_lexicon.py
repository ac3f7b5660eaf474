"""The topic data: taxonomy, scoring knobs and per-topic lexicons, loaded and compiled for matching.

Everything a topic knows lives in ``data/topics/`` (see its PROVENANCE.md): ``taxonomy.yaml``
maps slugs to IPTC Media Topics and parents, ``scoring.yaml`` holds the scorer's knobs, and
``lexicons/<slug>.yaml`` lists weighted terms per language. This module validates those files
(loudly: a typo in a slug or an ``unless`` key is an error, not a silently dead entry) and compiles
the terms into an index keyed by their first word, so that matching an article is one dictionary
lookup per token.

Lexicon syntax, in short: a term is one or more words; a trailing ``*`` on a word matches any
ending (at least three letters before it); ``unless`` lists phrases that veto a term when they
occur within ``unless_window`` tokens of it (the term's own words included).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.tag.topics_text import fold, tokenize, variants

ANY_LANGUAGE = "any"
"""Lexicon key for terms that are the same in every language (acronyms, names of groups)."""

_PREFIX_KEY = 3
_MEMO_LIMIT = 200_000
_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
_IPTC = re.compile(r"^medtop:\d{8}$")
# libyaml's loader when PyYAML has it (its wheels do): several times faster at startup.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TopicDataError(ValueError):
    """A taxonomy, scoring or lexicon file is malformed; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class Topic:
    """One slug of the taxonomy and the IPTC Media Topic it stands for."""

    slug: str
    iptc: str
    label: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Scoring:
    """Knobs of the scorer (see ``scoring.yaml`` for what each one does)."""

    default_threshold: float = 3.0
    title_weight: float = 1.0
    unless_window: int = 8
    relative_floor: float = 0.25
    independent_multiple: float = 2.0
    anchor_weight: float = 3.0
    anchor_terms: int = 2
    length_norm_tokens: int = 250
    length_norm_power: float = 0.6
    max_topics: int = 8


@dataclass(frozen=True, slots=True, eq=False)
class Word:
    """One word of a term: exact, or a prefix when written with a trailing ``*``."""

    text: str
    prefix: bool

    def matches(self, forms: tuple[str, ...]) -> bool:
        if self.prefix:
            return any(f.startswith(self.text) for f in forms)
        return self.text in forms


Phrase = tuple[Word, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Term:
    """A weighted lexicon entry of one topic. Compared by identity: each is built once."""

    slug: str
    label: str
    weight: float
    langs: frozenset[str]
    words: Phrase
    unless: tuple[Phrase, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Hit:
    term: Term
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.term.words)


@dataclass
class Matcher:
    """Terms of some languages, indexed by their first word (exact text or 3-letter prefix key)."""

    unless_window: int
    exact: dict[str, list[Term]] = field(default_factory=dict)
    by_prefix: dict[str, list[Term]] = field(default_factory=dict)
    # token -> (its clitic readings, the terms starting there); shared by all stories, bounded.
    _memo: dict[str, tuple[tuple[str, ...], list[Term]]] = field(default_factory=dict)

    def add(self, term: Term) -> None:
        first = term.words[0]
        if first.prefix:
            self.by_prefix.setdefault(first.text[:_PREFIX_KEY], []).append(term)
        else:
            self.exact.setdefault(first.text, []).append(term)

    def _starting_with(self, forms: tuple[str, ...]) -> list[Term]:
        found: list[Term] = []
        for form in forms:
            found.extend(self.exact.get(form, ()))
            for term in self.by_prefix.get(form[:_PREFIX_KEY], ()):
                if form.startswith(term.words[0].text):
                    found.append(term)
        if len(forms) > 1:  # a term reachable through two clitic readings counts once
            found = list(dict.fromkeys(found))
        return found

    def _lookup(self, token: str) -> tuple[tuple[str, ...], list[Term]]:
        got = self._memo.get(token)
        if got is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            forms = variants(token)
            got = self._memo[token] = (forms, self._starting_with(forms))
        return got

    def find(self, tokens: Sequence[str]) -> list[Hit]:
        """Every term occurrence in the tokens, minus those vetoed by their ``unless`` phrases."""
        looked = [self._lookup(t) for t in tokens]
        forms = [f for f, _ in looked]
        present: set[str] | None = None
        hits: list[Hit] = []
        n_tokens = len(tokens)
        for i, (_, candidates) in enumerate(looked):
            for term in candidates:
                n = len(term.words)
                if n > 1 and (
                    i + n > n_tokens
                    or not all(term.words[k].matches(forms[i + k]) for k in range(1, n))
                ):
                    continue
                if term.unless:
                    if present is None:
                        present = {f for fs in forms for f in fs}
                    if self._vetoed(term, i, forms, present):
                        continue
                hits.append(Hit(term, i))
        return hits

    def _vetoed(
        self, term: Term, start: int, forms: list[tuple[str, ...]], present: set[str]
    ) -> bool:
        lo = max(0, start - self.unless_window)
        hi = min(len(forms), start + len(term.words) + self.unless_window)
        for phrase in term.unless:
            # Most veto phrases are absent from the story altogether: skip them without scanning.
            if any(not w.prefix and w.text not in present for w in phrase):
                continue
            n = len(phrase)
            for s in range(lo, hi - n + 1):
                if all(phrase[k].matches(forms[s + k]) for k in range(n)):
                    return True
        return False


@dataclass
class TopicData:
    """The loaded data: taxonomy, knobs, per-topic thresholds and one matcher per language set."""

    topics: dict[str, Topic]
    scoring: Scoring
    thresholds: dict[str, float]
    terms: list[Term]
    languages: frozenset[str]
    _matchers: dict[frozenset[str] | None, Matcher] = field(default_factory=dict)

    def ancestors(self, slug: str) -> list[str]:
        """Parent, grandparent, ... of a slug, nearest first."""
        chain: list[str] = []
        parent = self.topics[slug].parent
        while parent is not None:
            chain.append(parent)
            parent = self.topics[parent].parent
        return chain

    def matcher(self, lang: str | None) -> Matcher:
        """Terms of the story's language plus English and language-neutral ones; all languages
        when the language is unknown or has no lexicon (scripts rarely collide, so trying them all
        costs little and finds loanwords)."""
        key: frozenset[str] | None = None
        if lang:
            base = lang.lower().split("-")[0]
            if base in self.languages:
                key = frozenset({base, "en", ANY_LANGUAGE})
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = Matcher(self.scoring.unless_window)
            for term in self.terms:
                if key is None or term.langs & key:
                    matcher.add(term)
            self._matchers[key] = matcher
        return matcher


def data_dir() -> Path:
    return Path(str(resources.files("pipeline.tag").joinpath("data", "topics")))


def load(root: Path | None = None) -> TopicData:
    """Load and validate the taxonomy, scoring knobs and lexicons under ``root``."""
    root = root or data_dir()
    topics = _load_taxonomy(root / "taxonomy.yaml")
    scoring = _load_scoring(root / "scoring.yaml")
    thresholds: dict[str, float] = {}
    terms: list[Term] = []
    lex_dir = root / "lexicons"
    found = {p.stem: p for p in sorted(lex_dir.glob("*.yaml"))}
    unknown = sorted(set(found) - set(topics))
    missing = sorted(set(topics) - set(found))
    if unknown or missing:
        raise TopicDataError(
            f"{lex_dir}: lexicons without a taxonomy slug {unknown}, "
            f"slugs without a lexicon {missing}"
        )
    for slug, path in found.items():
        threshold, slug_terms = _load_lexicon(path, slug, scoring)
        thresholds[slug] = threshold
        terms.extend(slug_terms)
    languages = frozenset(lang for t in terms for lang in t.langs) - {ANY_LANGUAGE}
    return TopicData(topics, scoring, thresholds, terms, languages)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise TopicDataError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TopicDataError(f"{path}: expected a mapping at the top")
    return data


def _load_taxonomy(path: Path) -> dict[str, Topic]:
    raw = _read_yaml(path).get("topics")
    if not isinstance(raw, dict) or not raw:
        raise TopicDataError(f"{path}: `topics` must be a non-empty mapping")
    topics: dict[str, Topic] = {}
    for slug, entry in raw.items():
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise TopicDataError(f"{path}: bad slug {slug!r} (lower-case letters, digits, hyphens)")
        if not isinstance(entry, dict) or not _IPTC.match(str(entry.get("iptc", ""))):
            raise TopicDataError(f"{path}: {slug}: needs `iptc: medtop:NNNNNNNN`")
        parent = entry.get("parent")
        topics[slug] = Topic(slug, entry["iptc"], str(entry.get("label", slug)), parent)
    for topic in topics.values():
        seen = {topic.slug}
        parent = topic.parent
        while parent is not None:
            if parent not in topics:
                raise TopicDataError(f"{path}: {topic.slug}: unknown parent {parent!r}")
            if parent in seen:
                raise TopicDataError(f"{path}: {topic.slug}: parent cycle through {parent!r}")
            seen.add(parent)
            parent = topics[parent].parent
    return topics


def _load_scoring(path: Path) -> Scoring:
    raw = _read_yaml(path)
    known = set(Scoring.__dataclass_fields__)
    extra = sorted(set(raw) - known)
    if extra:
        raise TopicDataError(f"{path}: unknown knobs {extra}")
    defaults = Scoring()
    try:
        values = {k: type(getattr(defaults, k))(v) for k, v in raw.items()}
    except (TypeError, ValueError) as exc:
        raise TopicDataError(f"{path}: {exc}") from exc
    return Scoring(**values)


def _load_lexicon(path: Path, slug: str, scoring: Scoring) -> tuple[float, list[Term]]:
    raw = _read_yaml(path)
    extra = sorted(set(raw) - {"threshold", "terms", "unless"})
    if extra:
        raise TopicDataError(f"{path}: unknown keys {extra}")
    threshold = float(raw.get("threshold", scoring.default_threshold))
    by_lang = raw.get("terms")
    if not isinstance(by_lang, dict) or not by_lang:
        raise TopicDataError(f"{path}: `terms` must map languages to weighted term lists")
    unless_raw = raw.get("unless") or {}
    if not isinstance(unless_raw, dict):
        raise TopicDataError(f"{path}: `unless` must map terms to lists of phrases")
    vetoes = {_key(str(k)): _phrases(path, v) for k, v in unless_raw.items()}
    used: set[str] = set()
    terms: list[Term] = []
    for lang, weighted in by_lang.items():
        if not isinstance(weighted, dict):
            raise TopicDataError(f"{path}: {lang}: expected `weight: [terms]`")
        for weight, labels in weighted.items():
            if not isinstance(weight, int | float) or not isinstance(labels, list):
                raise TopicDataError(f"{path}: {lang}: {weight!r} must map a weight to terms")
            for label in labels:
                words = _parse(path, str(label))
                key = _key(str(label))
                used.add(key)
                terms.append(
                    Term(
                        slug,
                        str(label),
                        float(weight),
                        frozenset({str(lang)}),
                        words,
                        vetoes.get(key, ()),
                    )
                )
    dead = sorted(set(vetoes) - used)
    if dead:
        raise TopicDataError(f"{path}: `unless` keys that are not terms here: {dead}")
    return threshold, _merge_duplicates(terms)


def _merge_duplicates(terms: list[Term]) -> list[Term]:
    """One term per word sequence: the same words listed twice (two languages, or ``a-b`` next to
    ``a b``) would otherwise count twice for one occurrence. The merged term keeps the highest
    weight, every language and every veto."""
    merged: dict[tuple[tuple[str, bool], ...], Term] = {}
    for term in terms:
        key = tuple((w.text, w.prefix) for w in term.words)
        seen = merged.get(key)
        if seen is None:
            merged[key] = term
            continue
        best = term if term.weight > seen.weight else seen
        merged[key] = Term(
            term.slug,
            best.label,
            best.weight,
            seen.langs | term.langs,
            term.words,
            tuple(dict.fromkeys(seen.unless + term.unless)),
        )
    return list(merged.values())


def _key(label: str) -> str:
    return " ".join(label.split())


def _parse(path: Path, label: str) -> Phrase:
    """``"prime minister*"`` -> (prime, minister + prefix); folding splits hyphens/apostrophes."""
    words: list[Word] = []
    for chunk in label.split():
        star = chunk.endswith("*")
        tokens = tokenize(fold(chunk.rstrip("*")))
        if not tokens:
            raise TopicDataError(f"{path}: term {label!r} has an empty word")
        words.extend(Word(t, False) for t in tokens[:-1])
        if star and len(tokens[-1]) < _PREFIX_KEY:
            raise TopicDataError(f"{path}: prefix in {label!r} needs {_PREFIX_KEY}+ letters")
        words.append(Word(tokens[-1], star))
    if not words:
        raise TopicDataError(f"{path}: empty term")
    return tuple(words)


def _phrases(path: Path, value: object) -> tuple[Phrase, ...]:
    if not isinstance(value, list) or not value:
        raise TopicDataError(f"{path}: each `unless` entry needs a non-empty list of phrases")
    return tuple(_parse(path, str(v)) for v in value)

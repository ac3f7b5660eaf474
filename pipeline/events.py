"""Same-event stories: the pure rule that puts different outlets' reports in one ``story_id``.

Syndicated copies (near-identical text) already share a ``cluster_id`` (pipeline.dedup).
This groups *different* texts about the same event: reports within a time window that
agree on where (focus countries), who and what (shared names) and say much the same
(content words of title and lead). Precision first: two different events must never share
a story, so a report joins an existing story only when every check passes and the score
clears a strict threshold; anything doubtful starts its own story (a recall loss, which a
reader sees as two rows, never a wrong merge).

No Elasticsearch here: the indexer (``pipeline.index.events``) finds the candidates and
this module decides, so the decision is testable on hand-written pairs and can be run
offline over any list of articles (``tests/eval/eval_events.py``). docs/events.md has the
method and its figures.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=48)  # reports further apart are different events
THRESHOLD = 0.7  # shipped; its precision and recall on a public set: docs/events.md
LEAD_CHARS = 600  # what of the body counts when there is no summary

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
# Function words and news boilerplate that say nothing about which event it is.
_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my no nor not now of off on once only
    or other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours new says said
    say update updated live breaking news report reports video photos watch exclusive
    today yesterday tomorrow week year years day days monday tuesday wednesday thursday
    friday saturday sunday first last one two three may might must us per via amid""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Report:
    """What the rule reads of one story (built from an Article or an Elasticsearch _source)."""

    id: str
    story_id: str | None  # the story it is in already (a candidate), None for a new one
    cluster_id: str | None
    when: datetime | None
    countries: frozenset[str]  # focus countries (or any country when it has no focus)
    terms: frozenset[str]  # stemmed content words of title + lead
    title_terms: frozenset[str]
    names: frozenset[str]  # capitalised names not at a sentence start, and places

    @property
    def story(self) -> str:
        return self.story_id or self.id


def report(doc: Mapping[str, Any], story_id: str | None = None) -> Report:
    """A Report from an article's fields (``Article.model_dump()`` or an ES ``_source``)."""
    title = doc.get("title") or ""
    lead = doc.get("summary") or (doc.get("body") or "")[:LEAD_CHARS]
    when = doc.get("published_at") or doc.get("fetched_at") or doc.get("processed_at")
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    countries = doc.get("focus_countries") or doc.get("countries") or []
    places = {
        _stem(p if isinstance(p, str) else p.get("name", "")) for p in doc.get("places") or []
    }
    title_terms = frozenset(_terms(title))
    return Report(
        id=str(doc.get("id", "")),
        story_id=story_id if story_id is not None else doc.get("story_id"),
        cluster_id=doc.get("cluster_id"),
        when=when,
        countries=frozenset(countries),
        terms=title_terms | frozenset(_terms(lead)),
        title_terms=title_terms,
        names=frozenset(_names(title) | _names(lead) | (places - {""})),
    )


def score(a: Report, b: Report, window: timedelta = WINDOW) -> float:
    """How surely ``a`` and ``b`` report the same event, 0..1; 0 when a hard check fails.

    Hard checks: both dated and at most ``window`` apart; focus countries not disjoint;
    at least one shared name (a person, organisation or place). Then the mean of the
    content words' cosine (title words count twice) and the shared-name overlap.
    """
    if a.cluster_id and a.cluster_id == b.cluster_id:
        return 1.0  # syndicated copies of one text
    if a.when is None or b.when is None or abs(a.when - b.when) > window:
        return 0.0
    if a.countries and b.countries and not (a.countries & b.countries):
        return 0.0
    shared_names = a.names & b.names
    if not shared_names:
        return 0.0
    text = _cosine(a, b)
    names = len(shared_names) / min(len(a.names), len(b.names))
    return 0.5 * text + 0.5 * names


def assign(
    new: Sequence[Report],
    candidates: Mapping[str, Iterable[Report]] | None = None,
    threshold: float = THRESHOLD,
    window: timedelta = WINDOW,
) -> dict[str, str]:
    """The ``story_id`` of each new report, in order.

    Each new report is compared with its candidates (already indexed stories, found by the
    caller) and with the new reports before it in the batch, grouped by story. It joins the
    story whose members in view score at least ``threshold`` on average (average link: one
    close member cannot chain two events) and each pass the hard checks (none days apart or
    about another country); else it starts its own story (its id).
    """
    candidates = candidates or {}
    out: dict[str, str] = {}
    seen: list[Report] = []
    for r in new:
        pool = [c for c in candidates.get(r.id, ()) if c.id != r.id]
        pool += [_with_story(s, out[s.id]) for s in seen]
        stories: dict[str, list[float]] = defaultdict(list)
        for c in pool:
            stories[c.story].append(score(r, c, window))
        story, best = r.id, threshold
        for key, values in stories.items():
            mean = sum(values) / len(values)  # average link: no chaining through one member
            if mean >= best and min(values) > 0:  # every member passes the hard checks
                story, best = key, mean
        out[r.id] = story
        seen.append(r)
    return out


def _with_story(r: Report, story: str) -> Report:
    return Report(r.id, story, r.cluster_id, r.when, r.countries, r.terms, r.title_terms, r.names)


def _cosine(a: Report, b: Report) -> float:
    def weight(r: Report, t: str) -> float:
        return 2.0 if t in r.title_terms else 1.0

    dot = sum(weight(a, t) * weight(b, t) for t in a.terms & b.terms)
    na = math.sqrt(sum(weight(a, t) ** 2 for t in a.terms))
    nb = math.sqrt(sum(weight(b, t) ** 2 for t in b.terms))
    return dot / (na * nb) if na and nb else 0.0


def _stem(word: str) -> str:
    """Lower case, no possessive, first 6 letters: crude, language-neutral, enough to
    make 'Icahn's'/'Icahn' and 'nominees'/'nominee' meet."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    return w.strip("'-")[:6]


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _STOP}


def _names(text: str) -> set[str]:
    """Capitalised words that are not a sentence's first word nor function words.

    In a headline written in title case every word is capitalised, so there all content
    words count: the score then leans on the text similarity and the shared-name check
    becomes a shared-content-word check.
    """
    out: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group()
        before = text[: match.start()].rstrip()
        start = not before or before[-1] in '.!?:;"“”'
        if word[0].isupper() and not start and word.lower() not in _STOP and len(word) > 1:
            out.add(_stem(word))
    return out

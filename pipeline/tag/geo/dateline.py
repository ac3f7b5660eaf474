"""The place of a wire dateline ("KABUL, Dec 5 (Reuters) -", "TEHRAN —", "كابول (رويترز) -").

The cleanup cuts the dateline from the lede (``pipeline.clean.dateline_of`` keeps its text); here
its place name is looked up as a whole name in the gazetteer, the way a reader takes it: a capital
or a big city over a namesake, never a weak small town on its own. The reading counts as focus
evidence (``resolve.DATELINE_WEIGHT``).
"""

from __future__ import annotations

import re

from pipeline.tag.geo.gazetteer import Entry, Gazetteer, Kind
from pipeline.tag.geo.resolve import Reading, _prior
from pipeline.tag.geo.text import clean_text, tokenize

_PLACE_END = re.compile(r"\s*(?:[,(（:]|\s[-–—]|[-–—]\s|\d)")
_KINDS = (Kind.CAPITAL, Kind.CITY, Kind.COUNTRY, Kind.SUBDIVISION)


def dateline_place(text: str) -> str:
    """The place words of a dateline: what comes before the date, agency or dash."""
    head = _PLACE_END.split(text.strip(), maxsplit=1)[0]
    return head.strip(" -–—:")


def read_dateline(gaz: Gazetteer, text: str | None) -> Reading | None:
    """The place a dateline names, as a reading of the story, or None when it names none."""
    if not text:
        return None
    place = dateline_place(clean_text(text))
    tokens = tokenize(place)
    keys = tuple(tokens.keys)
    if not keys or len(keys) > 4:
        return None
    candidates: list[Entry] = []
    for alias in gaz.aliases(keys):
        candidates.extend(gaz.entries[e] for e in alias.entries)
    if len(keys) == 1 and not candidates:
        candidates = [gaz.entries[e] for a in gaz.index.get(keys[0], ()) for e in a.entries]
    places = [e for e in candidates if e.kind in _KINDS and e.country]
    strong = [e for e in places if not e.weak or e.kind is Kind.CAPITAL]
    if not strong:
        return None
    best = max(strong, key=lambda e: (e.kind in (Kind.CAPITAL, Kind.CITY), _prior(e)))
    return Reading(best, 0, -1, text=" ".join(tokens.words), dateline=True)

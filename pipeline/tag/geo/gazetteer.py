"""The gazetteer's model: every name we match, reduced to token keys, and what it refers to.

The index maps a name's first token key (or its first two) to the names that start with them,
which makes matching a story one dictionary look-up per word. ``build.py`` fills it from the
sources; ``build.get_gazetteer()`` loads it (``store.py`` keeps the built one in a cache
file) on first use and keeps it for the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.tag.geo.text import (
    is_arabic_script,
    is_cyrillic,
    is_russian_adjective,
    key,
    russian_forms,
    words,
)

STRONG_CITY_POPULATION = 100_000
"""Below this a city counts only beside other evidence of its country: small towns share names
with words, people and towns elsewhere far more often than they make news on their own."""
WELL_KNOWN_POPULATION = 1_000_000
"""From this size a city that is also an English word ("Berlin" is a carriage) still counts."""
ALTERNATE_NAME_POPULATION = 100_000
"""geonames' alternate names in Arabic script and Cyrillic are loaded for cities of this size."""
# geonames' Latin-script alternates (exonyms in dozens of languages: "Orano" for Oran) are not
# loaded: they collide with company and person names in English news. The exonyms English news
# uses ("Kiev", "Bombay") are in data/regions/cities.tsv.


class Kind(StrEnum):
    COUNTRY = "country"
    DEMONYM = "demonym"
    METONYM = "metonym"  # a seat of government standing for the country: "the Kremlin"
    CAPITAL = "capital"
    ORG = "org"
    SUBDIVISION = "subdivision"
    CITY = "city"
    REGION = "region"
    NONE = "none"  # a name that contains a place but is not one: "Bank of America"


@dataclass(frozen=True, slots=True)
class Entry:
    """What a name can refer to. ``code`` is ISO 3166-1, ISO 3166-2, geonames:<id> or an M49
    region name; ``weak`` entries count only beside other evidence of their country."""

    kind: Kind
    code: str
    country: str | None
    name: str
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    weak: bool = False
    language_name: bool = False


ANY, INITIAL, CAPS = 0, 1, 2
"""Case a story's token must have: any (no case in the script), capital initial, all capitals."""


@dataclass(slots=True)
class Alias:
    keys: tuple[str, ...]
    case: tuple[int, ...]
    entries: list[int]


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """A name with several readings (context.yaml): the cues that vote for each one."""

    default: str
    person: bool
    cues: dict[str, frozenset[str]]  # reading -> cue keys ("amman", "king abdullah")


def cue_key(text: str) -> str:
    return " ".join(key(w) for w in words(text))


@dataclass(slots=True)
class Gazetteer:
    entries: list[Entry] = field(default_factory=list)
    index: dict[str, list[Alias]] = field(default_factory=dict)
    """First key -> one-word names; (first, second) key -> longer names, longest first."""
    index2: dict[tuple[str, str], list[Alias]] = field(default_factory=dict)
    ru_lemmas: dict[str, str] = field(default_factory=dict)
    ambiguities: dict[tuple[str, ...], Ambiguity] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)
    country_regions: dict[str, str] = field(default_factory=dict)
    region_parents: dict[str, str] = field(default_factory=dict)
    neighbours: dict[str, frozenset[str]] = field(default_factory=dict)
    given_names: frozenset[str] = frozenset()
    surnames: frozenset[str] = frozenset()
    honorifics: frozenset[str] = frozenset()
    role_nouns: frozenset[str] = frozenset()
    not_surnames: frozenset[str] = frozenset()
    given_name_endings: tuple[str, ...] = ()
    surname_endings: tuple[str, ...] = ()
    place_given_names: frozenset[str] = frozenset()
    speech_verbs: frozenset[str] = frozenset()
    dateline_cities: dict[str, list[int]] = field(default_factory=dict)
    """Dateline place key ("kabul", "new york") -> entry ids of capitals, cities, countries."""
    language_before: frozenset[str] = frozenset()
    language_after: frozenset[str] = frozenset()
    subdivision_before: frozenset[str] = frozenset()
    subdivision_after: frozenset[str] = frozenset()
    venue_words: frozenset[str] = frozenset()
    name_firsts: frozenset[str] = frozenset()
    """First keys of all names: a word with another key starts none (one set test per word)."""
    lowercase_firsts: frozenset[str] = frozenset()
    """First keys of the names that may start with a lowercase word (Arabic script, "al-"): a
    lowercase word with any other key cannot start a name, so matching skips it at once."""
    lowercase_names: frozenset[tuple[str, ...]] = frozenset()
    """Country names that match written all in lowercase ("moving to japan", "russia & ukraine"):
    social posts write them so, and none is also a word or a person's name."""
    lowercase_country_firsts: frozenset[str] = frozenset()
    """``lowercase_firsts`` and the first keys of ``lowercase_names``."""
    _seen: dict[tuple[tuple[str, ...], tuple[int, ...]], Alias] = field(default_factory=dict)
    _keys_of: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = field(default_factory=dict)
    _cases: dict[tuple[int, ...], tuple[int, ...]] = field(default_factory=dict)

    def add_entry(self, entry: Entry) -> int:
        self.entries.append(entry)
        return len(self.entries) - 1

    def alias_keys(self, name: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Token keys and case rules of a name; Russian words are registered with their cases."""
        cached = self._keys_of.get(name)
        if cached is not None:
            return cached
        ws = words(name)
        keys: list[str] = []
        case: list[int] = []
        declined_noun = False
        for i, w in enumerate(ws):
            k = key(w)
            if is_cyrillic(w) and not declined_noun:
                adjective = is_russian_adjective(w) and (i < len(ws) - 1 or len(ws) == 1)
                for form in russian_forms(w, adjective):
                    self.ru_lemmas.setdefault(form, k)
                declined_noun = not adjective
            keys.append(k)
            letters = w.replace(".", "")
            if is_arabic_script(w) or not w[0].isupper():
                case.append(ANY)
            elif len(letters) > 1 and letters.isupper() and len(letters) <= 5:
                case.append(CAPS)
            else:
                case.append(INITIAL)
        result = (tuple(keys), tuple(case))
        self._keys_of[name] = result
        return result

    def add_name(self, name: str, entry_id: int) -> tuple[str, ...]:
        keys, case = self.alias_keys(name)
        if not keys:
            return keys
        alias = self._seen.get((keys, case))
        if alias is None:
            case = self._cases.setdefault(case, case)  # a few dozen distinct rules: share them
            alias = Alias(keys, case, [])
            self._seen[(keys, case)] = alias
            if len(keys) == 1:
                self.index.setdefault(keys[0], []).append(alias)
            else:
                self.index2.setdefault((keys[0], keys[1]), []).append(alias)
        if entry_id not in alias.entries:
            alias.entries.append(entry_id)
        return keys

    def aliases(self, keys: tuple[str, ...]) -> list[Alias]:
        """Names stored under exactly these keys (any case rule)."""
        if len(keys) == 1:
            return list(self.index.get(keys[0], ()))
        return [a for a in self.index2.get((keys[0], keys[1]), ()) if a.keys == keys]

    def finish(self) -> None:
        for aliases in self.index2.values():
            aliases.sort(key=lambda a: len(a.keys), reverse=True)
        self.name_firsts = frozenset(self.index).union(first for first, _ in self.index2)
        self.lowercase_firsts = frozenset(
            alias.keys[0]
            for aliases in (*self.index.values(), *self.index2.values())
            for alias in aliases
            if alias.case[0] == ANY
        )
        self._seen.clear()
        self._cases.clear()
        self._keys_of.clear()

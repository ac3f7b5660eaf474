"""Region tagger: the public API, the seed story, outputs (subdivisions, world regions, places).

Example sentences are written for these tests; the seed story is read from ../shared and never
copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.tag.geo.build import get_gazetteer
from pipeline.tag.regions import RegionTags, tag_regions
from wire.models import Place

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SEED_TITLE = "Afghanistan seeks Iran's reassurance after skipping Tehran regional meeting"


def test_api_shape() -> None:
    tags = tag_regions("Floods hit Kenya", "Heavy rain flooded Nairobi on Monday.", "en")
    assert isinstance(tags, RegionTags)
    assert tags.focus_countries == ["KE"]
    assert tags.countries == ["KE"]
    assert all(isinstance(p, Place) for p in tags.places)
    nairobi = next(p for p in tags.places if p.name == "Nairobi")
    assert nairobi.country == "KE"
    assert nairobi.location is not None and set(nairobi.location) == {"lat", "lon"}
    assert abs(nairobi.location["lat"] - (-1.28)) < 0.1


def test_empty_inputs() -> None:
    assert tag_regions(None, "") == RegionTags()
    assert tag_regions("", "Nothing here names a place.") == RegionTags()


def test_gazetteer_is_built_once() -> None:
    assert get_gazetteer() is get_gazetteer()


def test_seed_article() -> None:
    seed = SHARED / "samples" / "seed-article.txt"
    if not seed.is_file():
        pytest.skip(f"{seed} is absent: the seed story lives in the shared folder")
    tags = tag_regions(SEED_TITLE, seed.read_text(encoding="utf-8"), "en")
    assert sorted(tags.focus_countries[:2]) == ["AF", "IR"]
    assert tags.focus_countries == tags.countries[: len(tags.focus_countries)]
    assert {"PK", "CN", "RU", "IN"} <= set(tags.countries)
    assert "AF-BDS" in tags.subdivisions
    assert {"Southern Asia", "Central Asia"} <= set(tags.world_regions)
    kabul = next(p for p in tags.places if p.name == "Kabul")
    assert kabul.country == "AF" and kabul.count >= 5 and kabul.location is not None


def test_title_and_lead_outweigh_the_rest() -> None:
    body = (
        "Peru's congress voted to remove the president on Thursday.\n\n"
        "Lawmakers cited a bribery case. Neighbouring Chile and Bolivia said they were watching."
    )
    tags = tag_regions("Peru's congress ousts president", body)
    assert tags.focus_countries == ["PE"]
    assert tags.countries[0] == "PE" and {"CL", "BO"} <= set(tags.countries)


def test_two_countries_in_focus() -> None:
    tags = tag_regions(
        "India and Pakistan agree to reopen border trade",
        "India and Pakistan agreed on Monday to reopen trade at the Wagah crossing, "
        "officials in New Delhi and Islamabad said.",
    )
    assert sorted(tags.focus_countries) == ["IN", "PK"]


def test_subdivisions_and_city_or_province() -> None:
    tags = tag_regions(None, "Attacks rose in Balochistan and Khyber Pakhtunkhwa, Pakistan said.")
    assert set(tags.subdivisions) == {"PK-BA", "PK-KP"}
    city = tag_regions(None, "Talks were held in Kabul on Sunday.")
    assert city.subdivisions == [] and any(p.name == "Kabul" for p in city.places)
    province = tag_regions(None, "Fighting was reported in Kabul province on Sunday.")
    assert province.subdivisions == ["AF-KAB"]


def test_world_regions_from_countries_and_names() -> None:
    kenya = tag_regions(None, "Kenya's president visited Mombasa.")
    assert kenya.world_regions == ["Eastern Africa", "Sub-Saharan Africa"]
    named = tag_regions(None, "Oil prices rose on fears of a wider war in the Middle East.")
    assert named.countries == [] and named.world_regions == ["Western Asia"]
    central = tag_regions(None, "Central Asian states met to discuss water.")
    assert central.world_regions == ["Central Asia"]


def test_places_count_every_name_of_a_country() -> None:
    tags = tag_regions(
        None, "Iran said Iranian diplomats would meet. Tehran denied it; Iran agreed."
    )
    iran = next(p for p in tags.places if p.code == "IR")
    tehran = next(p for p in tags.places if p.name == "Tehran")
    assert iran.count == 3 and iran.location is None
    assert tehran.count == 1 and tehran.code is not None and tehran.code.startswith("geonames:")


def test_metonyms_and_organisations() -> None:
    assert tag_regions(None, "The Kremlin rejected the offer.").countries == ["RU"]
    assert tag_regions(None, "Downing Street declined to comment.").countries == ["GB"]
    assert tag_regions(None, "The Taliban closed girls' schools.").countries == ["AF"]
    assert tag_regions(None, "The TTP claimed the attack.").countries == ["PK"]
    assert tag_regions(None, "ISKP claimed the bombing.").countries == ["AF"]
    assert tag_regions(None, "Hezbollah fired rockets.").countries == ["LB"]
    assert tag_regions(None, "The Houthis attacked a ship.").countries == ["YE"]


def test_alternative_and_historical_names() -> None:
    assert tag_regions(None, "Trade between Burma and Ceylon grew.").countries == ["MM", "LK"]
    assert tag_regions(None, "He flew from Bombay to Peking.").countries == ["IN", "CN"]
    assert tag_regions(None, "The U.S. and the UK signed the deal.").countries == ["US", "GB"]


def test_a_long_story_is_tagged_whole() -> None:
    """A 1,000-word story (the speed of which bench/bench_chain.py measures: tagging's own
    CPU per article) is tagged from all of it: every country it keeps naming, its
    subdivision, and the headline's country first among the focus."""
    sentence = (
        "Officials in Kabul said talks with Pakistan and Iran would resume next week, "
        "while the Taliban denied reports of fighting in Badakhshan near the border. "
    )
    tags = tag_regions("Afghanistan talks", sentence * 40)  # about 1,000 words
    assert tags.countries == ["AF", "PK", "IR"]
    assert tags.focus_countries[0] == "AF"
    assert tags.subdivisions == ["AF-BDS"]

"""Region precision (issue 17, item 2): person names, demonyms, the dateline, evidence per tag."""

from __future__ import annotations

import pytest

from pipeline.clean import clean_paragraphs, dateline_of
from pipeline.tag.geo.dateline import dateline_place
from pipeline.tag.regions import tag_regions


@pytest.mark.parametrize(
    "body",
    [
        "Opener Hazratullah Safi hit 80 off 50 balls. Safi was named player of the match.",
        "Mohammad Nabi Safi and the captain shared a stand of 90.",
        "Mayor Safi opened the new stadium on Friday.",
        "The spinner took three wickets, said Safi, who also scored 40.",
        "Safi said the team was ready for the final.",
    ],
)
def test_a_surname_is_not_a_town(body: str) -> None:
    assert "MA" not in tag_regions("Cricket", body).countries


@pytest.mark.parametrize(
    ("body", "absent"),
    [
        ("Michael Jordan watched the game. Jordan smiled.", "JO"),
        ("Paris Hilton launched a new perfume on Tuesday.", "FR"),
        ("Georgia May Jagger and Chad Johnson attended the party.", "GE"),
        ("The ads were first spotted by consultant Matt Navarra on Monday.", "ES"),
    ],
)
def test_given_names_and_surnames_are_people(body: str, absent: str) -> None:
    assert absent not in tag_regions(None, body).countries


@pytest.mark.parametrize(
    ("title", "body", "country"),
    [
        ("Talks", "Jordan's King Abdullah met officials in Amman.", "JO"),
        ("Vote", "The Georgia legislature passed the bill in Atlanta.", "US"),
        ("Floods", "Flooding hit the port city of Safi in Morocco on Monday.", "MA"),
        ("Floods", "Hazratullah Safi was born in Safi, Morocco.", "MA"),
        ("Money", "A grading company in Florida told Fox the note was rare.", "US"),
    ],
)
def test_real_places_stay(title: str, body: str, country: str) -> None:
    assert country in tag_regions(title, body).countries


def test_demonyms_count_below_names() -> None:
    tags = tag_regions(None, "Afghan refugees crossed into Iran as Iranian officials watched.")
    assert tags.countries[:2] == ["IR", "AF"]
    kinds = {(e.code, e.kind) for e in tags.evidence}
    assert {("AF", "demonym"), ("IR", "name"), ("IR", "demonym")} <= kinds


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("KABUL, Dec 5 (Reuters) -", "KABUL"),
        ("TEHRAN —", "TEHRAN"),
        ("NEW YORK (AP) —", "NEW YORK"),
        ("كابول (رويترز) -", "كابول"),
    ],
)
def test_dateline_place_words(text: str, place: str) -> None:
    assert dateline_place(text) == place


def test_the_cleanup_keeps_the_dateline_it_cuts() -> None:
    cleaned = clean_paragraphs(["KABUL, Dec 5 (Reuters) - Officials met on Friday to talk."])
    assert cleaned.paragraphs == ["Officials met on Friday to talk."]
    assert dateline_of(cleaned.dropped) == "KABUL, Dec 5 (Reuters) -"


def test_dateline_is_focus_evidence() -> None:
    body = "Officials from several countries met to discuss trade and water."
    assert tag_regions("Talks resume", body).focus_countries == []
    tags = tag_regions("Talks resume", body, dateline="KABUL, Dec 5 (Reuters) -")
    assert tags.focus_countries == ["AF"]
    assert tags.dateline is not None and tags.dateline.country == "AF"
    assert tags.dateline.name == "Kabul"
    assert tags.evidence[0].kind == "dateline" and tags.evidence[0].text == "KABUL"


def test_a_dateline_that_names_no_place_adds_nothing() -> None:
    tags = tag_regions("Talks", "Iran and Iraq met.", dateline="BREAKING —")
    assert tags.dateline is None
    assert set(tags.countries) == {"IR", "IQ"}


def test_evidence_follows_the_tags_with_counts() -> None:
    body = (
        "Iran said on Monday that Iranian forces were on alert. Iran's foreign minister spoke "
        "in Tehran. Pakistan was also named. Flooding hit Badakhshan province in Afghanistan."
    )
    tags = tag_regions("Iran on alert", body)
    codes = [e.code for e in tags.evidence]
    assert codes[0] == tags.countries[0] == "IR"
    iran = {(e.kind, e.text): e.count for e in tags.evidence if e.code == "IR"}
    assert iran[("name", "Iran")] == 3  # title, body and the possessive
    assert ("capital", "Tehran") in iran
    assert any(e.code == "AF-BDS" and e.kind == "subdivision" for e in tags.evidence)
    assert set(codes) <= set(tags.countries) | set(tags.subdivisions)


@pytest.mark.parametrize(
    ("body", "absent", "present"),
    [
        ("Leaders discussed the Paris climate accord in Brussels.", "FR", "BE"),
        ("Bosnia's politicians challenge the Dayton Peace Accords.", "US", "BA"),
        ("Kyiv still relies on the Minsk agreements, Ukraine said.", "BY", "UA"),
        ("Envoys of the Vilnius Group met in Riga.", "LT", "LV"),
    ],
)
def test_a_town_naming_an_agreement_is_not_the_place(body: str, absent: str, present: str) -> None:
    countries = tag_regions(None, body).countries
    assert absent not in countries and present in countries


def test_a_country_naming_an_agreement_stays() -> None:
    assert "IR" in tag_regions(None, "The Iran nuclear agreement was signed in Vienna.").countries


def test_a_title_before_a_first_name_makes_a_person() -> None:
    # Japan is in the story, so the town of Obama, Japan would count beside it
    body = "Japan joined the project. U.S. President Barack Obama announced a mission to Mars."
    assert "Obama" not in {p.name for p in tag_regions(None, body).places}


@pytest.mark.parametrize(
    "body",
    [
        "Того же Уоррена теперь никто не читает.",  # Togo
        "Самое страшное, когда у города нет лица.",  # Samoa
        "Думаю, у каждого художника он есть.",  # Dumai, Indonesia
        "Тема пакта основная в программе.",  # Tema, Ghana
        "Он выступал в программе Константина Малофеева.",  # Constantine, Algeria
    ],
)
def test_russian_words_that_spell_places_are_weak(body: str) -> None:
    assert tag_regions(None, body).countries == []


def test_a_russian_word_like_name_mid_sentence_is_the_place() -> None:
    assert tag_regions(None, "Президент Того встретился с лидерами.").countries == ["TG"]

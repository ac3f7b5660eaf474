"""The same-event rule (pipeline.events) on hand-written article pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.events import assign, report, score

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)

QUAKE_A = {
    "id": "a", "title": "Earthquake of magnitude 6.1 strikes Herat province, dozens killed",
    "summary": "A strong earthquake struck western Afghanistan near Herat on Monday, killing "
    "at least 40 people, the Taliban government's disaster ministry said.",
    "focus_countries": ["AF"], "places": [{"name": "Herat"}], "published_at": T0,
}  # fmt: skip
QUAKE_B = {
    "id": "b", "title": "Dozens dead as strong earthquake hits Afghanistan's Herat",
    "summary": "At least 40 people were killed when an earthquake of magnitude 6.1 hit Herat "
    "province in western Afghanistan, officials from the disaster ministry said.",
    "focus_countries": ["AF"], "places": [{"name": "Herat"}],
    "published_at": T0 + timedelta(hours=3),
}  # fmt: skip
FLOOD_HERAT = {
    "id": "c", "title": "Flash floods cut roads to Herat villages after heavy rain",
    "summary": "Heavy rain in western Afghanistan sent flash floods through villages near "
    "Herat, washing away roads and bridges, provincial officials said.",
    "focus_countries": ["AF"], "places": [{"name": "Herat"}],
    "published_at": T0 + timedelta(hours=5),
}  # fmt: skip


def test_same_event_two_outlets_one_story() -> None:
    a, b = report(QUAKE_A), report(QUAKE_B)
    assert score(a, b) >= 0.7
    assert assign([a, b]) == {"a": "a", "b": "a"}


def test_same_place_different_event_two_stories() -> None:
    a, c = report(QUAKE_A), report(FLOOD_HERAT)
    assert score(a, c) < 0.7
    assert assign([a, c]) == {"a": "a", "c": "c"}


def test_same_event_five_days_apart_two_stories() -> None:
    late = report({**QUAKE_B, "published_at": T0 + timedelta(days=5)})
    assert score(report(QUAKE_A), late) == 0.0
    assert assign([report(QUAKE_A), late]) == {"a": "a", "b": "b"}


def test_other_country_never_joins() -> None:
    iran = report({**QUAKE_B, "focus_countries": ["IR"]})
    assert score(report(QUAKE_A), iran) == 0.0


def test_joins_an_indexed_candidates_story() -> None:
    indexed = report({**QUAKE_A, "story_id": "s1"})
    assert assign([report(QUAKE_B)], {"b": [indexed]}) == {"b": "s1"}


def test_syndicated_copy_joins_its_cluster() -> None:
    a = report({**QUAKE_A, "cluster_id": "k"})
    copy = report({**FLOOD_HERAT, "cluster_id": "k"})
    assert assign([a, copy]) == {"a": "a", "c": "a"}


def test_no_chaining_into_a_story_with_a_member_days_away() -> None:
    old = report({**QUAKE_A, "id": "old", "story_id": "s", "published_at": T0 - timedelta(days=3)})
    recent = report({**QUAKE_A, "story_id": "s"})
    assert assign([report(QUAKE_B)], {"b": [recent, old]}) == {"b": "b"}

"""What a dead-letter replay picks, decided without Kafka (newswire.dlq_plan)."""

from __future__ import annotations

import pytest

from newswire.dlq_plan import (
    STAGES,
    Seen,
    UnknownFilter,
    check_error,
    check_stage,
    plan,
    stage_of,
    target_of,
    why_not,
)
from wire.models import DeadLetter, RawItem, SourceRef
from wire.settings import Settings

SETTINGS = Settings(topic_raw="raw", topic_articles="articles", processor_group="grp")


def _seen(id_: str, stage: str, offset: int, error: str = "E", partition: int = 0) -> Seen:
    return Seen(id_, stage, error, f"key-{id_}", partition, offset)


def test_a_mistyped_stage_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(UnknownFilter, match=r"procesor.*connector, processor, dedup, indexer"):
        check_stage("procesor")
    for stage in (None, *STAGES):
        check_stage(stage)


def test_each_stage_goes_back_to_the_topic_it_read() -> None:
    raw = DeadLetter(stage="processor", error_class="E", message="m", payload="{}", topic="raw")
    dedup = DeadLetter(
        stage="processor", error_class="E", message="m", payload="{}", topic="grp-dedup"
    )
    index = DeadLetter(stage="indexer", error_class="E", message="m", payload="{}")
    assert [stage_of(x, SETTINGS) for x in (raw, dedup, index)] == ["processor", "dedup", "indexer"]
    assert target_of("processor", SETTINGS) == "raw"
    assert target_of("dedup", SETTINGS) == "grp-dedup"  # never news.raw: it is an article
    assert target_of("indexer", SETTINGS) == "articles"


def test_connector_letters_replay_only_when_they_hold_a_raw_item() -> None:
    item = RawItem(key="k", url="https://a.example/", source=SourceRef(id="s", name="S",
                   connector="rss"), html="<p>x</p>")  # fmt: skip
    whole = DeadLetter(stage="connector", error_class="E", message="m",
                       payload=item.to_json_bytes().decode())  # fmt: skip
    refused = DeadLetter(stage="connector", error_class="BadPayload", message="m", payload="<h")
    assert why_not(whole, "connector", SETTINGS) is None
    assert why_not(refused, "connector", SETTINGS) is not None
    unreadable = DeadLetter(stage="connector", error_class="UnreadableDeadLetter", message="m",
                            payload=item.to_json_bytes().decode())  # fmt: skip
    assert why_not(unreadable, "connector", SETTINGS) is not None


def test_filtered_letters_are_not_consumed_and_stage_after_stage_replays_each_once() -> None:
    seen = [_seen("a", "processor", 0), _seen("b", "indexer", 1), _seen("c", "dedup", 2)]
    typo_free = plan(seen, {}, stage="indexer")
    assert list(typo_free.replay) == ["b"] and typo_free.filtered == 2
    marks: dict[str, dict[int, int]] = {}
    replayed: list[str] = []
    for stage in ("processor", "indexer", "dedup", "processor", None):
        p = plan(seen, marks, stage=stage)
        replayed += list(p.replay)
        for id_, covered in p.covers.items():  # what replay marks once Kafka acknowledged
            marks[id_] = covered
    assert sorted(replayed) == ["a", "b", "c"]


def test_one_failure_lettered_twice_is_replayed_once_with_its_latest_letter() -> None:
    seen = [_seen("a", "processor", 3), _seen("a", "processor", 9), _seen("b", "processor", 4)]
    p = plan(seen, {})
    assert p.duplicates == 1
    assert p.replay["a"].offset == 9
    assert p.covers["a"] == {0: 9}
    again = plan([*seen, _seen("a", "processor", 12)], {"a": {0: 9}, "b": {0: 4}})
    assert again.already == 3  # marked before
    assert list(again.replay) == ["a"] and again.replay["a"].offset == 12  # failed again later


def test_an_error_class_must_exist_among_the_stage_letters() -> None:
    seen = [_seen("a", "processor", 0, "NotAnArticle"), _seen("b", "indexer", 1, "Mapping")]
    p = plan(seen, {}, stage="processor", error_class="NotAnArticle")
    check_error(p, "processor", "NotAnArticle", "dlq")
    with pytest.raises(UnknownFilter, match=r"error classes on dlq: NotAnArticle$"):
        check_error(p, "processor", "NotAnArticel", "dlq")
    with pytest.raises(UnknownFilter, match="Mapping, NotAnArticle"):
        check_error(plan(seen, {}), None, "Nope", "dlq")

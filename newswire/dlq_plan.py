"""What a dead-letter replay re-drives, decided without Kafka (``newswire.dlq`` does
the reading and sending): the stage a letter came from and where it goes back, whether
it can go back at all, and which letters a run picks given the filters and the marks
of earlier runs (see ``newswire.dlq`` for the delivery this gives).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `newswire dlq --help` reads STAGE_HELP: no pydantic for that
    from wire.models import DeadLetter
    from wire.settings import Settings

STAGES = ("connector", "processor", "dedup", "indexer", "alerts")
STAGE_HELP = (
    "connector, processor (its extract stage), dedup (the processor's dedup stage), indexer"
    " or alerts (webhooks that kept failing; listed, not replayable)"
)
UNREADABLE = "UnreadableDeadLetter"


class UnknownFilter(ValueError):
    """A ``--stage`` or ``--error`` value no letter can have (a typo)."""


def check_stage(stage: str | None) -> None:
    """Refuse a stage that does not exist, before anything is read."""
    if stage is not None and stage not in STAGES:
        raise UnknownFilter(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")


def stage_of(letter: DeadLetter, settings: Settings) -> str:
    """The stage a letter came from: the processor's dedup stage writes ``processor``
    letters whose topic is its dedup topic (``<group>-dedup``)."""
    topic = letter.topic or ""
    dedup_topic = topic == settings.topic_dedup or topic.endswith("-dedup")
    if letter.stage == "processor" and topic != settings.topic_raw and dedup_topic:
        return "dedup"
    return letter.stage


def target_of(stage: str, settings: Settings) -> str:
    """The topic that stage reads: where its letters are re-driven."""
    return {
        "connector": settings.topic_raw,
        "processor": settings.topic_raw,
        "dedup": settings.topic_dedup,
        "indexer": settings.topic_articles,
    }[stage]


def why_not(letter: DeadLetter, stage: str, settings: Settings) -> str | None:
    """Why a letter cannot be re-driven, or None when it can."""
    if letter.error_class == UNREADABLE:
        return "the letter itself is unreadable"
    if stage == "alerts":  # the story is indexed; only its webhook POST failed
        return "an alert's webhook notification (try the webhook: newswire alerts test NAME)"
    if stage == "connector":
        if len(letter.payload.encode("utf-8", "replace")) > settings.max_raw_bytes:
            return "a connector's letter over max_raw_bytes"
        from wire.models import RawItem, read_record

        try:
            read_record(RawItem, letter.payload)
        except ValueError:  # ValidationError and schema errors included
            return "a connector's letter without a raw item (the source retries by itself)"
    return None


@dataclass(frozen=True)
class Seen:
    """One letter as the first pass saw it, without its payload."""

    id: str
    stage: str
    error_class: str
    key: str | None
    partition: int
    offset: int
    why_not: str | None = None


@dataclass
class Plan:
    replay: dict[str, Seen] = field(default_factory=dict)  # id → the letter to re-drive
    covers: dict[str, dict[int, int]] = field(default_factory=dict)  # id → offsets covered
    already: int = 0
    duplicates: int = 0
    not_replayable: int = 0
    filtered: int = 0
    errors: dict[str, set[str]] = field(default_factory=dict)  # stage → error classes


def plan(
    seen: Iterable[Seen],
    marks: dict[str, dict[int, int]],
    stage: str | None = None,
    error_class: str | None = None,
) -> Plan:
    """What a replay re-drives: per letter id not yet marked, its latest letter."""
    result = Plan()
    for s in seen:
        result.errors.setdefault(s.stage, set()).add(s.error_class)
        if (stage is not None and s.stage != stage) or (
            error_class is not None and s.error_class != error_class
        ):
            result.filtered += 1
        elif s.why_not is not None:
            result.not_replayable += 1
        elif marks.get(s.id, {}).get(s.partition, -1) >= s.offset:
            result.already += 1
        else:
            if s.id in result.replay:
                result.duplicates += 1
            last = result.replay.get(s.id)
            if last is None or (last.partition, last.offset) <= (s.partition, s.offset):
                result.replay[s.id] = s
            covered = result.covers.setdefault(s.id, {})
            covered[s.partition] = max(s.offset, covered.get(s.partition, -1))
    return result


def check_error(p: Plan, stage: str | None, error_class: str | None, topic: str) -> None:
    """Refuse an error class no letter of the stage has, listing those that exist."""
    if error_class is None:
        return
    known: set[str] = set()
    for of_stage, errors in p.errors.items():
        if stage is None or of_stage == stage:
            known |= errors
    if error_class not in known:
        of = f" of stage {stage}" if stage else ""
        listed = ", ".join(sorted(known)) or "none"
        raise UnknownFilter(
            f"no dead letter{of} has error {error_class!r}; error classes on {topic}: {listed}"
        )

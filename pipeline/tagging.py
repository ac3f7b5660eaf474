"""The tagging steps the processor runs after extraction (regions, topics)."""

from __future__ import annotations

from pipeline.chain import Tagger


def default_taggers() -> tuple[Tagger, ...]:
    return ()

"""Settings from a test's ``NEWSWIRE_*`` environment (the ``namespace`` fixture's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wire.settings import Settings


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """``{"NEWSWIRE_TOPIC_RAW": "t1.raw"}`` -> ``Settings(topic_raw="t1.raw")``.

    The values stay strings, as a role reads them from its environment, and pydantic
    converts them; the real environment still applies to every field not given.
    """
    fields: dict[str, Any] = {k.removeprefix("NEWSWIRE_").lower(): v for k, v in env.items()}
    return Settings(**fields)


def stream_namespace(ns: str, data_dir: str) -> dict[str, str]:
    """A test's own topics and consumer groups, private addresses allowed, dedup state in
    memory under ``data_dir``: the environment every pipeline test starts from (the index
    names are added where the cluster lets a test choose them)."""
    return {
        "NEWSWIRE_TOPIC_RAW": f"{ns}.raw",
        "NEWSWIRE_TOPIC_ARTICLES": f"{ns}.articles",
        "NEWSWIRE_TOPIC_DLQ": f"{ns}.dlq",
        "NEWSWIRE_TOPIC_STATE": f"{ns}.state",
        "NEWSWIRE_PROCESSOR_GROUP": f"{ns}-processor",
        "NEWSWIRE_INDEXER_GROUP": f"{ns}-indexer",
        "NEWSWIRE_HTTP_ALLOW_PRIVATE": "true",
        "NEWSWIRE_PROCESSOR_DATA_DIR": data_dir,
        "NEWSWIRE_PROCESSOR_STORE": "memory://",
    }

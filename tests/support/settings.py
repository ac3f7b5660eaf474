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

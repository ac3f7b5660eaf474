"""Connectors are found through the ``newswire.connectors`` entry-point group.

Built-in connectors register there too (see pyproject.toml), so a third-party package
adds a connector exactly the way newswire adds its own.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any

from connectors.sdk.base import Connector

GROUP = "newswire.connectors"


class UnknownConnector(LookupError):
    pass


@lru_cache(maxsize=1)
def available() -> dict[str, str]:
    """Connector name -> ``module:Class`` for every registered connector."""
    return {name: ep.value for name, ep in _entry_points().items()}


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, Any]:
    """The group's entry points, read once per process: ``entry_points()`` reads every
    installed distribution's metadata (about 30 ms here), and a sources file asks once
    per entry (a 20,000-entry file took minutes)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type[Connector[Any]]:
    if (ep := _entry_points().get(name)) is not None:
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise TypeError(f"entry point {name!r} ({ep.value}) is not a Connector subclass")
        return cls
    known = ", ".join(sorted(available())) or "none"
    raise UnknownConnector(f"no connector named {name!r} (registered: {known})")

"""The sources file (``sources.yaml``): which feeds to follow and how.

Each source has an id, a connector, the connector's config, a poll interval, tags and
the publisher's country. Errors name the file and line of the offending source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.sdk.base import ConnectorConfig
from connectors.sdk.registry import UnknownConnector, load
from wire.models import SourceRef


class Source(BaseModel):
    """A configured source (a feed, an archive, an account...)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    connector: str
    name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    interval: float = Field(default=900, ge=1, description="seconds between polls")
    tags: list[str] = Field(default_factory=list)
    country: str | None = Field(default=None, description="publisher's ISO 3166-1 alpha-2")
    enabled: bool = True
    line: int | None = Field(default=None, exclude=True)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) != 2 or not value.isalpha():
            raise ValueError("country must be an ISO 3166-1 alpha-2 code such as 'AF'")
        return value.upper()

    def ref(self, domain: str | None = None) -> SourceRef:
        return SourceRef(
            id=self.id,
            name=self.name or self.id,
            connector=self.connector,
            domain=domain,
            country=self.country,
        )

    def connector_config(self) -> ConnectorConfig:
        return load(self.connector).config_model.model_validate(self.config)


class SourcesError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _LineLoader(yaml.SafeLoader):
    """Remembers the line each mapping starts on, for line-precise errors."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _entry_lines(text: str) -> list[int]:
    """The line of each item of the top-level ``sources:`` list (for entries that are not
    mappings, which carry no ``__line__``); empty when the document has another shape."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "sources" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_sources(path: Path, *, check_connectors: bool = True) -> list[Source]:
    """Parse and validate a sources file; raise ``SourcesError`` listing every problem."""
    text = path.read_text()
    try:
        doc = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise SourcesError([f"{path}: not valid YAML: {exc}"]) from exc
    entries = doc.get("sources") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise SourcesError([f"{path}: expected a top-level 'sources:' list"])
    problems: list[str] = []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    item_lines = _entry_lines(text)
    for number, entry in enumerate(entries):
        line = entry.get("__line__") if isinstance(entry, dict) else None
        if not isinstance(entry, dict):  # a string or a list where a source belongs
            at = item_lines[number] if number < len(item_lines) else None
            where = f"{path}:{at}" if at else str(path)
            shown = repr(_strip_lines(entry))[:80]
            problems.append(
                f"{where}: a source must be a mapping (id, connector, config), not {shown}"
            )
            continue
        where = f"{path}:{line}" if line else str(path)
        try:
            source = Source.model_validate({**_strip_lines(entry), "line": line})
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(f"{where}: {loc}: {err['msg']}")
            continue
        if source.id in seen:
            problems.append(
                f"{where}: duplicate source id {source.id!r} (first at line {seen[source.id]})"
            )
        seen[source.id] = line or 0
        if check_connectors:
            try:
                source.connector_config()
            except UnknownConnector as exc:
                problems.append(f"{where}: connector: {exc}")
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(p) for p in err["loc"])
                    problems.append(f"{where}: config.{loc}: {err['msg']}")
        sources.append(source)
    if problems:
        raise SourcesError(problems)
    return sources

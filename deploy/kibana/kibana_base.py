"""What every Kibana saved object shares: ids, serialization, the envelope, the data view.

The other ``kibana_*`` modules build the objects of one kind each from these pieces;
``build.py`` puts them in order and writes the NDJSON. Kept apart so each builder stays
readable on its own and the common format (migration versions, sorted-key JSON, uuid5
ids) is defined once.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

CORE_MIGRATION_VERSION = "8.8.0"
# The attribute format each object is written in; see deploy/kibana/README.md.
TYPE_MIGRATION_VERSION = {
    "index-pattern": "8.0.0",
    "search": "8.0.0",
    "lens": "8.9.0",
    "map": "8.4.0",
    "dashboard": "8.9.0",
}

DATA_VIEW_ID = "newswire-news"
DATA_VIEW_PATTERN = "news*"
TIME_FIELD = "published_at"
_NS = uuid.UUID("5b0c7a52-3f6e-4c55-9a3c-6e6577737769")  # "newswire" namespace for uuid5

# Runtime field: seconds from fetch (connector) to index (indexer). Painless runs on a
# full Elasticsearch (docker compose); the minimal local node has no painless.
FRESHNESS_SCRIPT = (
    "if (doc['indexed_at'].size() > 0 && doc['fetched_at'].size() > 0) {"
    " emit((doc['indexed_at'].value.toInstant().toEpochMilli()"
    " - doc['fetched_at'].value.toInstant().toEpochMilli()) / 1000.0); }"
)
RUNTIME_FIELDS: dict[str, dict[str, Any]] = {
    "freshness_seconds": {"type": "double", "script": {"source": FRESHNESS_SCRIPT}},
}

EMPTY_QUERY = {"language": "kuery", "query": ""}


def uid(*parts: str) -> str:
    """A stable UUID for a lens layer or column, derived from readable names."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def dumps(value: Any) -> str:
    """Compact JSON with sorted keys: the one serialization used everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def saved_object(
    type_: str, id_: str, attributes: dict[str, Any], references: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "id": id_,
        "managed": False,
        "references": references,
        "type": type_,
        "typeMigrationVersion": TYPE_MIGRATION_VERSION[type_],
    }


def ref(name: str, type_: str, id_: str) -> dict[str, str]:
    return {"id": id_, "name": name, "type": type_}


# --------------------------------------------------------------------------- data view


def data_view() -> dict[str, Any]:
    field_formats = {
        "freshness_seconds": {
            "id": "duration",
            "params": {"inputFormat": "seconds", "outputFormat": "humanizePrecise"},
        }
    }
    return saved_object(
        "index-pattern",
        DATA_VIEW_ID,
        {
            "allowHidden": False,
            "fieldAttrs": "{}",
            "fieldFormatMap": dumps(field_formats),
            "fields": "[]",
            "name": "newswire stories",
            "runtimeFieldMap": dumps(RUNTIME_FIELDS),
            "sourceFilters": "[]",
            "timeFieldName": TIME_FIELD,
            "title": DATA_VIEW_PATTERN,
            "typeMeta": "{}",
        },
        [],
    )

"""Least-privilege Elasticsearch roles and API keys for newswire (docs/security.md).

The privileges are derived from what the code calls, nothing more:

* writers (``newswire run | setup | connectors | processor | indexer``): ``Writer.setup``
  probes the ``english`` analyzer and ILM, puts the lifecycle policy and the index
  template; the indexer bulk-indexes (``index`` with external versions, ``update`` for a
  duplicate's URLs) into ``<prefix>-*``, creating yearly indices that join the alias
  through the template, searches its own indices (same-event candidates, saved alerts
  and the stories they match) and refreshes them before matching alerts without the
  percolator.
* readers (``newswire api | search``, Kibana users): search and field capabilities on
  the alias and the indices behind it.

An API key created here carries its role descriptors, so it can never do more than
that even when the administrator who created it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wire.settings import Settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

WRITER_ROLE = "newswire_writer"
READER_ROLE = "newswire_reader"


def writer_role(settings: Settings) -> dict[str, Any]:
    return {
        "cluster": [
            "monitor",  # _analyze without an index (the english-analyzer probe)
            "manage_index_templates",  # PUT _index_template/<prefix>-articles
            "manage_ilm",  # GET _ilm/status, PUT _ilm/policy/<prefix>-retention
        ],
        "indices": [
            {
                "names": [f"{settings.index_prefix}-*", settings.index_alias],
                # create_index: a new yearly index; index: bulk index/update; read: the
                # same-event multi-search and alert matching (without it every story
                # stood alone and no alert fired); maintenance: the refresh before
                # matching alerts by search
                "privileges": ["create_index", "index", "read", "maintenance"],
            }
        ],
    }


def reader_role(settings: Settings) -> dict[str, Any]:
    return {
        "cluster": [],
        "indices": [
            {
                "names": [settings.index_alias, f"{settings.index_prefix}-*"],
                "privileges": ["read", "view_index_metadata"],
            }
        ],
    }


@dataclass(frozen=True)
class ApiKey:
    name: str
    id: str
    encoded: str  # what NEWSWIRE_ELASTICSEARCH_API_KEY takes


def put_roles(es: Elasticsearch, settings: Settings) -> None:
    """Create or update the two roles (for users and role mappings; idempotent)."""
    es.security.put_role(name=WRITER_ROLE, **writer_role(settings))
    es.security.put_role(name=READER_ROLE, **reader_role(settings))


def create_api_keys(es: Elasticsearch, settings: Settings, tag: str = "") -> list[ApiKey]:
    """A writer key and a reader key, each limited to its role's privileges."""
    keys = []
    for role, descriptor in (
        (WRITER_ROLE, writer_role(settings)),
        (READER_ROLE, reader_role(settings)),
    ):
        name = f"{role}{'-' + tag if tag else ''}"
        resp = es.security.create_api_key(
            name=name,
            role_descriptors={role: descriptor},
            metadata={"managed_by": "newswire", "index_prefix": settings.index_prefix},
        )
        keys.append(ApiKey(name=name, id=str(resp["id"]), encoded=str(resp["encoded"])))
    return keys


def put_user(es: Elasticsearch, username: str, password: str, role: str = WRITER_ROLE) -> None:
    es.security.put_user(username=username, password=password, roles=[role])

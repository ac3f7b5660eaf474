"""The connector contract: what a connector author writes, and what the runner promises.

Two tiers:

- ``Connector``: the minimal abstract base. The runner calls ``fetch(cursor)`` from a
  worker thread, at most once at a time per source, and gets back a ``Page``.
- ``PollingConnector``: the convenience most sources want. Write one method,
  ``poll(cursor) -> Page``; the runner decides when to call it again (``Page.more``
  asks for an immediate next call, e.g. to walk back through an archive).

What a connector must not do: produce to Kafka, save its own state, sleep, or open its
own HTTP sockets. The runner produces the page's items to ``news.raw`` and saves
``Page.cursor`` to ``news.connector-state`` only after Kafka acknowledged every item,
so a crash between the two re-delivers a page instead of losing one: cursors should
make re-polling cheap and items carry stable keys, so a repeat is harmless downstream.

A connector that fetches an article page per item (RSS, sitemaps) hands each item over
as soon as it is made (``hand_over``): the runner produces it at once instead of after
the poll's last page, so the first story of a long feed does not wait for the other
pages' downloads. The cursor is still saved only once the whole page is acknowledged.

Example::

    class EchoConfig(ConnectorConfig):
        url: str

    class EchoConnector(PollingConnector[EchoConfig]):
        name = "echo"
        config_model = EchoConfig

        def poll(self, cursor: Cursor) -> Page:
            body = self.http.get(self.config.url).text
            item = self.raw_item(url=self.config.url, key=self.config.url, content=body)
            return Page(items=[item], cursor=cursor)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, SecretBytes, SecretStr

from connectors.sdk.http import HttpClient
from wire.models import RawItem, SourceRef
from wire.urls import is_web_url


class ConnectorConfig(BaseModel):
    """Base of every connector's own config: validated before the connector starts.

    Secrets (tokens, passwords, API keys) are typed ``pydantic.SecretStr``: repr, logs,
    dumps and error messages then show ``**********``; the connector reads the value
    with ``.get_secret_value()`` only where it sends it. The conformance kit checks it.
    """

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def secret_fields(cls) -> list[str]:
        """Names of the fields typed ``SecretStr``/``SecretBytes`` (optional or not)."""
        return [name for name, f in cls.model_fields.items() if _is_secret(f.annotation)]


def _is_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_is_secret(arg) for arg in get_args(annotation))


Cursor = dict[str, Any]
"""A source's resume state: JSON-serialisable, opaque to the runner."""


@dataclass
class Page:
    items: list[RawItem] = field(default_factory=list)
    cursor: Cursor = field(default_factory=dict)
    more: bool = False
    """True asks the runner to call again at once (more pages are waiting)."""
    skipped: list[tuple[str, str | bytes | None]] = field(default_factory=list)
    """(reason, payload) of items that could not be made: they go to the dead-letter topic."""
    stats: dict[str, int] = field(default_factory=dict)
    """Counters for the source's health report, e.g. {"not_modified": 1}."""
    interval_hint: float | None = None
    """Seconds the source itself suggests between polls (RSS <ttl>, sy:updatePeriod)."""


@dataclass(frozen=True)
class Capabilities:
    """What a connector needs and cannot do: shown by ``newswire connectors list`` and
    the capability table in the docs, so users know before they configure a source."""

    needs_key: str = "no"
    """"no", "optional" (what a key adds is in ``notes``) or "yes"."""
    rate_limit: str = ""
    """The platform's documented limit and how the connector stays under it."""
    keyless_limits: str = ""
    """What the keyless path cannot do."""
    notes: str = ""


C = TypeVar("C", bound=ConnectorConfig)


class Connector(ABC, Generic[C]):
    name: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, source: SourceRef, config: C, http: HttpClient) -> None:
        self.source = source
        self.config = config
        self.http = http
        self.handoff: Callable[[RawItem], None] | None = None
        """Set by the runner for the length of one ``fetch``: takes an item early."""

    def hand_over(self, item: RawItem) -> bool:
        """Give ``item`` to the runner now, before the page is returned.

        True when the runner took it (it is produced at once and counted with the page;
        leave it out of ``Page.items``); False when nothing takes items early (``fetch``
        called directly, as tests do): then put it in the page as usual.
        """
        if self.handoff is None:
            return False
        self.handoff(item)
        return True

    @abstractmethod
    def fetch(self, cursor: Cursor) -> Page:
        """Return the next page after ``cursor``. Called from a worker thread."""

    def close(self) -> None:
        """Called once when the runner stops: end any long-lived connection (streams)."""

    def raw_item(self, **fields: Any) -> RawItem:
        """A raw item stamped with this connector's source.

        Raises ValueError for a URL that is not http(s) (``javascript:``, ``data:``,
        ``file:``, ``ftp:``: ``wire.urls.is_web_url``, issue 13, 8); connectors turn it
        into a skipped item, i.e. a dead letter with the reason."""
        if not is_web_url(fields.get("url")):
            raise ValueError(f"not an http(s) URL: {str(fields.get('url'))[:200]!r}")
        fields.setdefault("source", self.source)
        return RawItem(**fields)


class PollingConnector(Connector[C]):
    @abstractmethod
    def poll(self, cursor: Cursor) -> Page:
        """Fetch what is new since ``cursor``; return the items and the next cursor."""

    def fetch(self, cursor: Cursor) -> Page:
        return self.poll(cursor)

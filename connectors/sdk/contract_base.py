"""The scenes of the connector conformance kit: declarations, hooks and machinery.

``ContractBase`` holds what a ``ConnectorContract`` subclass declares (the connector, a
config, recorded answers per scene), the hooks it may override, and how a scene is
played against the recorded server; ``connectors.sdk.contract`` holds the checks.
Heavy modules (the SDK base, pydantic, httpx) load inside the methods: pytest imports
this module through the plugin in every run.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from connectors.sdk.recording import Recording, Reply, Server, serve

if TYPE_CHECKING:
    from connectors.sdk.base import Connector, ConnectorConfig, Cursor
    from connectors.sdk.http import HttpClient
    from wire.models import RawItem, SourceRef

SECRET_NAME = re.compile(
    r"(^|_)(token|secret|password|passwd|passphrase|api_?key|access_key|private_key|"
    r"credentials?|bearer)$",
    re.IGNORECASE,
)
ERROR_STATUSES = (429, 500, 502, 503, 401, 404)
SOME_BASE = "http://127.0.0.1:8"  # for checks that validate configs without serving
RETRY_AFTER = 120
GARBAGE = {
    "empty": Reply(200, b"", {"Content-Type": "text/plain"}),
    "binary": Reply(200, b"\x00\xff\xfe\x1f\x8b junk \xc3\x28", {"Content-Type": "text/html"}),
    "html-error-page": Reply(
        200, "<html><body><h1>Maintenance</h1>", {"Content-Type": "text/html; charset=utf-8"}
    ),
    "truncated-json": Reply(200, '{"items": [{"id": 1, "ur', {"Content-Type": "application/json"}),
    "truncated-xml": Reply(200, "<rss><channel><item><title>A", {"Content-Type": "text/xml"}),
}


@dataclass
class Run:
    """What one scene yielded: every page followed while ``more`` was set."""

    items: list[RawItem] = field(default_factory=list)
    skipped: list[tuple[str, str | bytes | None]] = field(default_factory=list)
    cursor: Cursor = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


class ContractBase:
    """What a contract declares and overrides, and how its scenes are played."""

    connector: ClassVar[type[Connector[Any]]]
    """The connector class under test."""
    name: ClassVar[str | None] = None
    """Its entry-point name; default ``connector.name``."""
    require_registration: ClassVar[bool] = True
    """False: an entry point not installed yet skips (saying what to add) instead of failing."""
    config: ClassVar[Mapping[str, Any]] = {}
    """A valid config (``{base}`` in strings becomes the recorded server's URL)."""
    invalid_configs: ClassVar[Sequence[Mapping[str, Any]]] = ()
    """Configs that must be refused (an unknown option is always tried too)."""
    secret_fields: ClassVar[Sequence[str]] = ()
    """Config fields holding secrets; fields typed ``SecretStr`` are found without it."""
    first_poll: ClassVar[Recording] = {}
    """The source's answers on a first poll (empty cursor): at least one item."""
    nothing_new: ClassVar[Recording | None] = None
    """The answers on the next poll when nothing changed; default: ``first_poll`` again."""
    something_new: ClassVar[Recording | None] = None
    """The answers once the source has something new (and still has the old items)."""
    uses_http: ClassVar[bool] = True
    """False for connectors that read local files: the HTTP checks are skipped."""
    max_pages: ClassVar[int] = 50
    """Pages followed while ``Page.more`` is set before the kit calls it an endless loop."""

    # -- hooks a subclass may override --------------------------------------------------

    def config_for(self, scene: str, base: str) -> dict[str, Any]:
        """The raw config for ``scene`` (first_poll, nothing_new, something_new, error,
        garbage, unreachable, secrets), with ``base`` the URL the scene is served at."""
        config: dict[str, Any] = with_base(dict(self.config), base)
        return config

    def make_http(self) -> HttpClient:
        """The HTTP client of the current check: one per test, shared by the connectors
        it makes, as the runner shares one between sources."""
        from connectors.sdk.http import HttpClient

        http: HttpClient | None = self.__dict__.get("_contract_http")
        if http is None:
            http = HttpClient(user_agent="newswire-contract/1.0", timeout=5, allow_private=True)
            self._contract_http = http
        return http

    def make_source(self) -> SourceRef:
        from wire.models import SourceRef

        return SourceRef(id="contract-test", name="Contract test", connector=self._name())

    def make_connector(self, config: ConnectorConfig) -> Connector[Any]:
        return self.connector(self.make_source(), config, self.make_http())

    @pytest.fixture(autouse=True)
    def _close_contract_http(self) -> Iterator[None]:
        yield
        http = self.__dict__.pop("_contract_http", None)
        if http is not None:
            http.close()

    # -- machinery ---------------------------------------------------------------------------

    def _name(self) -> str:
        return self.name or self.connector.name

    def _recording(self, scene: str) -> Recording | None:
        if scene == "nothing_new":
            return self.first_poll if self.nothing_new is None else self.nothing_new
        if scene == "something_new":
            return self.something_new
        return self.first_poll

    def _robots(self) -> Reply:
        route = self.first_poll.get("/robots.txt")
        return route if isinstance(route, Reply) else Reply(404, "")

    def _config(self, scene: str, base: str) -> ConnectorConfig:
        return self.connector.config_model.model_validate(self.config_for(scene, base))

    def _needs_http(self) -> None:
        if not self.uses_http:
            pytest.skip(f"{self.connector.__qualname__} reads no HTTP (uses_http = False)")

    def _drain(
        self,
        server: Server,
        scene: str,
        cursor: Cursor,
        overrides: Mapping[str, Any] = MappingProxyType({}),
    ) -> Run:
        """Play ``scene`` on ``server`` to a fresh connector from ``cursor``, following
        ``Page.more``. One server per check: keys often hold its URL."""
        from connectors.sdk.base import Page

        server.play(self._recording(scene) or {})
        raw = {**self.config_for(scene, server.base), **overrides}
        conn = self.make_connector(self.connector.config_model.model_validate(raw))
        run = Run(cursor=cursor)
        for _ in range(self.max_pages):
            page = conn.fetch(run.cursor)
            assert isinstance(page, Page), f"fetch returned {page!r}, not a Page"
            assert isinstance(page.cursor, dict), f"cursor {page.cursor!r} is no dict"
            try:
                json.dumps(page.cursor, allow_nan=False)
            except (TypeError, ValueError) as exc:
                pytest.fail(f"the cursor is not JSON ({exc}): {page.cursor!r}")
            run.items += page.items
            run.skipped += page.skipped
            run.cursor = page.cursor
            if not page.more:
                return run
        pytest.fail(f"{scene}: Page.more still set after {self.max_pages} pages")

    def _error(
        self, scene: str, status: int, overrides: Mapping[str, Any] = MappingProxyType({})
    ) -> BaseException:
        """What fetching raises when every URL answers ``status``."""
        headers = {"Retry-After": str(RETRY_AFTER)} if status == 429 else {}
        with serve({"/robots.txt": self._robots()}) as server:
            server.fallback = Reply(status, f"error {status}", headers)
            raw = {**self.config_for(scene, server.base), **overrides}
            conn = self.make_connector(self.connector.config_model.model_validate(raw))
            try:
                page = conn.fetch({})
            except Exception as exc:
                return exc
        pytest.fail(f"every URL answered HTTP {status}, yet fetch returned {page!r}")


def with_base(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, dict):
        return {k: with_base(v, base) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [with_base(v, base) for v in value]
    return value


def describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{at}"

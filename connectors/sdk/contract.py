"""The checks of the connector conformance kit: ``ConnectorContract``.

Import it from ``connectors.sdk.testing``, the pytest plugin, whose docstring says how
to use it. Heavy modules (the SDK base, pydantic, httpx) load inside the checks: pytest
imports this module through the plugin in every run.
"""

from __future__ import annotations

import json
import re
import traceback
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from connectors.sdk.recording import Recording, Reply, Server, closed_port_url, serve

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


class ConnectorContract:
    """The conformance suite: subclass it as ``Test<Name>Contract`` in a test module.

    Declare ``connector`` and ``config`` at least; ``first_poll`` and ``something_new``
    for a connector that speaks HTTP. Every ``test_*`` method is a check; a subclass
    may add its own tests next to them.
    """

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
        return _with_base(dict(self.config), base)

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

    # -- checks ----------------------------------------------------------------------------

    def test_registered_under_its_entry_point(self) -> None:
        from connectors.sdk.registry import GROUP, UnknownConnector, load

        name = self._name()
        try:
            found = load(name)
        except UnknownConnector:
            cls = self.connector
            hint = (
                f"connector {name!r} is not registered. Add to your pyproject.toml\n\n"
                f'[project.entry-points."{GROUP}"]\n{name} = "{cls.__module__}:{cls.__qualname__}"'
                "\n\nthen reinstall the package (pip install -e .)"
            )
            if self.require_registration:
                pytest.fail(hint, pytrace=False)
            pytest.skip(hint)
        assert found is self.connector, (
            f"entry point {name!r} loads {found.__module__}.{found.__qualname__}, "
            f"not {self.connector.__module__}.{self.connector.__qualname__}"
        )
        assert self.connector.name == name, (
            f"{self.connector.__qualname__}.name is {self.connector.name!r} but its "
            f"entry point is {name!r}: items would name another connector"
        )

    def test_valid_config_is_accepted(self) -> None:
        from connectors.sdk.base import ConnectorConfig

        model = self.connector.config_model
        assert issubclass(model, ConnectorConfig), f"{model} must subclass ConnectorConfig"
        model.model_validate(self.config_for("first_poll", SOME_BASE))

    def test_invalid_configs_are_refused_before_start(self) -> None:
        from pydantic import ValidationError

        cases = [_with_base(dict(c), SOME_BASE) for c in self.invalid_configs]
        cases.append({**self.config_for("first_poll", SOME_BASE), "no_such_option": 1})
        for case in cases:
            try:
                self.connector.config_model.model_validate(case)
            except ValidationError:
                continue
            pytest.fail(f"this config was accepted but must be refused: {case!r}")

    def test_secrets_stay_hidden(self) -> None:
        model = self.connector.config_model
        hidden = set(model.secret_fields())
        for name in model.model_fields:
            if name in self.secret_fields or SECRET_NAME.search(name):
                assert name in hidden, (
                    f"config field {name!r} holds a secret: type it pydantic.SecretStr so "
                    "reprs, logs and dumps show ********** instead of its value"
                )
        if not hidden:
            return
        sentinel = f"s3cret-{uuid.uuid4().hex}"
        secrets = dict.fromkeys(hidden, sentinel)
        config = model.model_validate({**self.config_for("secrets", SOME_BASE), **secrets})
        conn = self.make_connector(config)
        with serve() as server:
            run = self._drain(server, "first_poll", {}, secrets)
        shown = {
            "repr(config)": repr(config),
            "str(config)": str(config),
            "config.model_dump_json()": config.model_dump_json(),
            "repr(connector)": repr(conn),
            "items": "".join(item.model_dump_json() for item in run.items),
            "cursor": json.dumps(run.cursor, default=str),
            "skipped": repr(run.skipped),
        }
        if self.uses_http:
            error = self._error("error", 401, secrets)
            shown["error message"] = f"{error!r} {error}"
        leaks = [where for where, text in shown.items() if sentinel in text]
        assert not leaks, f"a secret's value shows in: {', '.join(leaks)}"

    def test_first_poll_yields_valid_stamped_items(self) -> None:
        from wire.models import RawItem

        with serve() as server:
            run = self._drain(server, "first_poll", {})
        assert run.items, "the first poll yielded no item: record a source with items in it"
        for item in run.items:
            assert isinstance(item, RawItem), f"{item!r} is not a RawItem"
            assert item.key.strip(), f"item {item.url} has an empty key"
            assert item.source.connector == self._name(), (
                f"item {item.key} names connector {item.source.connector!r}: "
                "make items with self.raw_item(...) so the source is stamped"
            )
            again = RawItem.from_json_bytes(item.to_json_bytes())
            assert again.model_dump() == item.model_dump(), (
                f"item {item.key} changes through JSON (the form it takes in Kafka)"
            )
        duplicates = {key for key in run.keys if run.keys.count(key) > 1}
        assert not duplicates, f"one poll yielded these keys twice: {sorted(duplicates)}"
        for reason, payload in run.skipped:
            assert isinstance(reason, str) and reason, "a skipped item needs a reason"
            assert payload is None or isinstance(payload, str | bytes)

    def test_keys_are_stable(self) -> None:
        with serve() as server:
            first = self._drain(server, "first_poll", {})
            second = self._drain(server, "first_poll", {})
        assert sorted(first.keys) == sorted(second.keys), (
            "the same recorded answers gave different keys: "
            f"{sorted(set(first.keys) ^ set(second.keys))}"
        )

    def test_cursor_survives_json(self) -> None:
        with serve() as server:
            first = self._drain(server, "first_poll", {})
            thawed = json.loads(json.dumps(first.cursor))
            for scene in ("nothing_new", "something_new"):
                if self.uses_http and self._recording(scene) is None:
                    continue
                kept = self._drain(server, scene, first.cursor)
                reloaded = self._drain(server, scene, thawed)
                assert kept.keys == reloaded.keys, (
                    f"{scene}: the cursor behaves differently after json.dumps/json.loads "
                    f"(keys {kept.keys} vs {reloaded.keys}); keep it to JSON types"
                )

    def test_nothing_new_repeats_nothing(self) -> None:
        with serve() as server:
            first = self._drain(server, "first_poll", {})
            again = self._drain(server, "nothing_new", first.cursor)
        repeated = sorted(set(again.keys) & set(first.keys))
        assert not repeated, f"items repeated after the cursor: {repeated}"
        assert not again.items, f"nothing changed, yet the poll yielded {again.keys}"

    def test_something_new_comes_once(self) -> None:
        if self._recording("something_new") is None and self.uses_http:
            pytest.fail("declare `something_new`: the answers once the source has a new item")
        with serve() as server:
            first = self._drain(server, "first_poll", {})
            new = self._drain(server, "something_new", first.cursor)
            after = self._drain(server, "something_new", new.cursor)
        assert new.items, "something_new yielded no item after the first poll's cursor"
        repeated = sorted(set(new.keys) & set(first.keys))
        assert not repeated, f"items of the first poll came again: {repeated}"
        assert not after.items, f"the new items came again on the next poll: {after.keys}"

    @pytest.mark.parametrize("status", ERROR_STATUSES)
    def test_http_status_maps_onto_the_error_tree(self, status: int) -> None:
        from connectors.sdk.errors import FatalSourceError, RetriableError, RetryAfter

        self._needs_http()
        exc = self._error("error", status)
        expected = FatalSourceError if status in (401, 404) else RetriableError
        assert isinstance(exc, expected), (
            f"HTTP {status} must raise {expected.__name__}, got {_describe(exc)}"
        )
        code = getattr(exc, "status", None)
        assert code in (None, status), f"HTTP {status} raised an error saying status {code}"
        if status == 429:
            assert isinstance(exc, RetryAfter), f"HTTP 429 must raise RetryAfter, got {exc!r}"
            assert abs(exc.seconds - RETRY_AFTER) <= 1, (
                f"Retry-After: {RETRY_AFTER} became RetryAfter({exc.seconds})"
            )

    def test_unreachable_source_is_retriable(self) -> None:
        from connectors.sdk.errors import RetriableError

        self._needs_http()
        config = self._config("unreachable", closed_port_url())
        conn = self.make_connector(config)
        try:
            conn.fetch({})
        except RetriableError:
            return
        except Exception as exc:
            pytest.fail(f"a refused connection must raise RetriableError, got {_describe(exc)}")
        pytest.fail("a refused connection must raise RetriableError, but fetch returned")

    @pytest.mark.parametrize("garbage", sorted(GARBAGE))
    def test_garbage_is_a_clear_error(self, garbage: str) -> None:
        from connectors.sdk.base import Page
        from connectors.sdk.errors import BadPayload, ConnectorError, RetriableError, RetryAfter

        self._needs_http()
        with serve({"/robots.txt": self._robots()}) as server:
            server.fallback = GARBAGE[garbage]
            conn = self.make_connector(self._config("garbage", server.base))
            try:
                page = conn.fetch({})
            except RetriableError as exc:
                if not isinstance(exc, BadPayload | RetryAfter):
                    pytest.fail(
                        f"a {garbage} body raised {_describe(exc)}: a body the source should "
                        "not have sent is a BadPayload carrying it (connectors.sdk.apis."
                        "bad_payload), so the runner can put it in the dead-letter topic"
                    )
                if isinstance(exc, BadPayload) and GARBAGE[garbage].body and not exc.payload:
                    pytest.fail(f"the BadPayload for a {garbage} body does not carry the body")
                return
            except ConnectorError:
                return
            except Exception as exc:
                pytest.fail(
                    f"a {garbage} body crashed the connector with {_describe(exc)}: bad input "
                    "must become a ConnectorError or a skipped item"
                )
        assert isinstance(page, Page), f"fetch returned {page!r}, not a Page"

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


def _with_base(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, dict):
        return {k: _with_base(v, base) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_with_base(v, base) for v in value]
    return value


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{at}"

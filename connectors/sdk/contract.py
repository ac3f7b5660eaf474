"""The checks of the connector conformance kit: ``ConnectorContract``.

Import it from ``connectors.sdk.testing``, the pytest plugin, whose docstring says how
to use it. Heavy modules (the SDK base, pydantic, httpx) load inside the checks: pytest
imports this module through the plugin in every run.
"""

from __future__ import annotations

import json
import uuid

import pytest

from connectors.sdk.contract_base import (
    ERROR_STATUSES,
    GARBAGE,
    RETRY_AFTER,
    SECRET_NAME,
    SOME_BASE,
    ContractBase,
    Run,
    describe,
    with_base,
)
from connectors.sdk.recording import closed_port_url, serve

__all__ = ["ConnectorContract", "Run"]


class ConnectorContract(ContractBase):
    """The conformance suite: subclass it as ``Test<Name>Contract`` in a test module.

    Declare ``connector`` and ``config`` at least; ``first_poll`` and ``something_new``
    for a connector that speaks HTTP (the declarations and hooks are documented on
    ``ContractBase``). Every ``test_*`` method is a check; a subclass may add its own
    tests next to them.
    """

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

        cases = [with_base(dict(c), SOME_BASE) for c in self.invalid_configs]
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
            f"HTTP {status} must raise {expected.__name__}, got {describe(exc)}"
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
            pytest.fail(f"a refused connection must raise RetriableError, got {describe(exc)}")
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
                        f"a {garbage} body raised {describe(exc)}: a body the source should "
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
                    f"a {garbage} body crashed the connector with {describe(exc)}: bad input "
                    "must become a ConnectorError or a skipped item"
                )
        assert isinstance(page, Page), f"fetch returned {page!r}, not a Page"

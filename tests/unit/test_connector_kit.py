"""The conformance kit itself: it passes a sound connector and fails each broken rule.

Every connector below is the same small JSON poller with one defect; the kit runs on
all of them inside a pytester session and must fail exactly the checks that defect
breaks, and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.sdk.recording import Reply, recording_from_dir, serve

pytest_plugins = ["pytester"]

CONNECTORS = """
import json
import uuid

from pydantic import HttpUrl, SecretStr

from connectors.sdk import ConnectorConfig, ConnectorError, FatalSourceError, Page
from connectors.sdk import PollingConnector
from connectors.sdk.testing import ConnectorContract, json_reply
from wire.models import SourceRef


def _stories(*ids):
    return {"stories": [{"id": i, "url": f"{{base}}/news/{i}", "title": f"Story {i}"} for i in ids]}


class Config(ConnectorConfig):
    url: HttpUrl


class Good(PollingConnector[Config]):
    name = "kit-good"
    config_model = Config

    def poll(self, cursor):
        resp = self.http.get(str(self.config.url))
        try:
            stories = json.loads(resp.content)["stories"]
        except (ValueError, KeyError, TypeError) as exc:
            raise FatalSourceError(f"not a story list: {exc}") from exc
        seen = list(cursor.get("seen", []))
        new = [s for s in stories if s["id"] not in seen]
        items = [self.raw_item(key=self.key(s), url=s["url"], summary=s["title"]) for s in new]
        return Page(items=items, cursor={"seen": seen + [s["id"] for s in new]})

    def key(self, story):
        return story["url"]


class Repeats(Good):
    def poll(self, cursor):
        return super().poll({})


class UnstableKeys(Good):
    def key(self, story):
        return f"{story['url']}#{uuid.uuid4().hex[:6]}"


class SetCursor(Good):
    def poll(self, cursor):
        page = super().poll(cursor)
        page.cursor = {"seen": set(page.cursor["seen"])}
        return page


class SwallowsErrors(Good):
    def poll(self, cursor):
        try:
            return super().poll(cursor)
        except ConnectorError:
            return Page(cursor=cursor)


class CrashesOnGarbage(Good):
    def poll(self, cursor):
        json.loads(self.http.get(str(self.config.url)).content)["stories"]
        return super().poll(cursor)


class PlainSecretConfig(Config):
    api_token: str = ""


class PlainSecret(Good):
    config_model = PlainSecretConfig


class SecretConfig(Config):
    api_token: SecretStr


class LeaksSecret(Good):
    config_model = SecretConfig

    def poll(self, cursor):
        page = super().poll(cursor)
        page.cursor["auth"] = self.config.api_token.get_secret_value()
        return page


class Unstamped(Good):
    def raw_item(self, **fields):
        return super().raw_item(source=SourceRef(id="x", name="x", connector="other"), **fields)


class Kit(ConnectorContract):
    require_registration = False
    config = {"url": "{base}/stories.json"}
    invalid_configs = [{}, {"url": "not a url"}]
    first_poll = {"/stories.json": json_reply(_stories(1, 2))}
    something_new = {"/stories.json": json_reply(_stories(3, 1, 2))}


class TestGood(Kit):
    connector = Good


class TestRepeats(Kit):
    connector = Repeats


class TestUnstableKeys(Kit):
    connector = UnstableKeys


class TestSetCursor(Kit):
    connector = SetCursor


class TestSwallowsErrors(Kit):
    connector = SwallowsErrors


class TestCrashesOnGarbage(Kit):
    connector = CrashesOnGarbage


class TestPlainSecret(Kit):
    connector = PlainSecret


class TestLeaksSecret(Kit):
    connector = LeaksSecret
    config = {"url": "{base}/stories.json", "api_token": "placeholder"}


class TestUnstamped(Kit):
    connector = Unstamped


class TestUnregistered(Kit):
    connector = Good
    require_registration = True


class TestMisnamed(Kit):
    connector = Good
    name = "rss"
"""

GARBAGE = {
    f"test_garbage_is_a_clear_error[{g}]"
    for g in ("binary", "empty", "html-error-page", "truncated-json", "truncated-xml")
}
ERRORS = {f"test_http_status_maps_onto_the_error_tree[{s}]" for s in (401, 404, 429, 500, 502, 503)}
REGISTERED = "test_registered_under_its_entry_point"

# The checks each defect must fail; every other check of its class must pass (the
# registration check skips: these connectors are not installed).
EXPECTED_FAILURES: dict[str, set[str]] = {
    "TestGood": set(),
    "TestRepeats": {"test_nothing_new_repeats_nothing", "test_something_new_comes_once"},
    "TestUnstableKeys": {"test_keys_are_stable", "test_cursor_survives_json"},
    "TestSetCursor": {
        "test_first_poll_yields_valid_stamped_items",
        "test_keys_are_stable",
        "test_cursor_survives_json",
        "test_nothing_new_repeats_nothing",
        "test_something_new_comes_once",
    },
    "TestSwallowsErrors": ERRORS | {"test_unreachable_source_is_retriable"},
    "TestCrashesOnGarbage": GARBAGE,
    "TestPlainSecret": {"test_secrets_stay_hidden"},
    "TestLeaksSecret": {"test_secrets_stay_hidden"},
    "TestUnstamped": {"test_first_poll_yields_valid_stamped_items"},
    "TestUnregistered": {REGISTERED},
    "TestMisnamed": {REGISTERED},
}
MESSAGES = {
    "TestRepeats::test_nothing_new_repeats_nothing": "items repeated after the cursor",
    "TestSetCursor::test_keys_are_stable": "the cursor is not JSON",
    "TestSwallowsErrors::test_http_status_maps_onto_the_error_tree[404]": "yet fetch returned",
    "TestCrashesOnGarbage::test_garbage_is_a_clear_error[empty]": "JSONDecodeError",
    "TestPlainSecret::test_secrets_stay_hidden": "type it pydantic.SecretStr",
    "TestLeaksSecret::test_secrets_stay_hidden": "shows in: cursor",
    "TestUnstamped::test_first_poll_yields_valid_stamped_items": "names connector 'other'",
    "TestUnregistered::" + REGISTERED: 'kit-good = "test_kit_inner:Good"',
    "TestMisnamed::" + REGISTERED: "loads connectors.rss.connector.RssConnector",
}


def test_kit_fails_exactly_the_broken_rules(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_kit_inner=CONNECTORS)
    reports = pytester.inline_run("-p", "no:cacheprovider").getreports("pytest_runtest_logreport")
    outcomes: dict[str, dict[str, str]] = {}
    texts: dict[str, str] = {}
    for rep in reports:
        if rep.when == "call" or rep.outcome != "passed":
            _, cls, test = rep.nodeid.split("::")
            outcomes.setdefault(cls, {})[test] = rep.outcome
            texts[f"{cls}::{test}"] = rep.longreprtext
    assert set(outcomes) == set(EXPECTED_FAILURES)
    for cls, expected in EXPECTED_FAILURES.items():
        failed = {t for t, outcome in outcomes[cls].items() if outcome == "failed"}
        skipped = {t for t, outcome in outcomes[cls].items() if outcome == "skipped"}
        assert failed == expected, cls
        assert skipped <= {REGISTERED}, cls
        assert len(outcomes[cls]) >= 20, cls  # every check ran
    for where, message in MESSAGES.items():
        assert message in texts[where], where
    assert "pip install -e ." in texts["TestGood::" + REGISTERED]  # skipped, saying what to add


def test_recorded_server_replaces_base_and_falls_back() -> None:
    routes = {"/feed": Reply(200, "<link>{base}/a</link>", {"Link": "<{base}/feed>"})}
    with serve(routes) as srv:
        feed = httpx.get(srv.url("/feed"))
        assert feed.text == f"<link>{srv.base}/a</link>"
        assert feed.headers["link"] == f"<{srv.base}/feed>"
        assert httpx.get(srv.url("/elsewhere")).status_code == 404
        srv.play({}, fallback=Reply(503, "busy"))
        assert httpx.get(srv.url("/feed")).status_code == 503
        assert srv.count("/feed") == 2


def test_recording_from_dir_serves_files_with_their_type(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "items.json").write_text('{"items": []}')
    (tmp_path / "feed.xml").write_text("<rss/>")
    routes = recording_from_dir(tmp_path)
    assert sorted(routes) == ["/api/items.json", "/feed.xml"]
    assert routes["/api/items.json"].headers["Content-Type"] == "application/json"
    assert routes["/feed.xml"].body == b"<rss/>"

"""Issue 13, finding 12 (the remainder): a replaced processor takes over in seconds, a
sources entry that is not a mapping is a line-precise error, and an Elasticsearch that
refuses writes stops a role at setup in one line."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError
from typer.testing import CliRunner

import pipeline.stream.processor as processor
from newswire.cli.main import app
from pipeline.index.writer import Writer, WritesRefused
from wire.settings import Settings


class _NoPool:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.workers = 1

    def close(self) -> None: ...


def test_processor_session_is_short_and_membership_static(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processor, "ExtractionPool", _NoPool)
    settings = Settings(
        processor_store="memory://", processor_data_dir=tmp_path, processor_instance_id="p-0"
    )
    conf = processor.make_app(settings).conf
    assert conf.broker_session_timeout == 10.0  # faust's default: 60 s before a takeover
    assert conf.broker_heartbeat_interval <= conf.broker_session_timeout / 3
    assert conf.consumer_group_instance_id == "p-0"


def test_sources_entry_that_is_not_a_mapping_is_a_line_precise_error(tmp_path: Path) -> None:
    file = tmp_path / "sources.yaml"
    file.write_text(
        "sources:\n"
        "  - id: a\n"
        "    connector: rss\n"
        "    config: {url: 'https://a.example/feed'}\n"
        "  - just a string\n"
        "  - [1, 2]\n"
    )
    result = CliRunner().invoke(app, ["sources", "check", str(file)], terminal_width=200)
    assert result.exit_code == 1 and not isinstance(result.exception, TypeError)
    assert f"{file}:5: a source must be a mapping" in result.output
    assert f"{file}:6: a source must be a mapping" in result.output
    assert "Traceback" not in result.output


def _api_error(status: int, kind: str, reason: str) -> ApiError:
    meta = ApiResponseMeta(
        status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )  # fmt: skip
    return ApiError(reason, meta, {"error": {"type": kind, "reason": reason}, "status": status})


class _Refusing:
    """An Elasticsearch client whose template write is refused (a key without the right)."""

    def __init__(self, blocks: dict[str, Any] | None = None) -> None:
        self.blocks = blocks
        self.indices = SimpleNamespace(
            analyze=self._ok, put_index_template=self._template
        )  # fmt: skip
        self.ilm = SimpleNamespace(get_status=self._no_ilm)
        self.cluster = SimpleNamespace(state=self._state)

    def _ok(self, **_: Any) -> None: ...

    def _no_ilm(self, **_: Any) -> None:
        raise _api_error(400, "illegal_argument_exception", "no ILM")

    def _template(self, **_: Any) -> None:
        if self.blocks is None:
            raise _api_error(
                403,
                "security_exception",
                "action [indices:admin/index_template/put] is unauthorized",
            )

    def _state(self, **_: Any) -> SimpleNamespace:
        return SimpleNamespace(body={"blocks": self.blocks or {}})


def test_a_refused_template_is_one_line() -> None:
    writer = Writer(Settings(index_prefix="news"), client=_Refusing())  # type: ignore[arg-type]
    with pytest.raises(WritesRefused, match="403 security_exception") as info:
        writer.setup()
    assert "\n" not in str(info.value)


def test_a_write_block_on_our_indices_is_one_line() -> None:
    block = {"12": {"description": "index read-only / allow delete (api)", "levels": ["write"]}}
    client = _Refusing(blocks={"indices": {"news-2025": block, "other": block}})
    writer = Writer(Settings(index_prefix="news"), client=client)  # type: ignore[arg-type]
    with pytest.raises(WritesRefused, match="index news-2025: index read-only") as info:
        writer.setup()
    assert "other" not in str(info.value) and "\n" not in str(info.value)

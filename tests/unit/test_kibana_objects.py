"""The Kibana saved objects, validated offline against the index template.

No Kibana runs here, so these tests check what an import and the dashboards rely on:
the NDJSON parses, ids are unique, references resolve, embedded JSON parses, and every
field a visualization, saved search or map uses is mapped by the ``news-*`` template
(or is a runtime field of the data view) with a type that fits its use. The import
client is exercised against a small fake Kibana HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from newswire.kibana import (
    KibanaError,
    bundled_saved_objects,
    import_saved_objects,
    redact,
    wait_for_kibana,
)
from pipeline.index.template import article_mappings, field_types, index_template

ROOT = Path(__file__).resolve().parents[2]
NDJSON = ROOT / "deploy" / "kibana" / "saved_objects.ndjson"
PACKAGED = ROOT / "newswire" / "data" / "kibana" / "saved_objects.ndjson"
BUILDER = ROOT / "deploy" / "kibana" / "build.py"

DATE = {"date", "date_nanos"}
KEYWORD = {"keyword", "constant_keyword"}
NUMERIC = {
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
}
GEO = {"geo_point", "geo_shape"}
SORTABLE = DATE | KEYWORD | NUMERIC
# Lens operations on a field, and the field types each accepts.
LENS_FIELD_TYPES: dict[str, set[str]] = {
    "date_histogram": DATE,
    "terms": KEYWORD,
    "median": NUMERIC,
    "average": NUMERIC,
    "sum": NUMERIC,
    "min": NUMERIC | DATE,
    "max": NUMERIC | DATE,
    "percentile": NUMERIC,
    "standard_deviation": NUMERIC,
    "unique_count": KEYWORD | NUMERIC | DATE,
}
LENS_DATA_TYPE = {"date_histogram": "date", "terms": "string"}
KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@]*)\s*:")


# ------------------------------------------------------------------------- fixtures


def _load_objects(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path} is empty"
    objects = []
    for number, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - the assertion message
            pytest.fail(f"{path.name} line {number} is not JSON: {exc}")
        assert isinstance(obj, dict), f"line {number} is not an object"
        objects.append(obj)
    return objects


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return _load_objects(NDJSON)


@pytest.fixture(scope="module")
def by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in objects}


@pytest.fixture(scope="module")
def data_view(objects: list[dict[str, Any]]) -> dict[str, Any]:
    views = [o for o in objects if o["type"] == "index-pattern"]
    assert len(views) == 1
    return views[0]


@pytest.fixture(scope="module")
def fields(data_view: dict[str, Any]) -> dict[str, str]:
    """Every field Kibana will see: mapped (english analyzers or not) plus runtime fields."""
    mapped = field_types(article_mappings(english=True)["properties"])
    assert field_types(article_mappings(english=False)["properties"]).items() <= mapped.items()
    runtime = json.loads(data_view["attributes"]["runtimeFieldMap"])
    overlap = set(runtime) & set(mapped)
    assert not overlap, f"runtime fields shadow mapped ones: {overlap}"
    return {**mapped, **{name: spec["type"] for name, spec in runtime.items()}}


def _of_type(objects: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    found = [o for o in objects if o["type"] == type_]
    assert found, f"no {type_} objects"
    return found


def _refs(obj: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {r["name"]: r for r in obj["references"]}


def _target(refs: dict[str, dict[str, str]], name: str, where: str) -> dict[str, str]:
    assert name in refs, f"{where}: no reference named {name!r}"
    return refs[name]


def _check_field(fields: dict[str, str], name: str, allowed: set[str], where: str) -> None:
    assert name in fields, f"{where}: field {name!r} is not in the index template"
    assert fields[name] in allowed, (
        f"{where}: field {name!r} is {fields[name]}, needs one of {sorted(allowed)}"
    )


def _check_kql(fields: dict[str, str], query: str, where: str) -> None:
    for name in KQL_FIELD.findall(query):
        assert name in fields, f"{where}: query {query!r} uses unknown field {name!r}"


# --------------------------------------------------------------------- the NDJSON file


def test_every_line_is_a_saved_object_with_migration_versions(
    objects: list[dict[str, Any]],
) -> None:
    allowed_types = {"index-pattern", "search", "lens", "map", "dashboard"}
    for obj in objects:
        assert obj["type"] in allowed_types, obj["type"]
        assert isinstance(obj["attributes"], dict) and obj["attributes"].get("title")
        assert isinstance(obj["references"], list)
        assert obj["coreMigrationVersion"] == "8.8.0"
        assert re.fullmatch(r"\d+\.\d+\.\d+", obj["typeMigrationVersion"])


def test_ids_are_unique_and_stable(objects: list[dict[str, Any]]) -> None:
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"newswire-[a-z0-9-]+", i) for i in ids), ids


def test_every_reference_resolves(objects: list[dict[str, Any]]) -> None:
    known = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        names = [r["name"] for r in obj["references"]]
        assert len(names) == len(set(names)), f"{obj['id']}: duplicate reference names"
        for reference in obj["references"]:
            target = (reference["type"], reference["id"])
            assert target in known, f"{obj['id']} -> {target} is not in the file"


def test_expected_objects_are_there(by_id: dict[str, dict[str, Any]]) -> None:
    titles = {o["attributes"]["title"] for o in by_id.values()}
    for title in (
        "Latest stories",
        "Stories by region",
        "Social posts",
        "newswire overview",
        "Story volume by world region",
        "Top countries",
        "Top topics",
        "Top sources",
        "Duplicate ratio",
        "Pipeline freshness",
        "Stories by focus country",
    ):
        assert title in titles, title


def test_embedded_json_strings_parse(objects: list[dict[str, Any]]) -> None:
    embedded = {
        "index-pattern": ("runtimeFieldMap", "fieldFormatMap", "fields", "typeMeta"),
        "dashboard": ("panelsJSON", "optionsJSON"),
        "map": ("layerListJSON", "mapStateJSON", "uiStateJSON"),
    }
    for obj in objects:
        attrs = obj["attributes"]
        meta = attrs.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON")
        if meta is not None:
            assert isinstance(json.loads(meta), dict), obj["id"]
        for key in embedded.get(obj["type"], ()):
            json.loads(attrs[key])
        if obj["type"] == "lens":
            state = attrs["state"]
            if isinstance(state, str):
                state = json.loads(state)
            assert isinstance(state, dict)


def test_packaged_copy_is_identical_and_the_builder_is_current() -> None:
    text = NDJSON.read_bytes()
    assert PACKAGED.read_bytes() == text, "run: python deploy/kibana/build.py"
    assert bundled_saved_objects().read_bytes() == text
    spec = importlib.util.spec_from_file_location("kibana_build", BUILDER)
    assert spec and spec.loader
    builder: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    rendered = builder.render()
    assert rendered == builder.render(), "the builder is not deterministic"
    assert rendered.encode() == text, "saved_objects.ndjson is stale: run deploy/kibana/build.py"


# ------------------------------------------------------------------------- data view


def test_data_view_covers_the_indices_with_a_date_time_field(
    data_view: dict[str, Any], fields: dict[str, str]
) -> None:
    attrs = data_view["attributes"]
    assert data_view["id"] == "newswire-news"
    assert attrs["title"] == "news*"
    pattern = index_template("news", "news")["index_patterns"][0]
    assert fnmatch("news-2025.01", pattern) and fnmatch("news-2025.01", attrs["title"])
    assert fnmatch("news", attrs["title"]), "the alias `news` must match too"
    _check_field(fields, attrs["timeFieldName"], DATE, "timeFieldName")


def test_runtime_field_freshness_reads_mapped_dates(
    data_view: dict[str, Any], fields: dict[str, str]
) -> None:
    runtime = json.loads(data_view["attributes"]["runtimeFieldMap"])
    freshness = runtime["freshness_seconds"]
    assert freshness["type"] in NUMERIC
    used = set(re.findall(r"doc\['([^']+)'\]", freshness["script"]["source"]))
    assert used == {"indexed_at", "fetched_at"}
    for name in used:
        _check_field(fields, name, DATE, "freshness_seconds script")
    formats = json.loads(data_view["attributes"]["fieldFormatMap"])
    assert set(formats) <= set(fields)


# ---------------------------------------------------------------------- saved searches


def test_saved_searches_use_mapped_fields(
    objects: list[dict[str, Any]], fields: dict[str, str]
) -> None:
    for search in _of_type(objects, "search"):
        attrs, where = search["attributes"], search["id"]
        source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
        reference = _target(_refs(search), source["indexRefName"], where)
        assert (reference["type"], reference["id"]) == ("index-pattern", "newswire-news")
        assert source["query"]["language"] == "kuery"
        _check_kql(fields, source["query"]["query"], where)
        assert attrs["columns"], where
        for column in attrs["columns"]:
            assert column in fields, f"{where}: column {column!r} is not mapped"
        for sort_field, direction in attrs["sort"]:
            _check_field(fields, sort_field, SORTABLE, f"{where} sort")
            assert direction in ("asc", "desc")


def test_the_three_saved_searches(by_id: dict[str, dict[str, Any]]) -> None:
    def query(search_id: str) -> str:
        attrs = by_id[search_id]["attributes"]
        text: str = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
        return text

    latest = by_id["newswire-search-latest"]["attributes"]
    assert latest["sort"] == [["published_at", "desc"]]
    assert latest["columns"] == ["title", "source.name", "focus_countries", "topics"]
    assert "focus_countries" in query("newswire-search-by-region")
    assert query("newswire-search-social") == "kind:social_post"


# -------------------------------------------------------------------------------- lens


def _lens_state(obj: dict[str, Any]) -> dict[str, Any]:
    state = obj["attributes"]["state"]
    parsed: dict[str, Any] = json.loads(state) if isinstance(state, str) else state
    return parsed


def _accessors(visualization: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in ("metricAccessor", "secondaryMetricAccessor", "maxAccessor", "breakdownByAccessor"):
        if visualization.get(key):
            found.add(visualization[key])
    for layer in visualization.get("layers", []):
        found.update(layer.get("accessors", []))
        for key in ("xAccessor", "splitAccessor"):
            if layer.get(key):
                found.add(layer[key])
    return found


def test_lens_layers_columns_and_references_hold_together(
    objects: list[dict[str, Any]],
) -> None:
    for lens in _of_type(objects, "lens"):
        where = lens["id"]
        state = _lens_state(lens)
        layers = state["datasourceStates"]["formBased"]["layers"]
        assert layers, where
        refs = _refs(lens)
        columns_everywhere: set[str] = set()
        for layer_id, layer in layers.items():
            reference = _target(refs, f"indexpattern-datasource-layer-{layer_id}", where)
            assert (reference["type"], reference["id"]) == ("index-pattern", "newswire-news")
            columns = layer["columns"]
            assert sorted(layer["columnOrder"]) == sorted(columns), where
            for column_id, column in columns.items():
                for target in column.get("references", []):
                    assert target in columns, f"{where}: {column_id} -> missing {target}"
                if column["operationType"] == "terms":
                    order = column["params"]["orderBy"]
                    if order["type"] == "column":
                        assert order["columnId"] in columns, where
            columns_everywhere.update(columns)
        visualization = state["visualization"]
        vis_layers = {layer["layerId"] for layer in visualization.get("layers", [])}
        vis_layers |= {visualization["layerId"]} if "layerId" in visualization else set()
        assert vis_layers == set(layers), where
        missing = _accessors(visualization) - columns_everywhere
        assert not missing, f"{where}: accessors without columns {missing}"


def test_lens_columns_use_mapped_fields_of_a_suitable_type(
    objects: list[dict[str, Any]], fields: dict[str, str]
) -> None:
    for lens in _of_type(objects, "lens"):
        state = _lens_state(lens)
        _check_kql(fields, state["query"]["query"], lens["id"])
        for layer in state["datasourceStates"]["formBased"]["layers"].values():
            for column_id, column in layer["columns"].items():
                where = f"{lens['id']} column {column.get('label', column_id)}"
                operation = column["operationType"]
                if "filter" in column:
                    _check_kql(fields, column["filter"]["query"], where)
                if operation == "formula":
                    for kql in re.findall(r"kql='([^']*)'", column["params"]["formula"]):
                        _check_kql(fields, kql, where)
                    continue
                source = column.get("sourceField")
                if source is None or source == "___records___":
                    assert operation in ("count", "math", "static_value"), where
                    continue
                assert operation in LENS_FIELD_TYPES, f"{where}: unchecked op {operation}"
                _check_field(fields, source, LENS_FIELD_TYPES[operation], where)
                expected = LENS_DATA_TYPE.get(operation, "number")
                assert column["dataType"] == expected, where


def test_the_dashboard_metrics(by_id: dict[str, dict[str, Any]]) -> None:
    volume = _lens_state(by_id["newswire-lens-volume-by-region"])
    (layer,) = volume["datasourceStates"]["formBased"]["layers"].values()
    operations = {c["operationType"]: c.get("sourceField") for c in layer["columns"].values()}
    assert operations["date_histogram"] == "published_at"
    assert operations["terms"] in ("world_regions", "focus_countries")

    ratio = _lens_state(by_id["newswire-lens-duplicate-ratio"])
    (layer,) = ratio["datasourceStates"]["formBased"]["layers"].values()
    formulas = [c for c in layer["columns"].values() if c["operationType"] == "formula"]
    assert [f["params"]["formula"] for f in formulas] == ["count(kql='duplicate_of:*') / count()"]

    freshness = _lens_state(by_id["newswire-lens-freshness"])
    (layer,) = freshness["datasourceStates"]["formBased"]["layers"].values()
    assert {c["sourceField"] for c in layer["columns"].values()} == {"freshness_seconds"}


# --------------------------------------------------------------------------------- map


def test_map_layers_use_mapped_fields_and_resolve_their_data_view(
    objects: list[dict[str, Any]], fields: dict[str, str]
) -> None:
    for map_obj in _of_type(objects, "map"):
        where = map_obj["id"]
        refs = _refs(map_obj)
        layers = json.loads(map_obj["attributes"]["layerListJSON"])
        state = json.loads(map_obj["attributes"]["mapStateJSON"])
        _check_kql(fields, state["query"]["query"], where)
        assert len({layer["id"] for layer in layers}) == len(layers)
        joined = False
        for index, layer in enumerate(layers):
            source = layer["sourceDescriptor"]
            assert layer["type"] in ("EMS_VECTOR_TILE", "GEOJSON_VECTOR", "MVT_VECTOR", "HEATMAP")
            if "indexPatternRefName" in source:
                assert source["indexPatternRefName"] == f"layer_{index}_source_index_pattern"
                assert _target(refs, source["indexPatternRefName"], where)["id"] == "newswire-news"
            if "geoField" in source:
                _check_field(fields, source["geoField"], GEO, f"{where} layer {layer['id']}")
            join_keys = set()
            for number, join in enumerate(layer.get("joins", [])):
                right = join["right"]
                assert right["type"] == "ES_TERM_SOURCE"
                assert right["indexPatternRefName"] == f"layer_{index}_join_{number}_index_pattern"
                assert _target(refs, right["indexPatternRefName"], where)["id"] == "newswire-news"
                _check_field(fields, right["term"], KEYWORD, f"{where} join")
                for metric in right["metrics"]:
                    agg = metric["type"]
                    key = agg if agg == "count" else f"{agg}_of_{metric['field']}"
                    join_keys.add(f"__kbnjoin__{key}__{right['id']}")
                if source.get("type") == "EMS_FILE" and source.get("id") == "world_countries":
                    # focus_countries holds ISO 3166-1 alpha-2: join on the EMS iso2 property.
                    assert (join["leftField"], right["term"]) == ("iso2", "focus_countries")
                    joined = True
            for prop in layer.get("style", {}).get("properties", {}).values():
                field_ref = prop.get("options", {}).get("field")
                if not field_ref:
                    continue
                if field_ref["origin"] == "join":
                    assert field_ref["name"] in join_keys, f"{where}: {field_ref['name']}"
        assert joined, f"{where}: no choropleth of focus_countries"


# --------------------------------------------------------------------------- dashboard


def test_dashboard_panels_reference_objects_in_the_file(
    objects: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> None:
    (board,) = _of_type(objects, "dashboard")
    assert board["attributes"]["title"] == "newswire overview"
    json.loads(board["attributes"]["optionsJSON"])
    panels = json.loads(board["attributes"]["panelsJSON"])
    refs = _refs(board)
    used = set()
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        name = f"{panel['panelIndex']}:{panel['panelRefName']}"
        reference = _target(refs, name, "dashboard")
        assert reference["type"] == panel["type"] == by_id[reference["id"]]["type"]
        used.add(reference["id"])
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 48, name
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & area, f"{name} overlaps another panel"
        cells |= area
    assert len(refs) == len(panels)
    lens_and_maps = {o["id"] for o in objects if o["type"] in ("lens", "map")}
    assert lens_and_maps <= used, f"not on the dashboard: {lens_and_maps - used}"
    assert "newswire-search-latest" in used


# ------------------------------------------------------------------ the import client


@dataclass
class FakeKibana:
    """What the fake Kibana answered with, and what it was sent."""

    base: str
    import_reply: tuple[int, Any] = (200, {"success": True, "successCount": 0})
    status_replies: list[tuple[int, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def fake_kibana() -> Iterator[FakeKibana]:
    state = FakeKibana(base="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, body: bytes) -> str:
            url = urlsplit(self.path)
            state.requests.append(
                {
                    "method": self.command,
                    "path": url.path,
                    "query": parse_qs(url.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            return url.path

        def do_GET(self) -> None:
            path = self._record(b"")
            if path == "/api/status" and state.status_replies:
                status, body = state.status_replies.pop(0)
                self._reply(status, body)
            elif path == "/api/status":
                self._reply(200, {"status": {"overall": {"level": "available"}}})
            else:
                self._reply(404, {"statusCode": 404, "error": "Not Found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            path = self._record(body)
            if path.endswith("/api/saved_objects/_import"):
                self._reply(*state.import_reply)
            else:
                self._reply(404, {"statusCode": 404, "error": "Not Found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _success(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "success": True,
        "successCount": len(objects),
        "successResults": [
            {"type": o["type"], "id": o["id"], "meta": {"title": o["attributes"]["title"]}}
            for o in objects
        ],
    }


def test_import_posts_multipart_with_kbn_xsrf(objects: list[dict[str, Any]]) -> None:
    with fake_kibana() as kibana:
        kibana.import_reply = (200, _success(objects))
        result = import_saved_objects(kibana.base + "/", NDJSON, api_key="c2VjcmV0", timeout=5)
    assert result["successCount"] == len(objects)
    (request,) = kibana.requests
    assert request["method"] == "POST"
    assert request["path"] == "/api/saved_objects/_import"
    assert request["query"] == {"overwrite": ["true"]}
    headers = request["headers"]
    assert headers["kbn-xsrf"] == "true"
    assert headers["authorization"] == "ApiKey c2VjcmV0"
    content_type = headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request["body"]
    )
    assert message.is_multipart()
    (part,) = message.iter_parts()
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "saved_objects.ndjson"
    assert part.get_payload(decode=True) == NDJSON.read_bytes()


def test_import_into_a_space_and_without_api_key() -> None:
    with fake_kibana() as kibana:
        kibana.import_reply = (200, {"success": True, "successCount": 12})
        import_saved_objects(kibana.base, NDJSON, space="news", timeout=5)
    (request,) = kibana.requests
    assert request["path"] == "/s/news/api/saved_objects/_import"
    assert "authorization" not in request["headers"]


def test_url_credentials_are_sent_as_basic_auth_and_never_shown() -> None:
    with fake_kibana() as kibana:
        kibana.import_reply = (401, {"statusCode": 401, "message": "unauthorized"})
        secured = kibana.base.replace("http://", "http://elastic:s3cret@")
        with pytest.raises(KibanaError) as caught:
            import_saved_objects(secured, NDJSON, timeout=5)
    (request,) = kibana.requests
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(
        b"elastic:s3cret"
    ).decode("ascii")
    assert "401" in str(caught.value)
    assert "s3cret" not in str(caught.value) and "elastic:***@" in str(caught.value)
    assert redact("http://kibana:5601") == "http://kibana:5601"


def test_import_failure_lists_the_errors() -> None:
    reply = {
        "success": False,
        "successCount": 10,
        "errors": [
            {
                "id": "newswire-lens-freshness",
                "type": "lens",
                "meta": {"title": "Pipeline freshness"},
                "error": {
                    "type": "missing_references",
                    "references": [{"type": "index-pattern", "id": "gone"}],
                },
            },
            {
                "id": "newswire-overview",
                "type": "dashboard",
                "title": "newswire overview",
                "error": {"type": "unknown", "message": "boom", "statusCode": 500},
            },
        ],
    }
    with fake_kibana() as kibana:
        kibana.import_reply = (200, reply)
        with pytest.raises(KibanaError) as caught:
            import_saved_objects(kibana.base, NDJSON, timeout=5)
    message = str(caught.value)
    assert "2 failed" in message
    assert "lens/newswire-lens-freshness 'Pipeline freshness'" in message
    assert "missing_references (missing index-pattern/gone)" in message
    assert "dashboard/newswire-overview 'newswire overview': unknown: boom" in message


def test_import_non_2xx_is_a_clear_error() -> None:
    reply = {"statusCode": 415, "error": "Unsupported Media Type", "message": "Invalid file"}
    with fake_kibana() as kibana:
        kibana.import_reply = (415, reply)
        with pytest.raises(KibanaError, match=r"415 Unsupported Media Type.*Invalid file"):
            import_saved_objects(kibana.base, NDJSON, timeout=5)


def test_import_when_kibana_is_down_or_the_file_is_missing(tmp_path: Path) -> None:
    with fake_kibana() as kibana:
        base = kibana.base
    with pytest.raises(KibanaError, match="cannot reach Kibana"):
        import_saved_objects(base, NDJSON, timeout=2)
    with pytest.raises(KibanaError, match="cannot read"):
        import_saved_objects(base, tmp_path / "absent.ndjson", timeout=2)


def test_wait_for_kibana_polls_until_available() -> None:
    with fake_kibana() as kibana:
        kibana.status_replies = [
            (503, {"status": {"overall": {"level": "unavailable"}}}),
            (200, {"status": {"overall": {"level": "degraded"}}}),
        ]
        wait_for_kibana(kibana.base, timeout=10, interval=0.01)
        assert len(kibana.requests) == 3
        kibana.status_replies = [(503, {"status": {"overall": {"level": "unavailable"}}})] * 50
        with pytest.raises(KibanaError, match="not available after"):
            wait_for_kibana(kibana.base, timeout=0.2, interval=0.01)


def test_cli_setup_imports_the_bundled_file_and_prints_a_summary(
    objects: list[dict[str, Any]],
) -> None:
    from newswire.cli.kibana import app

    with fake_kibana() as kibana:
        kibana.import_reply = (200, _success(objects))
        result = CliRunner().invoke(app, ["setup", "--url", kibana.base, "--wait", "5"])
        assert result.exit_code == 0, result.output
        assert f"{len(objects)} objects imported" in result.output
        assert "newswire-overview" in result.output
        post = [r for r in kibana.requests if r["method"] == "POST"]
        assert len(post) == 1 and PACKAGED.read_bytes() in post[0]["body"]

        kibana.import_reply = (200, {"success": False, "successCount": 0, "errors": []})
        result = CliRunner().invoke(app, ["setup", "--url", kibana.base])
        assert result.exit_code == 1

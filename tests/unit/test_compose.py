"""docker-compose.yml and its secured override, checked statically.

There is no Docker engine where newswire is developed, so the files are validated against
the Compose Specification's JSON schema (the copy vendored by check-jsonschema, a dev
dependency) and against the project itself: the image versions of the settings, the
real `newswire` subcommands, the settings' NEWSWIRE_* variables, the ports the CLI
defaults to.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import typer
import yaml

from wire.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECURE = ROOT / "deploy" / "compose" / "docker-compose.secure.yml"
DOCKERFILE = "deploy/docker/Dockerfile"
SCHEMA_IN_PACKAGE = "check_jsonschema/builtin_schemas/vendor/compose-spec.json"

ROLES = ("connectors", "processor", "indexer", "api")
PROJECT_SERVICES = ("setup", *ROLES)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


def _merge(base: Any, override: Any) -> Any:
    """Compose's merge for what the override uses: mappings by key, the rest replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return override


@cache
def _schema() -> dict[str, Any]:
    # Located through the distribution's metadata: importing check_jsonschema is not needed.
    try:
        dist = importlib.metadata.distribution("check-jsonschema")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("check-jsonschema is missing: install the dev extras (make install)")
    path = Path(str(dist.locate_file(SCHEMA_IN_PACKAGE)))
    assert path.is_file(), f"check-jsonschema no longer vendors the compose schema at {path}"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _validate(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        _schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(map(str, err.absolute_path)) or '<root>'}: {err.message}"
        for err in validator.iter_errors(document)
    ]


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return _load(COMPOSE)


@pytest.fixture(scope="module")
def secure() -> dict[str, Any]:
    return _load(SECURE)


@pytest.fixture(scope="module")
def merged(base: dict[str, Any], secure: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = _merge(base, secure)
    return result


@pytest.fixture(scope="module", params=["base", "merged"])
def model(request: pytest.FixtureRequest) -> dict[str, Any]:
    value: dict[str, Any] = request.getfixturevalue(request.param)
    return value


def _image_tag(service: dict[str, Any]) -> tuple[str, str]:
    name, _, tag = service["image"].rpartition(":")
    return name, tag


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


# --- the Compose Specification ------------------------------------------------------------


def test_the_schema_is_the_compose_specification() -> None:
    schema = _schema()
    assert schema["title"] == "Compose Specification"
    assert "services" in schema["properties"]


def test_compose_file_matches_the_compose_schema(base: dict[str, Any]) -> None:
    assert _validate(base) == []


def test_secure_override_matches_the_compose_schema(
    secure: dict[str, Any], merged: dict[str, Any]
) -> None:
    assert _validate(secure) == []
    assert _validate(merged) == []


def test_the_validation_catches_mistakes(base: dict[str, Any]) -> None:
    typo: dict[str, Any] = {"helthcheck": {}}
    wrong = {"depends_on": {"setup": {"condition": "service_ready"}}}
    errors = _validate(_merge(base, {"services": {"kafka": typo, "indexer": wrong}}))
    assert any("helthcheck" in e for e in errors), errors
    assert any(e.startswith("services/indexer/depends_on") for e in errors), errors


# --- the pipeline's own image and commands ------------------------------------------------


def test_project_services_build_the_project_image(model: dict[str, Any]) -> None:
    services = model["services"]
    images = set()
    for name in PROJECT_SERVICES:
        service = services[name]
        assert service["build"] == {"context": ".", "dockerfile": DOCKERFILE}, name
        images.add(service["image"])
    assert len(images) == 1, f"one image for every role, got {images}"
    assert (ROOT / DOCKERFILE).is_file()


def test_commands_are_real_newswire_subcommands(model: dict[str, Any]) -> None:
    from newswire.cli.main import app

    registered = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name in PROJECT_SERVICES:
        command = _command(model["services"][name])
        assert command, f"{name} has no command"
        assert command[0] in registered, f"{name}: `newswire {command[0]}` does not exist"
        assert command[0] == name, f"service {name} runs `newswire {command[0]}`"
        params = {
            opt for p in registered[command[0]].params for opt in (*p.opts, *p.secondary_opts)
        }
        unknown = [a for a in command[1:] if a.startswith("-") and a not in params]
        assert unknown == [], f"{name}: unknown options {unknown}"


def test_pipeline_environment_uses_real_settings(model: dict[str, Any]) -> None:
    fields = set(Settings.model_fields)
    for name in PROJECT_SERVICES:
        env = _environment(model["services"][name])
        # Plain: kafka:9092 and http; secured: the SASL_SSL listener and https.
        assert env["NEWSWIRE_KAFKA_BOOTSTRAP"] in ("kafka:9092", "kafka:9093"), name
        assert re.fullmatch(r"https?://elasticsearch:9200", env["NEWSWIRE_ELASTICSEARCH_URL"])
        assert env["NEWSWIRE_KIBANA_URL"] == "http://kibana:5601", name
        for key in env:
            assert key.startswith("NEWSWIRE_"), f"{name}: {key}"
            assert key.removeprefix("NEWSWIRE_").lower() in fields, f"{name}: no setting {key}"


def test_roles_wait_for_setup_and_restart(model: dict[str, Any]) -> None:
    services = model["services"]
    assert services["setup"]["restart"] == "no"
    for name in ROLES:
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        depends = service["depends_on"]
        assert depends["setup"]["condition"] == "service_completed_successfully", name
        assert service["deploy"]["replicas"] == 1, name
    setup_deps = services["setup"]["depends_on"]
    for needed in ("kafka", "elasticsearch"):
        assert setup_deps[needed]["condition"] == "service_healthy"


def test_processor_keeps_its_state_in_a_named_volume(model: dict[str, Any]) -> None:
    processor = model["services"]["processor"]
    data_dir = _environment(processor)["NEWSWIRE_PROCESSOR_DATA_DIR"]
    mounts = {target: source for source, target in _volume_mounts(processor)}
    assert data_dir in mounts
    assert mounts[data_dir] in model["volumes"]


# --- infrastructure -----------------------------------------------------------------------


def test_image_versions_follow_the_settings(model: dict[str, Any]) -> None:
    settings = Settings()
    services = model["services"]
    assert _image_tag(services["kafka"]) == ("apache/kafka", settings.kafka_version)
    es_image = "docker.elastic.co/elasticsearch/elasticsearch"
    assert _image_tag(services["elasticsearch"]) == (es_image, settings.elasticsearch_version)
    assert _image_tag(services["kibana"]) == (
        "docker.elastic.co/kibana/kibana",
        settings.elasticsearch_version,
    )
    for name, service in services.items():
        if _image_tag(service)[0] == es_image:
            assert _image_tag(service)[1] == settings.elasticsearch_version, name


def test_long_running_services_have_healthchecks(model: dict[str, Any]) -> None:
    services = model["services"]
    for name, service in services.items():
        if service.get("restart") == "no":
            continue
        check = service.get("healthcheck")
        assert check and not check.get("disable") and check.get("test"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    # Every wait for "healthy" waits on something that can become healthy.
    for name, service in services.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy"
            if spec.get("condition") == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} is not one-shot"


def test_roles_healthchecks_ask_their_health_endpoints(model: dict[str, Any]) -> None:
    # The commands themselves are run against a live HTTP server in test_dockerfile.py.
    for name in ROLES:
        test = model["services"][name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"], f"{name}: {test}"
        assert "urllib.request.urlopen(" in test[3], name
        assert re.search(r"/(healthz|readyz)'", test[3]), name
    for name in ("connectors", "processor", "indexer"):
        assert "NEWSWIRE_METRICS_PORT', '9464'" in model["services"][name]["healthcheck"]["test"][3]


def _memory_limit(service: dict[str, Any]) -> str | None:
    limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    value = limits.get("memory") or service.get("mem_limit")
    return None if value is None else str(value)


def test_every_service_has_a_memory_limit_and_rotated_logs(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        limit = _memory_limit(service)
        assert limit and re.fullmatch(r"(\$\{[A-Z_]+:-)?\d+[kmg]\}?", limit), f"{name}: {limit}"
        logging = service.get("logging") or {}
        assert logging.get("driver") == "json-file", name
        options = logging.get("options") or {}
        assert re.fullmatch(r"\d+[kmg]", str(options.get("max-size", ""))), name
        assert int(options.get("max-file", 0)) >= 2, name


def test_processor_replicas_each_get_a_data_directory(model: dict[str, Any]) -> None:
    processor = model["services"]["processor"]
    # deploy/docker/data_slot.py, installed in the image under this name (test_dockerfile.py).
    assert processor["entrypoint"] == ["newswire-data-slot", "newswire"]
    assert _command(processor)[0] == "processor"
    assert processor["stop_grace_period"]


def test_api_is_opt_in_and_takes_its_keys_from_outside(model: dict[str, Any]) -> None:
    api = model["services"]["api"]
    assert api["profiles"] == ["api"]
    assert _command(api)[1:] == ["--host", "0.0.0.0", "--port", "8080"]
    assert [(p, t) for _, p, t in _ports(api)] == [(8080, 8080)]
    assert "NEWSWIRE_API_KEYS" in api["environment"]
    assert api["environment"]["NEWSWIRE_API_KEYS"] is None  # passed through, never written
    assert "'http://127.0.0.1:8080/readyz'" in api["healthcheck"]["test"][3]


def _ports(service: dict[str, Any]) -> list[tuple[str, int, int]]:
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append((port.get("host_ip", ""), int(port["published"]), int(port["target"])))
        else:
            parts = str(port).split(":")
            assert len(parts) == 3, f"{port}: publish as HOST_IP:HOST_PORT:CONTAINER_PORT"
            out.append((parts[0], int(parts[1]), int(parts[2].split("/")[0])))
    return out


def test_ports_are_published_on_loopback_only(model: dict[str, Any]) -> None:
    for name, service in model["services"].items():
        for host_ip, _, _ in _ports(service):
            assert host_ip == "127.0.0.1", f"{name} publishes on {host_ip or 'every interface'}"


def test_published_ports_are_the_cli_defaults(base: dict[str, Any]) -> None:
    settings = Settings()
    services = base["services"]
    es = [(p, t) for _, p, t in _ports(services["elasticsearch"])]
    assert es == [(settings.elasticsearch_port, 9200)]
    assert settings.elasticsearch_url == f"http://127.0.0.1:{settings.elasticsearch_port}"
    kafka = [(p, t) for _, p, t in _ports(services["kafka"])]
    assert kafka == [(settings.kafka_port, settings.kafka_port)]
    assert settings.kafka_bootstrap == f"127.0.0.1:{settings.kafka_port}"
    assert [p for _, p, _ in _ports(services["kibana"])] == [5601]
    assert settings.kibana_url == "http://127.0.0.1:5601"


def test_kafka_listeners_reach_containers_and_host(base: dict[str, Any]) -> None:
    settings = Settings()
    env = _environment(base["services"]["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    assert "kafka:9092" in advertised.values()  # NEWSWIRE_KAFKA_BOOTSTRAP of the roles
    assert settings.kafka_bootstrap in advertised.values()  # the CLI on the host
    listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
    assert set(advertised) <= set(listeners)
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in listeners
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised
    # Sizes and counts the pipeline relies on.
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) >= settings.max_raw_bytes + 1024 * 1024
    assert int(env["KAFKA_NUM_PARTITIONS"]) == settings.topic_partitions
    factors = {k: v for k, v in env.items() if k.endswith("REPLICATION_FACTOR")}
    assert factors and set(factors.values()) == {str(settings.topic_replication)}


def test_elasticsearch_is_a_dev_single_node(base: dict[str, Any]) -> None:
    es = base["services"]["elasticsearch"]
    env = _environment(es)
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "false"
    assert env["cluster.routing.allocation.disk.threshold_enabled"] == "false"
    heap = re.fullmatch(r"-Xms(\S+) -Xmx(\S+)", env["ES_JAVA_OPTS"])
    assert heap and heap.group(1) == heap.group(2)
    assert es["ulimits"]["memlock"] == {"soft": -1, "hard": -1}
    assert es["ulimits"]["nofile"]["soft"] >= 65536


def _volume_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            out.append((volume.get("source", ""), volume["target"]))
        else:
            source, target = str(volume).split(":")[:2]
            out.append((source, target))
    return out


def test_named_volumes_are_declared(model: dict[str, Any]) -> None:
    declared = set(model.get("volumes") or {})
    used = set()
    for name, service in model["services"].items():
        for source, _ in _volume_mounts(service):
            if not source.startswith((".", "/", "~", "$")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
                used.add(source)
    assert declared == used, f"declared but unused: {declared - used}"
    for stateful in ("kafka", "elasticsearch", "processor"):
        assert any(s in declared for s, _ in _volume_mounts(model["services"][stateful]))


def test_one_network_for_everything(model: dict[str, Any]) -> None:
    networks = set(model["networks"])
    assert len(networks) == 1
    for name, service in model["services"].items():
        assert set(service.get("networks", [])) == networks, name


# --- the secured variant ------------------------------------------------------------------

REQUIRED_VAR = re.compile(r"\$\{[A-Z_]+:\?[^}]+\}")
ANY_VAR = re.compile(r"\$\{([A-Z_]+)(?::?([-?])([^}]*))?\}")
# What secure.env holds, clearly fake; the two keys as create-keys prints them.
EXAMPLE_ENV = {
    "ELASTIC_PASSWORD": "EXAMPLE-elastic",
    "KIBANA_PASSWORD": "EXAMPLE-kibana",
    "KAFKA_ADMIN_PASSWORD": "EXAMPLE-kafka-admin",
    "KAFKA_NEWSWIRE_PASSWORD": "EXAMPLE-kafka-newswire",
    "ES_WRITER_API_KEY": "RVhBTVBMRS13cml0ZXI=",
    "ES_READER_API_KEY": "RVhBTVBMRS1yZWFkZXI=",
}
CA = "/certs/ca/ca.crt"


def _interpolate(value: str) -> str:
    """Compose's interpolation with the example env file: ${VAR...} substituted, $$ -> $."""
    parts = value.split("$$")

    def value_of(match: re.Match[str]) -> str:
        if match[1] in EXAMPLE_ENV:
            return EXAMPLE_ENV[match[1]]
        assert match[2] == "-", f"{match[0]}: not in the example env file"
        return match[3]  # the default

    return "$".join(ANY_VAR.sub(value_of, part) for part in parts)


def _settings_of(
    service: dict[str, Any], monkeypatch: pytest.MonkeyPatch, ca_file: Path
) -> Settings:
    """The settings a container of this service would start with (Settings() raises if refused)."""
    env = {k: _interpolate(v).replace(CA, str(ca_file)) for k, v in _environment(service).items()}
    with monkeypatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("NEWSWIRE_")]:
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        return Settings()


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "ca.crt"
    path.write_text("-----BEGIN CERTIFICATE-----\nEXAMPLE\n-----END CERTIFICATE-----\n")
    return path


def test_secure_roles_get_settings_newswire_accepts(
    merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch, ca_file: Path
) -> None:
    services = merged["services"]
    for name in PROJECT_SERVICES:
        settings = _settings_of(services[name], monkeypatch, ca_file)
        assert settings.kafka_bootstrap == "kafka:9093", name
        assert settings.kafka_security_protocol == "SASL_SSL", name
        assert settings.kafka_ssl_cafile == ca_file, name
        assert settings.kafka_sasl_mechanism == "PLAIN" and settings.kafka_sasl_username, name
        password = settings.kafka_sasl_password
        assert password and password.get_secret_value() == "EXAMPLE-kafka-newswire", name
        assert settings.elasticsearch_url == "https://elasticsearch:9200", name
        assert settings.elasticsearch_ca_certs == ca_file, name
        assert settings.elasticsearch_verify_certs, name
        assert settings.elasticsearch_username is None, name
        key = settings.elasticsearch_api_key
        wanted = "ES_READER_API_KEY" if name == "api" else "ES_WRITER_API_KEY"
        assert key and key.get_secret_value() == EXAMPLE_ENV[wanted], name
        # The CA they trust is mounted from the certs volume, read-only.
        assert ("certs", "/certs") in _volume_mounts(services[name]), name
        assert "certs:/certs:ro" in services[name]["volumes"], name


def test_secure_credentials_one_shot_is_a_real_command(
    merged: dict[str, Any], monkeypatch: pytest.MonkeyPatch, ca_file: Path
) -> None:
    from newswire.cli.main import app

    service = merged["services"]["es-credentials"]
    assert service["profiles"] == ["credentials"]  # never part of `up`: each run mints keys
    assert service["restart"] == "no"
    assert service["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    command = _command(service)
    group = typer.main.get_command(app).commands[command[0]]  # type: ignore[attr-defined]
    create = group.commands[command[1]]
    params = {opt for p in create.params for opt in (*p.opts, *p.secondary_opts)}
    assert [a for a in command[2:] if a.startswith("-")] == ["--admin-user"]
    assert "--admin-user" in params
    password = next(p for p in create.params if p.name == "admin_password")
    env = _environment(service)
    assert password.envvar in env and REQUIRED_VAR.fullmatch(env[password.envvar])
    settings = _settings_of(service, monkeypatch, ca_file)
    assert settings.elasticsearch_url.startswith("https://")
    assert settings.elasticsearch_ca_certs == ca_file


def test_no_url_carries_credentials(merged: dict[str, Any]) -> None:
    for name, service in merged["services"].items():
        for key, value in _environment(service).items():
            for url in re.findall(r"[a-z]+://\S+", _interpolate(value)):
                assert urlsplit(url).username is None, f"{name}: {key}"
            if key.startswith("NEWSWIRE_") and key.endswith("_URL"):
                assert "@" not in value, f"{name}: {key}"


def test_secure_elasticsearch_has_tls_on_http_and_transport(merged: dict[str, Any]) -> None:
    services = merged["services"]
    es = services["elasticsearch"]
    env = _environment(es)
    assert env["xpack.security.enabled"] == "true"
    assert REQUIRED_VAR.fullmatch(env["ELASTIC_PASSWORD"])
    mounts = dict(_volume_mounts(es))
    assert mounts["certs"] == "/usr/share/elasticsearch/config/certs"
    for layer in ("http", "transport"):
        assert env[f"xpack.security.{layer}.ssl.enabled"] == "true"
        for setting in ("key", "certificate", "certificate_authorities"):
            assert env[f"xpack.security.{layer}.ssl.{setting}"].startswith("certs/"), setting
    assert es["depends_on"]["certs"]["condition"] == "service_completed_successfully"
    check = " ".join(es["healthcheck"]["test"])
    assert "https://localhost:9200" in check and "--cacert config/certs/ca/ca.crt" in check
    assert "$$ELASTIC_PASSWORD" in check
    # Kibana and its password one-shot reach it over https with the CA.
    kibana = _environment(services["kibana"])
    assert kibana["ELASTICSEARCH_HOSTS"] == "https://elasticsearch:9200"
    assert kibana["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert kibana["ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES"].endswith("/certs/ca/ca.crt")
    assert services["kibana"]["depends_on"]["kibana-password"]["condition"] == (
        "service_completed_successfully"
    )
    one_shot = " ".join(services["kibana-password"]["entrypoint"])
    assert "https://elasticsearch:9200/_security/user/kibana_system/_password" in one_shot
    assert "--cacert /certs/ca/ca.crt" in one_shot


def test_certs_one_shot_makes_the_certificates_once(merged: dict[str, Any]) -> None:
    certs = merged["services"]["certs"]
    assert certs["restart"] == "no"
    assert _image_tag(certs)[0] == "docker.elastic.co/elasticsearch/elasticsearch"
    script = certs["entrypoint"][-1]
    assert "elasticsearch-certutil ca --silent --pem" in script
    assert script.count("elasticsearch-certutil cert") == 2
    assert script.count("--dns elasticsearch,localhost") == 1
    assert script.count("--dns kafka,localhost") == 1
    # Idempotent: each artefact is made only when missing.
    for made in ("ca/ca.crt", "elasticsearch/elasticsearch.crt", "kafka/kafka.p12"):
        assert f"if [ ! -f /certs/{made} ]" in script, made
    assert ("certs", "/certs") in _volume_mounts(certs)
    assert "certs" in merged["volumes"]


def test_secure_kafka_is_sasl_ssl_only_for_clients(merged: dict[str, Any]) -> None:
    kafka = merged["services"]["kafka"]
    env = _environment(kafka)
    protocols = dict(i.split(":") for i in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    advertised = dict(i.split("://", 1) for i in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    listeners = dict(i.split("://", 1) for i in env["KAFKA_LISTENERS"].split(","))
    assert set(advertised) <= set(listeners)
    assert {protocols[name] for name in advertised} == {"SASL_SSL"}
    assert advertised["SASL_SSL"] == "kafka:9093"  # NEWSWIRE_KAFKA_BOOTSTRAP of the roles
    assert Settings().kafka_bootstrap in advertised.values()  # the CLI on the host
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert controller not in advertised and listeners[controller] == ":9094"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9094"
    assert protocols[env["KAFKA_INTER_BROKER_LISTENER_NAME"]] == "SASL_SSL"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "PLAIN"
    # Each SASL listener has its JAAS, with the user the roles log in as.
    for name in advertised:
        jaas = env[f"KAFKA_LISTENER_NAME_{name.replace('_', '__')}_PLAIN_SASL_JAAS_CONFIG"]
        assert jaas.startswith("org.apache.kafka.common.security.plain.PlainLoginModule")
        assert 'user_newswire="${KAFKA_NEWSWIRE_PASSWORD:?' in jaas and jaas.endswith(";")
    # What the apache/kafka image's configure script demands with SSL and SASL listeners.
    for needed in ("KAFKA_SSL_KEYSTORE_FILENAME", "KAFKA_SSL_KEYSTORE_CREDENTIALS"):
        assert env[needed].startswith("kafka/"), needed
    assert env["KAFKA_SSL_KEY_CREDENTIALS"] and env["KAFKA_OPTS"]
    assert ("certs", "/etc/kafka/secrets") in _volume_mounts(kafka)
    check = kafka["healthcheck"]["test"][1]
    assert "--bootstrap-server kafka:9093" in check and "security.protocol=SASL_SSL" in check


def test_secure_override_adds_no_ports_or_images_of_its_own(secure: dict[str, Any]) -> None:
    settings = Settings()
    project_image = _load(COMPOSE)["x-newswire"]["image"]
    for name, service in secure["services"].items():
        assert "ports" not in service, name
        if "image" in service:
            tag = f":{settings.elasticsearch_version}"
            assert service["image"].endswith(tag) or service["image"] == project_image, name


def test_no_password_is_written_in_the_files(base: dict[str, Any], secure: dict[str, Any]) -> None:
    for document in (base, secure):
        for service in document["services"].values():
            for key, value in _environment(service).items():
                if key == "NEWSWIRE_API_KEYS":  # hashes, passed through from outside
                    assert value == "", key
                elif any(word in key for word in ("PASSWORD", "API_KEY")):
                    assert REQUIRED_VAR.fullmatch(value), key
                assert not re.search(r"://[^:/@]+:[^$@/][^@/]*@", value), f"{key}={value}"
                for password in re.findall(r'password="([^"]*)"', value):
                    assert REQUIRED_VAR.fullmatch(password), key

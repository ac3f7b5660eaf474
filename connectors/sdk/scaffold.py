"""``newswire connectors new NAME``: a new connector's folder, written from the skeleton.

The skeleton (``connectors/sdk/skeleton/*.tmpl``, ``string.Template`` placeholders) is a
working JSON API poller with its conformance test pre-wired: the folder runs and passes
its contract tests before its author changes a line.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template

NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")  # longer names overflow the skeleton's lines


class ScaffoldError(ValueError):
    """The connector cannot be written (bad name, existing folder, taken name)."""


@dataclass(frozen=True)
class Scaffold:
    """What ``new_connector`` wrote."""

    name: str
    package: str
    """Dotted import path of the new folder, e.g. ``connectors.city_wire``."""
    folder: Path
    test_file: Path
    files: tuple[Path, ...]

    @property
    def entry_point(self) -> str:
        """The pyproject.toml line that registers the connector."""
        return f'{self.name} = "{self.package}.connector:{class_name(self.name)}"'


def class_name(name: str, suffix: str = "Connector") -> str:
    """``city_wire`` -> ``CityWireConnector``."""
    return "".join(part.capitalize() for part in name.split("_") if part) + suffix


def package_of(folder: Path) -> str:
    """Dotted import path of ``folder``: its name, prefixed by every parent that is a
    package (has ``__init__.py``)."""
    parts = [folder.name]
    parent = folder.resolve().parent
    while (parent / "__init__.py").is_file():
        parts.append(parent.name)
        parent = parent.parent
    return ".".join(reversed(parts))


def new_connector(
    name: str, parent: Path, *, tests_dir: Path | None = None, taken: frozenset[str] = frozenset()
) -> Scaffold:
    """Write connector ``name`` as the folder ``parent/name`` (``connector.py``,
    ``__init__.py``, ``README.md``) and its contract test (into ``tests_dir``, default
    the folder itself). ``taken``: names already registered. Refuses to overwrite."""
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} cannot name a connector: use up to 20 lower-case letters, digits "
            "and underscores, starting with a letter (it is a Python package name)"
        )
    if name in taken:
        raise ScaffoldError(f"a connector named {name!r} is already registered")
    folder = parent / name
    test_file = (tests_dir or folder) / f"test_{name}_contract.py"
    for path in (folder, test_file):
        if path.exists():
            raise ScaffoldError(f"{path} already exists: not overwriting it")
    package = package_of(folder)
    cls = class_name(name)
    values = {
        "name": name,
        "slug": name.replace("_", "-"),
        "title": name.replace("_", " ").capitalize(),
        "cls": cls,
        "config": class_name(name, "Config"),
        "package": package,
        "test_file": test_file.name,
        "test_path": _shown(test_file),
    }
    connector_imports = [
        "from pydantic import Field, HttpUrl",
        "from connectors.sdk import ConnectorConfig, Cursor, Page, PollingConnector",
        "from connectors.sdk.apis import bad_payload",
        "from connectors.sdk.seen import Seen",
        "from wire.models import RawItem",
        "from wire.urls import normalize_url",
    ]
    own_import = f"from {package}.connector import {values['config']}, {cls}"
    test_imports = [
        "from connectors.sdk.testing import ConnectorContract, Server, json_reply",
        own_import,
    ]
    outputs = {
        folder / "__init__.py": ("__init__.py.tmpl", [own_import]),
        folder / "connector.py": ("connector.py.tmpl", connector_imports),
        folder / "README.md": ("README.md.tmpl", []),
        test_file: ("test_contract.py.tmpl", test_imports),
    }
    # In newswire's own tree the SDK and the models are first party and lines run to
    # 100; elsewhere only the new package is, and lines stop at ruff's default 88.
    in_tree = package.split(".")[0] == "connectors"
    first_party = {"connectors", "wire"} if in_tree else {package.split(".")[0]}
    line_length = 100 if in_tree else 88
    skeleton = files("connectors.sdk").joinpath("skeleton")
    folder.mkdir(parents=True)
    test_file.parent.mkdir(parents=True, exist_ok=True)
    for path, (template, imports) in outputs.items():
        text = skeleton.joinpath(template).read_text(encoding="utf-8")
        imported = import_blocks(imports, first_party=first_party, line_length=line_length)
        path.write_text(Template(text).substitute(values, imports=imported), encoding="utf-8")
    return Scaffold(name, package, folder, test_file, tuple(outputs))


def import_blocks(lines: list[str], *, first_party: set[str], line_length: int) -> str:
    """``from`` imports grouped and sorted as isort (ruff's ``I`` rules) would: third
    party, then first party, a blank line between; long lines wrapped in parentheses."""
    groups: dict[bool, list[str]] = {False: [], True: []}
    for line in lines:
        groups[line.split()[1].split(".")[0] in first_party].append(line)
    blocks = [
        "\n".join(_wrap(line, line_length) for line in sorted(g)) for g in groups.values() if g
    ]
    return "\n\n".join(blocks)


def _wrap(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    head, names = line.split(" import ")
    inner = "".join(f"    {n.strip()},\n" for n in names.split(","))
    return f"{head} import (\n{inner})"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)

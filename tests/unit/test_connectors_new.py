"""``newswire connectors new``: the skeleton is small, lint-clean, and passes its contract.

The generated package is never installed: its tests run in a pytest subprocess from the
folder it was written to, once as written (the registration check skips, saying what to
add) and once with its entry point declared through a bare ``.dist-info`` folder on the
path, which is what installing it would add.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from importlib.resources import files
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.sdk.scaffold import ScaffoldError, new_connector
from newswire.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _pytest(
    cwd: Path, *args: str, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _code_lines(path: Path) -> int:
    """Lines of code: neither blank, nor comment, nor the module docstring."""
    tree = ast.parse(path.read_text())
    doc = tree.body[0]
    skip = set(range(doc.lineno, (doc.end_lineno or doc.lineno) + 1))
    return sum(
        1
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if n not in skip and line.strip() and not line.strip().startswith("#")
    )


def test_skeleton_passes_its_contract_uninstalled(tmp_path: Path) -> None:
    made = new_connector("city_wire", tmp_path)
    assert made.package == "city_wire"
    assert {p.name for p in made.folder.iterdir()} == {
        "__init__.py",
        "connector.py",
        "README.md",
        "test_city_wire_contract.py",
    }
    assert _code_lines(made.folder / "connector.py") <= 50
    result = _pytest(tmp_path, "city_wire")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "21 passed, 1 skipped" in result.stdout
    # The skip says exactly what to add; the README gives the same line.
    assert made.entry_point in result.stdout
    assert made.entry_point in (made.folder / "README.md").read_text()


def test_skeleton_passes_every_check_once_registered(tmp_path: Path) -> None:
    made = new_connector("city_wire", tmp_path)
    # What `pip install` of a package declaring the README's snippet leaves on the path.
    dist = tmp_path / "city_wire-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: city-wire\nVersion: 0.1\n")
    ini_line = made.entry_point.replace('"', "")  # entry_points.txt is INI, not TOML
    (dist / "entry_points.txt").write_text(f"[newswire.connectors]\n{ini_line}\n")
    test = made.test_file.read_text()
    made.test_file.write_text(test.replace("    require_registration = False\n", ""))
    result = _pytest(tmp_path, "city_wire", pythonpath=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "22 passed" in result.stdout and "skipped" not in result.stdout


@pytest.mark.skipif(not (BIN / "ruff").exists(), reason="ruff is not installed")
def test_skeleton_is_lint_clean_in_tree_and_out(tmp_path: Path) -> None:
    # A third-party package: ruff's defaults plus this project's rule set.
    new_connector("a_twenty_char_name_x", tmp_path)  # the longest name: lines still fit
    rules = ["--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF,PT,DTZ"]
    for cmd in (["check", *rules], ["format", "--isolated", "--check"]):
        done = subprocess.run([BIN / "ruff", *cmd, "."], cwd=tmp_path, capture_output=True)
        assert done.returncode == 0, done.stdout.decode()
    # In newswire's tree (connectors/NAME): checked with the repository's own settings,
    # as if the files sat there (ruff reads them from stdin under that name).
    parent = tmp_path / "tree" / "connectors"
    parent.mkdir(parents=True)
    (parent / "__init__.py").touch()
    made = new_connector("city_wire", parent)
    assert made.package == "connectors.city_wire"
    for name in ("connector.py", "__init__.py"):
        source = (made.folder / name).read_bytes()
        for cmd in (["check"], ["format", "--check"]):
            done = subprocess.run(
                [BIN / "ruff", *cmd, "--stdin-filename", f"connectors/city_wire/{name}", "-"],
                cwd=ROOT,
                input=source,
                capture_output=True,
            )
            assert done.returncode == 0, (name, done.stdout.decode())


@pytest.mark.skipif(not (BIN / "mypy").exists(), reason="mypy is not installed")
def test_skeleton_type_checks(tmp_path: Path) -> None:
    new_connector("city_wire", tmp_path)
    cache = tmp_path / "cache"
    config: list[str | Path] = ["--config-file", ROOT / "pyproject.toml", "--cache-dir", cache]
    done = subprocess.run(
        [BIN / "mypy", *config, "city_wire"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_tests_dir_puts_the_test_apart(tmp_path: Path) -> None:
    made = new_connector("harbour_news", tmp_path / "src", tests_dir=tmp_path / "tests")
    assert made.test_file == tmp_path / "tests" / "test_harbour_news_contract.py"
    imported = "from harbour_news.connector import HarbourNewsConfig, HarbourNewsConnector"
    assert imported in made.test_file.read_text()
    assert not (made.folder / made.test_file.name).exists()


@pytest.mark.parametrize("name", ["City-Wire", "1wire", "class", "wire!", "", "w" * 21])
def test_names_that_cannot_be_packages_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScaffoldError, match="cannot name a connector"):
        new_connector(name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_cli_refuses_a_taken_name_and_an_existing_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    taken = runner.invoke(app, ["connectors", "new", "rss", "--dir", str(tmp_path)])
    assert taken.exit_code == 1 and "already registered" in taken.output
    first = runner.invoke(app, ["connectors", "new", "city_wire", "--dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert 'city_wire = "city_wire.connector:CityWireConnector"' in first.output
    again = runner.invoke(app, ["connectors", "new", "city_wire", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_connectors_without_subcommand_still_runs_the_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path | None, str, int | None]] = []
    monkeypatch.setattr(
        "newswire.cli.roles.connectors",
        lambda s, level, port: calls.append((s, level, port)),
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n")
    args = ["connectors", "-s", str(sources), "--log-level", "info", "--metrics-port", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert calls == [(sources, "info", 0)]
    listed = CliRunner().invoke(app, ["connectors", "list", "--json"])
    assert listed.exit_code == 0 and calls == [(sources, "info", 0)]  # a subcommand is no run


def test_connectors_list_shows_config_and_capabilities() -> None:
    result = CliRunner().invoke(app, ["connectors", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in map(json.loads, result.output.splitlines())}
    assert rows["rss"]["module"] == "connectors.rss:RssConnector"
    url = next(f for f in rows["rss"]["config"] if f["name"] == "url")
    assert url["required"] and not url["secret"] and url["type"] == "HttpUrl"
    assert rows["archive"]["capabilities"]["needs_key"] == "no"


def test_skeleton_templates_ship_as_package_data() -> None:
    skeleton = files("connectors.sdk").joinpath("skeleton")
    names = sorted(p.name for p in skeleton.iterdir())
    assert "connector.py.tmpl" in names and "test_contract.py.tmpl" in names
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = declared["package-data"]["connectors"]
    for name in names:  # a wheel would carry every template
        assert any(fnmatch(f"sdk/skeleton/{name}", p) for p in patterns), name

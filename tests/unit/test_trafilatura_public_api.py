"""trafilatura is used through its public, top-level API only, anywhere in the package.

Why: its submodules (``trafilatura.utils``, ``.metadata``, ``.settings``, ``.xpaths``, ...)
are implementation and change between minor releases without notice; the requirement is
bounded to one tested minor (pyproject.toml) and the extraction goldens
(test_extract_golden.py) catch behaviour changes, but only the public names are promised to
stay. The walk is static (AST), so an import inside a function or a lazy
``importlib.import_module("trafilatura.x")`` is caught as well as a module-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("wire", "newswire", "pipeline", "connectors")
# trafilatura's top-level public names (its __all__, __version__, and Document as the issue
# allows); a name not listed here is, for this test, a reach into a submodule
PUBLIC = frozenset(
    {
        "__version__",
        "bare_extraction",
        "baseline",
        "Document",
        "extract",
        "extract_metadata",
        "extract_with_metadata",
        "fetch_response",
        "fetch_url",
        "html2txt",
        "load_html",
    }
)
_IMPORTERS = frozenset({"import_module", "__import__"})


def _private(dotted: str) -> bool:
    """Whether a dotted name imported or accessed reaches below trafilatura's top level."""
    parts = dotted.split(".")
    return parts[0] == "trafilatura" and len(parts) > 1


def violations(source: str, filename: str = "<string>") -> Iterator[tuple[int, str]]:
    """(line, what) for every use of a trafilatura submodule in one module's source."""
    tree = ast.parse(source, filename=filename)
    aliases: set[str] = set()  # local names bound to the trafilatura package itself
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _private(alias.name):
                    yield node.lineno, f"import {alias.name}"
                elif alias.name == "trafilatura":
                    aliases.add(alias.asname or "trafilatura")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _private(node.module):
                yield node.lineno, f"from {node.module} import ..."
            elif node.module == "trafilatura":
                for alias in node.names:
                    if alias.name not in PUBLIC:
                        yield node.lineno, f"from trafilatura import {alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            text = first.value if isinstance(first, ast.Constant) else None
            if name in _IMPORTERS and isinstance(text, str) and _private(text):
                yield node.lineno, f"{name}({text!r})"
    for node in ast.walk(tree):  # attribute access, once every alias is known
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr not in PUBLIC
        ):
            yield node.lineno, f"{node.value.id}.{node.attr}"


def _sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_package_uses_only_trafilaturas_public_api() -> None:
    sources = _sources()
    assert len(sources) > 50, "the walk found the package's modules"
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in sources
        for line, what in violations(path.read_text(encoding="utf-8"), str(path))
    ]
    assert not found, (
        "trafilatura used below its public API (use trafilatura.extract, bare_extraction, "
        "baseline, html2txt, extract_metadata, load_html, or own the logic):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "source",
    [
        "from trafilatura.utils import load_html",
        "import trafilatura.metadata",
        "import trafilatura.settings as s",
        "from trafilatura import metadata as traf_meta",
        "from trafilatura import xpaths",
        "import trafilatura\nx = trafilatura.utils.load_html('')",
        "import trafilatura as t\nt.htmlprocessing.tree_cleaning(None)",
        "def f():\n    from trafilatura.deduplication import LRUCache",
        "import importlib\nimportlib.import_module('trafilatura.main_extractor')",
    ],
)
def test_each_way_into_a_submodule_is_caught(source: str) -> None:
    assert list(violations(source))


@pytest.mark.parametrize(
    "source",
    [
        "import trafilatura\ntrafilatura.extract('<html/>')\ntrafilatura.__version__",
        "from trafilatura import bare_extraction, baseline, extract_metadata, html2txt",
        "import trafilatura as t\nt.bare_extraction('x', fast=True)",
        "import lxml.html\nlxml.html.fromstring('<p/>')",  # other packages are not concerned
        "utils = object()\nutils.trafilatura_like",
    ],
)
def test_public_use_passes(source: str) -> None:
    assert not list(violations(source))


def test_a_violation_is_reported_with_its_line() -> None:
    source = "import trafilatura\n\n\nvalue = trafilatura.xml.build_json_output"
    assert list(violations(source)) == [(4, "trafilatura.xml")]

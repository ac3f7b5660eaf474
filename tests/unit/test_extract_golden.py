"""Extraction output on a fixed set of pages: fails loudly when a library upgrade changes it.

Why: trafilatura is required within one tested minor range (pyproject.toml); a new minor
(or a new htmldate, jusText or lxml under it) may change titles, dates or bodies without
breaking a single assertion elsewhere. These goldens pin, per page, what the chain gives
(``chain.*``: title, authors, time, language, canonical URL, site, image, method, body,
embeds, related) and what each trafilatura entry point we call gives (``trafilatura.*``:
``bare_extraction`` text as run_trafilatura runs it, ``baseline`` paragraphs,
``extract_metadata`` fields), so a failure says which layer moved.

Two sets, both under tests/fixtures/extract_golden/:

* ``own.json``: pages written for this test (``pages/*.html``, no third-party text),
  stored in full; always run;
* ``corpus.json``: about 20 news pages of ../shared/corpus/html/fundus, stored as a
  SHA-256 digest and the first 200 characters of each field (the pages are not ours);
  skipped when the shared corpus is absent.

After a deliberate upgrade (or a deliberate change to the chain), read the differences the
failures list, re-measure body F1 (``python -m pipeline.extract.measure``), then regenerate::

    .venv/bin/python tests/unit/test_extract_golden.py --update

and commit the new goldens with the version bump.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":  # run as a script: the repository's packages first
    sys.path.insert(0, str(ROOT))

from pipeline.extract import extract  # noqa: E402
from pipeline.extract.body import drop_inert, parse_html, run_baseline, run_trafilatura  # noqa: E402
from pipeline.extract.metadata import read_fallback_metadata  # noqa: E402

GOLDEN = ROOT / "tests" / "fixtures" / "extract_golden"
PAGES = GOLDEN / "pages"
CORPUS = ROOT.parent / "shared" / "corpus" / "html" / "fundus"
CORPUS_PAGES = 20
HEAD = 200
NOW = datetime(2030, 1, 1, tzinfo=UTC)  # bounds plausible times; fixed so goldens hold
LIBRARIES = ("trafilatura", "htmldate", "justext", "lxml", "courlan")
UPDATE = ".venv/bin/python tests/unit/test_extract_golden.py --update"
# the URL each own page is read under (default https://news.example/<stem>)
OWN_URLS = {
    "bare_markup.html": "https://valleypost.example/2023/11/02/night-trains-valley-line",
    "full_markup.html": "https://courier.example/local/harbour-pier-vote?utm_source=rss",
    "table_report.html": "https://hafenblatt.example/pegel-nordhafen",
}
FALLBACK_FIELDS = ("title", "author", "date", "sitename", "image", "url")


def own_url(name: str) -> str:
    return OWN_URLS.get(name, f"https://news.example/{Path(name).stem}")


def _text(value: Any) -> str:
    """One string per field value: strings as they are, everything else as sorted JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(type(value))


def outputs(html: str, url: str) -> dict[str, str]:
    """Every pinned field of one page, as text."""
    result = extract(html, url, now=NOW)
    fields: dict[str, Any] = {
        f"chain.{name}": getattr(result, name)
        for name in (
            *("title", "authors", "published_at", "lang", "canonical_url", "site_name"),
            *("image", "method", "body", "embeds", "related"),
        )
    }
    tree = parse_html(html)
    if tree is not None:
        info = read_fallback_metadata(tree, url)  # before drop_inert, as the chain runs it
        for name in FALLBACK_FIELDS:
            fields[f"trafilatura.metadata.{name}"] = getattr(info, name, None)
        tree = drop_inert(tree)
        fields["trafilatura.text"] = getattr(run_trafilatura(tree, url), "text", None)
        fields["trafilatura.baseline"] = run_baseline(tree)
    return {name: _text(value) for name, value in fields.items()}


def digest(text: str) -> dict[str, str]:
    return {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "head": text[:HEAD]}


def library_versions() -> dict[str, str]:
    return {name: version(name) for name in LIBRARIES}


def corpus_selection() -> list[tuple[str, str]]:
    """(file, url) of :data:`CORPUS_PAGES` fundus pages spread over the index, in order."""
    rows = sorted(json.loads((CORPUS / "index.json").read_text("utf-8")), key=lambda r: r["file"])
    step = len(rows) / CORPUS_PAGES
    return [(rows[int(i * step)]["file"], rows[int(i * step)]["url"]) for i in range(CORPUS_PAGES)]


def read_corpus_page(name: str) -> str:
    return gzip.decompress((CORPUS / name).read_bytes()).decode("utf-8", errors="replace")


def _load(name: str) -> dict[str, Any]:
    """A golden file; empty when missing (the coverage test then fails, naming --update)."""
    path = GOLDEN / name
    if not path.exists():
        return {"libraries": {}, "pages": {}}
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _failure(page: str, golden: dict[str, Any], diffs: list[str]) -> str:
    made, now = golden["libraries"], library_versions()
    changed = [f"{n} {made.get(n)} -> {v}" for n, v in now.items() if made.get(n) != v]
    return (
        f"extraction output changed on {page} ({len(diffs)} field(s)); goldens made with "
        f"trafilatura {made.get('trafilatura')}, installed trafilatura {now['trafilatura']}"
        + (f" (changed: {', '.join(changed)})" if changed else "")
        + ":\n"
        + "\n".join(diffs)
        + "\nIf the change is deliberate (an upgrade, or a change to the chain), check these "
        f"differences and body F1 (python -m pipeline.extract.measure), then run: {UPDATE}"
    )


OWN = _load("own.json")
CORPUS_GOLDEN = _load("corpus.json")


def test_every_own_page_has_a_golden() -> None:
    assert sorted(p.name for p in PAGES.glob("*.html")) == sorted(OWN["pages"]), UPDATE


@pytest.mark.parametrize("name", sorted(OWN["pages"]))
def test_own_page_output_is_unchanged(name: str) -> None:
    expected: dict[str, str] = OWN["pages"][name]["fields"]
    got = outputs((PAGES / name).read_text("utf-8"), OWN["pages"][name]["url"])
    diffs = [
        f"  {field}:\n    expected {expected.get(field)!r}\n    got      {got.get(field)!r}"
        for field in sorted(set(expected) | set(got))
        if expected.get(field) != got.get(field)
    ]
    assert not diffs, _failure(name, OWN, diffs)


@pytest.mark.parametrize("name", sorted(CORPUS_GOLDEN["pages"]))
def test_corpus_page_output_is_unchanged(name: str) -> None:
    if not (CORPUS / name).exists():
        pytest.skip(f"shared corpus not available: {CORPUS / name} is absent")
    entry = CORPUS_GOLDEN["pages"][name]
    expected: dict[str, dict[str, str]] = entry["fields"]
    got = {
        field: digest(text) for field, text in outputs(read_corpus_page(name), entry["url"]).items()
    }
    diffs = [
        f"  {field}:\n    expected {expected.get(field, {}).get('head')!r}"
        f"\n    got      {got.get(field, {}).get('head')!r}  (digests differ)"
        for field in sorted(set(expected) | set(got))
        if expected.get(field, {}).get("sha256") != got.get(field, {}).get("sha256")
    ]
    assert not diffs, _failure(name, CORPUS_GOLDEN, diffs)


def test_a_changed_field_fails_naming_page_field_and_version() -> None:
    """The guard itself: a golden that no longer matches yields the promised message."""
    name = sorted(OWN["pages"])[0]
    message = _failure(name, OWN, ["  chain.title:\n    expected 'a'\n    got      'b'"])
    assert name in message and "chain.title" in message
    assert f"trafilatura {OWN['libraries']['trafilatura']}" in message and UPDATE in message


def update() -> None:
    """Rewrite the goldens from what the installed libraries give (see the module doc)."""
    own = {
        page.name: {
            "url": own_url(page.name),
            "fields": outputs(page.read_text("utf-8"), own_url(page.name)),
        }
        for page in sorted(PAGES.glob("*.html"))
    }
    _write("own.json", own)
    if not CORPUS.exists():
        print(f"{CORPUS} is absent: corpus.json left as it is", file=sys.stderr)
        return
    corpus = {
        name: {
            "url": url,
            "fields": {f: digest(t) for f, t in outputs(read_corpus_page(name), url).items()},
        }
        for name, url in corpus_selection()
    }
    _write("corpus.json", corpus)


def _write(name: str, pages: dict[str, Any]) -> None:
    data = {"libraries": library_versions(), "now": NOW.isoformat(), "pages": pages}
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (GOLDEN / name).write_text(text, encoding="utf-8")
    print(f"wrote {GOLDEN / name}: {len(pages)} pages")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        raise SystemExit(f"usage: {UPDATE}")
    update()

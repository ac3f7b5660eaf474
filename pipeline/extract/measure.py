"""Measure extraction settings on the shared development corpus (a developer tool).

Why it exists: the trafilatura options in :mod:`pipeline.extract.body` were chosen by
numbers, not taste, and this module makes those numbers reproducible::

    .venv/bin/python -m pipeline.extract.measure [CORPUS_HTML_DIR]

It scores raw trafilatura configurations (not the whole ``extract`` chain, so the
option choice is not confounded by our own cleanup) on three labelled sets:

* ``fundus``: 181 current news pages with the expected body paragraphs; token
  precision / recall / F1 of the extracted body against them;
* ``trafilatura``: trafilatura's own snippets that must (``with``) or must not
  (``without``) appear in the body;
* ``readability``: token F1 against readability's reference ``expected.html``.

Nothing here runs in the pipeline; it only reads files.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

import lxml.html
import trafilatura

DEFAULT_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "html"
PLACEHOLDER_URL = "https://corpus.invalid/"

_TOKEN = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f\u1000-\u109f]")


@dataclass(frozen=True)
class CorpusPage:
    """One page of the development corpus and the URL it was fetched from, when known."""

    path: Path
    url: str
    collection: str

    def read(self) -> str:
        data = self.path.read_bytes()
        if self.path.suffix == ".gz":
            data = gzip.decompress(data)
        return data.decode("utf-8", errors="replace")


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def iter_corpus_pages(root: Path = DEFAULT_ROOT) -> Iterator[CorpusPage]:
    """Every HTML page of ``shared/corpus/html`` in a stable order, with its URL if known.

    Readability's ``expected.html`` files are references, not inputs, so they are skipped.
    """
    urls: dict[Path, str] = {}
    fundus = root / "fundus" / "index.json"
    if fundus.exists():
        for row in _json(fundus):
            urls[root / "fundus" / row["file"]] = row["url"]
    evaldata = root / "trafilatura" / "evaldata.subset.json"
    if evaldata.exists():
        for url, row in _json(evaldata).items():
            urls[root / "trafilatura" / row["folder"] / row["file"]] = url
    mediacloud = root / "mediacloud-metadata-lib" / "index.json"
    if mediacloud.exists():
        for row in _json(mediacloud):
            if isinstance(row.get("url"), str):
                urls[root / "mediacloud-metadata-lib" / row["file"]] = row["url"]
    for sidecar in [*root.glob("goose3/*/*.json"), *root.glob("newspaper4k/metadata/*.json")]:
        try:
            url = _json(sidecar).get("url")
        except (ValueError, AttributeError):
            continue
        page = sidecar.with_suffix(".html")
        if sidecar.parent.name == "metadata":
            page = sidecar.parent.parent / "html" / (sidecar.stem + ".html")
        if isinstance(url, str):
            urls[page] = url
    paths = sorted([*root.rglob("*.html"), *root.rglob("*.htm"), *root.rglob("*.html.gz")])
    for path in paths:
        if path.name == "expected.html":
            continue
        collection = path.relative_to(root).parts[0]
        yield CorpusPage(path, urls.get(path, PLACEHOLDER_URL + path.name), collection)


def tokens(text: str) -> Counter[str]:
    """Word tokens, one per character for scripts written without spaces."""
    out: Counter[str] = Counter()
    for tok in _TOKEN.findall(unicodedata.normalize("NFC", text).lower()):
        if _CJK.search(tok):
            out.update(tok)
        else:
            out[tok] += 1
    return out


def prf(predicted: str, expected: str) -> tuple[float, float, float]:
    """Bag-of-tokens precision, recall and F1."""
    got, want = tokens(predicted), tokens(expected)
    overlap = sum((got & want).values())
    p = overlap / sum(got.values()) if got else 0.0
    r = overlap / sum(want.values()) if want else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _fundus_expected(root: Path) -> Iterator[tuple[CorpusPage, str]]:
    for row in _json(root / "fundus" / "index.json"):
        body = _json(root / "fundus" / row["expected_json"])[row["expected_key"]]["body"]
        parts = list(body.get("summary", []))
        for section in body.get("sections", []):
            parts += section.get("headline", []) + section.get("paragraphs", [])
        yield CorpusPage(root / "fundus" / row["file"], row["url"], "fundus"), "\n".join(parts)


def _readability_expected(root: Path) -> Iterator[tuple[CorpusPage, str]]:
    for folder in sorted((root / "readability").iterdir()):
        if (folder / "source.html").exists() and (folder / "expected.html").exists():
            ref = lxml.html.fromstring((folder / "expected.html").read_bytes()).text_content()
            yield CorpusPage(folder / "source.html", PLACEHOLDER_URL, "readability"), ref


Config = dict[str, Any]

CONFIGS: dict[str, Config] = {
    "default": {},
    "precision": {"favor_precision": True},
    "recall": {"favor_recall": True},
    "no_tables": {"include_tables": False},
    # no per-document ``deduplicate`` row: its cache class is not trafilatura's public API
    # (measured with trafilatura 2.3: fundus F1 0.951, one page emptied; see body.py)
    "precision_no_tables": {"favor_precision": True, "include_tables": False},
    "fast": {"fast": True},
    # the whole stage: chosen options plus our markup and text cleanup
    "pipeline": {"pipeline": True},
}


def run_config(html: str, url: str, config: Config) -> str:
    """The body text trafilatura gives under one configuration (comments always off)."""
    if config.get("pipeline"):
        from pipeline.extract import extract

        return extract(html, url).body
    text = trafilatura.extract(html, url=url, include_comments=False, **config)
    return text or ""


def score(name: str, config: Config, root: Path) -> dict[str, float]:
    """All metrics of one configuration; ``seconds`` is the extraction time per page."""
    runs: list[tuple[str, str, str]] = []  # (collection, predicted, expected or json)
    elapsed = 0.0
    labelled: list[tuple[CorpusPage, str]] = [*_fundus_expected(root), *_readability_expected(root)]
    evaldata = _json(root / "trafilatura" / "evaldata.subset.json")
    for url, row in evaldata.items():
        page = CorpusPage(root / "trafilatura" / row["folder"] / row["file"], url, "trafilatura")
        labelled.append((page, json.dumps(row)))
    for page, expected in labelled:
        html = page.read()
        start = time.perf_counter()
        predicted = run_config(html, page.url, config)
        elapsed += time.perf_counter() - start
        runs.append((page.collection, predicted, expected))
    result: dict[str, float] = {"seconds": elapsed / len(runs)}
    for collection in ("fundus", "readability"):
        scores = [prf(p, e) for c, p, e in runs if c == collection]
        result[f"{collection}_p"] = mean(s[0] for s in scores)
        result[f"{collection}_r"] = mean(s[1] for s in scores)
        result[f"{collection}_f1"] = mean(s[2] for s in scores)
        result[f"{collection}_empty"] = sum(1 for c, p, _ in runs if c == collection and not p)
    with_hits = with_total = without_hits = without_total = 0
    for collection, predicted, expected in runs:
        if collection != "trafilatura":
            continue
        row = json.loads(expected)
        # NBSP, line breaks and Unicode normal form are not content
        predicted = unicodedata.normalize("NFC", " ".join(predicted.split()))
        row = {
            k: [unicodedata.normalize("NFC", " ".join(s.split())) for s in row[k]]
            for k in ("with", "without")
        }
        with_total += len(row["with"])
        with_hits += sum(1 for s in row["with"] if s in predicted)
        without_total += len(row["without"])
        without_hits += sum(1 for s in row["without"] if s not in predicted)
    result["traf_with"] = with_hits / with_total
    result["traf_without"] = without_hits / without_total
    return result


def score_metadata(root: Path) -> dict[str, float]:
    """Title, authors and publication time of ``extract`` against the fundus labels."""
    from datetime import UTC, datetime

    from pipeline.extract import extract

    counts: Counter[str] = Counter()
    for row in _json(root / "fundus" / "index.json"):
        expected = _json(root / "fundus" / row["expected_json"])[row["expected_key"]]
        page = CorpusPage(root / "fundus" / row["file"], row["url"], "fundus")
        got = extract(page.read(), page.url)
        counts["pages"] += 1
        title = " ".join((expected.get("title") or "").split())
        counts["title_exact"] += got.title == title
        want_authors = {a.casefold() for a in expected.get("authors") or []}
        counts["authors_exact"] += {a.casefold() for a in got.authors} == want_authors
        when = expected.get("publishing_date")
        if when and got.published_at:
            want = datetime.fromisoformat(when)
            if want.tzinfo is None:
                want = want.replace(tzinfo=UTC)  # fundus stores naive times in UTC
            delta = abs((got.published_at - want).total_seconds())
            counts["date_within_1min"] += delta <= 60
            counts["date_same_day"] += got.published_at.date() == want.date()
        counts["date_missing"] += bool(when) and got.published_at is None
        counts["date_labelled"] += bool(when)
    pages, dated = counts["pages"], max(1, counts["date_labelled"])
    return {
        "title_exact": counts["title_exact"] / pages,
        "authors_exact": counts["authors_exact"] / pages,
        "date_within_1min": counts["date_within_1min"] / dated,
        "date_same_day": counts["date_same_day"] / dated,
        "date_missing": counts["date_missing"] / dated,
    }


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT_ROOT
    if not root.exists():
        print(f"corpus not found: {root}", file=sys.stderr)
        return 2
    if argv[2:] == ["metadata"]:
        for key, value in score_metadata(root).items():
            print(f"{key.ljust(22)}{value:8.3f}")
        return 0
    names = argv[2:] or list(CONFIGS)
    columns: list[str] = []
    for name in names:
        result = score(name, CONFIGS[name], root)
        if not columns:
            columns = list(result)
            print("config".ljust(22) + " ".join(c.rjust(14) for c in columns))
        print(name.ljust(22) + " ".join(f"{result[c]:14.3f}" for c in columns), flush=True)
    return 0


if __name__ == "__main__":
    _entry: Callable[[list[str]], int] = main
    raise SystemExit(_entry(sys.argv))

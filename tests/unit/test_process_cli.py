"""``newswire process``: the chain offline, in extraction processes, JSONL in and out.

One run over a file that mixes good pages, copies of one story under tracking, AMP and
mobile URLs, and lines that must become dead letters; the tests read its outputs. The
seed article's run is skipped when ../shared is absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newswire.cli.main import app
from tests.support.site import make_stories

BASE = "https://steppe.example"
MIRROR = "https://mirror.example"
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "seed-article.html"


@dataclass
class Run:
    exit_code: int
    output: str
    articles: list[dict[str, Any]]
    dead_letters: list[dict[str, Any]]


def run_process(tmp: Path, lines: list[str], *args: str) -> Run:
    raw, out = tmp / "raw.jsonl", tmp / "articles.jsonl"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["process", "-i", str(raw), "-o", str(out), *args])
    dlq = out.with_suffix(".dlq.jsonl")
    said = " ".join(result.output.split())  # the console wraps long lines
    return Run(result.exit_code, said, _read(out), _read(dlq))


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Run:
    first, second = make_stories(2)
    page = first.html(BASE)
    lines = [
        json.dumps(
            {"url": f"{BASE}/news/{first.slug}?utm_source=rss&utm_medium=feed", "html": page}
        ),
        "",  # blank lines are skipped
        json.dumps({"url": f"{BASE}/news/{second.slug}", "html": second.html(BASE)}),
        '{"url": "https://steppe.example/broken", "html": "<p>trunc',  # truncated JSON
        json.dumps({"url": f"{BASE}/amp/news/{first.slug}", "html": page}),
        json.dumps(
            {"url": f"{BASE}/nav-only", "html": "<html><body><nav>Home</nav></body></html>"}
        ),
        json.dumps({"url": f"{BASE}/news/{first.slug}?sessionid=42", "html": page}),
        json.dumps(["not", "an", "object"]),
        # the same text printed by another site: merged by content, its URL kept
        json.dumps({"url": f"{MIRROR}/news/{first.slug}", "html": first.html(MIRROR)}),
    ]
    return run_process(tmp_path_factory.mktemp("mixed"), lines, "--jobs", "2")


def test_good_pages_are_written_in_input_order(mixed: Run) -> None:
    assert mixed.exit_code == 0, mixed.output
    first, second = make_stories(2)
    assert [a["title"] for a in mixed.articles] == [first.title, second.title]
    assert mixed.articles[0]["url"] == f"{BASE}/news/{first.slug}"  # canonical, untracked
    assert mixed.articles[0]["body"].startswith(first.paragraphs[0])
    assert "newsletter" not in mixed.articles[0]["body"]


def test_copies_under_other_urls_are_merged_into_the_first(mixed: Run) -> None:
    assert "3 exact copies merged" in mixed.output
    assert len({a["id"] for a in mixed.articles}) == len(mixed.articles) == 2
    first = make_stories(1)[0]
    # as the stream's indexer does: the story lists every URL it was seen under
    assert f"{MIRROR}/news/{first.slug}" in mixed.articles[0]["urls"]
    assert mixed.articles[0]["url"] == f"{BASE}/news/{first.slug}"


def test_bad_lines_become_dead_letters_with_reasons_and_the_run_goes_on(mixed: Run) -> None:
    by_offset = {letter["offset"]: letter for letter in mixed.dead_letters}
    assert sorted(by_offset) == [4, 6, 8]
    assert by_offset[4]["error_class"] == "JSONDecodeError"
    assert by_offset[6]["error_class"] == "NotAnArticle"
    assert "must be a JSON object" in by_offset[8]["message"]
    assert by_offset[4]["payload"].startswith('{"url": "https://steppe.example/broken"')
    assert "3 failed" in mixed.output


def test_a_file_of_only_bad_lines_fails(tmp_path: Path) -> None:
    run = run_process(tmp_path, ["{", "[]"], "--jobs", "1")
    assert run.exit_code == 1
    assert "no line could be processed" in run.output
    assert len(run.dead_letters) == 2


def test_the_seed_article_through_newswire_process(tmp_path: Path) -> None:
    if not SEED.exists():
        pytest.skip(f"shared samples not available: {SEED} is absent")
    url = "https://news.example.com/world/taliban-iran-tehran-meeting?utm_source=rss"
    line = json.dumps({"url": url, "html": SEED.read_text(encoding="utf-8")})
    run = run_process(tmp_path, [line], "--jobs", "1")
    assert run.exit_code == 0, run.output
    [article] = run.articles
    body = article["body"]
    assert body.startswith("Afghanistan’s Taliban government has sought")
    assert "pic.twitter.com" not in body and "(@taahir_khan)" not in body
    assert "Read more" not in body and article["title"] not in body
    [tweet] = [e for e in article["embeds"] if e.get("handle") == "taahir_khan"]
    assert tweet["posted_at"].startswith("2025-12-17")
    assert any(r["title"].startswith("Taliban’s Push for India Ties") for r in article["related"])
    assert sorted(article["focus_countries"][:2]) == ["AF", "IR"]
    assert "AF-BDS" in article["subdivisions"]


def test_an_item_over_the_time_bound_is_a_dead_letter_and_the_next_one_runs(
    tmp_path: Path,
) -> None:
    # ~7 MB of paragraphs: seconds of extraction, far over a 1 s bound on any machine
    paragraphs = "".join(f"<p>Paragraph {i} on the water quotas.</p>" for i in range(150_000))
    huge = f"<html><body><article>{paragraphs}</article></body></html>"
    story = make_stories(1)[0]
    lines = [
        json.dumps({"url": f"{BASE}/huge", "html": huge}),
        json.dumps({"url": f"{BASE}/news/{story.slug}", "html": story.html(BASE)}),
    ]
    run = run_process(tmp_path, lines, "--jobs", "1", "--timeout", "1")
    assert run.exit_code == 0, run.output
    [letter] = run.dead_letters
    assert letter["error_class"] == "ExtractionTimeout" and letter["offset"] == 1
    assert "more than 1s" in letter["message"]
    # one process: the next item ran in the fresh process that replaced the stopped one
    assert [a["title"] for a in run.articles] == [story.title]

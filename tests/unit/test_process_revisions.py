"""Issue 13, finding 2, through ``newswire process``: a reused title is not a duplicate,
and a corrected story at the same URL is one story in its latest version."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tests.support.site import make_stories
from tests.unit.test_process_cli import run_process

BASE = "https://steppe.example"


def test_same_title_from_one_source_with_other_text_is_two_stories(tmp_path: Path) -> None:
    first, second = make_stories(2)
    second = replace(second, title=first.title, published=first.published)  # a reused title
    lines = [
        json.dumps({"url": f"{BASE}/news/{first.slug}", "html": first.html(BASE)}),
        json.dumps({"url": f"{BASE}/news/{second.slug}", "html": second.html(BASE)}),
    ]
    run = run_process(tmp_path, lines, "--jobs", "1")
    assert run.exit_code == 0, run.output
    assert [a["title"] for a in run.articles] == [first.title, first.title]
    assert len({a["id"] for a in run.articles}) == 2


def test_same_url_with_changed_text_is_one_story_with_two_revisions(tmp_path: Path) -> None:
    (story,) = make_stories(1)
    corrected = replace(
        story, paragraphs=[*story.paragraphs[:-1], "Correction: the ministry, not the mayor."]
    )
    url = f"{BASE}/news/{story.slug}"
    lines = [
        json.dumps({"url": url, "html": story.html(BASE)}),
        json.dumps({"url": url, "html": corrected.html(BASE)}),
    ]
    run = run_process(tmp_path, lines, "--jobs", "1")
    assert run.exit_code == 0, run.output
    (article,) = run.articles
    assert article["revisions"] == 2 and "updated_at" in article
    assert "Correction: the ministry" in article["body"]
    assert article["dedup"]["method"] == "revision"

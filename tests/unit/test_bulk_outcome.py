"""How the writer reads a bulk response, item by item (``pipeline.index.writer.classify``).

A merged sighting is an ``update`` of its story's document. When the story's own ``index``
operation in the same request did not succeed, the update finds no document (404): it must
follow the story (retry with it, or be rejected with it), never count as done, or the
sighting's URL is lost for good once the story is retried and indexed.
"""

from __future__ import annotations

from typing import Any

from pipeline.index.writer import classify


def _index(story: str, status: int, error: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"_id": story, "status": status}
    if error:
        result["error"] = {"type": error, "reason": f"{error} on {story}"}
    return {"index": result}


def _update(story: str, status: int) -> dict[str, Any]:
    result: dict[str, Any] = {"_id": story, "status": status}
    if status == 404:
        result["error"] = {"type": "document_missing_exception", "reason": "document missing"}
    return {"update": result}


def test_plain_outcomes() -> None:
    outcome = classify(
        [
            _index("a", 201),
            _index("b", 409, "version_conflict_engine_exception"),  # already there
            _index("c", 429, "es_rejected_execution_exception"),
            _index("d", 400, "document_parsing_exception"),
            _update("e", 200),
            _update("f", 409),  # a concurrent update: try again
        ]
    )
    assert outcome.done == [0, 1, 4]
    assert outcome.retry == [2, 5]
    assert [i for i, _ in outcome.rejected] == [3]
    assert "document_parsing_exception" in outcome.rejected[0][1]


def test_a_sighting_whose_story_is_asked_to_retry_retries_with_it() -> None:
    outcome = classify([_index("s1", 429, "es_rejected_execution_exception"), _update("s1", 404)])
    assert outcome.retry == [0, 1]  # in request order: the story, then its URLs
    assert outcome.done == []


def test_a_sighting_whose_story_is_rejected_is_rejected_and_says_why() -> None:
    outcome = classify([_index("s1", 400, "document_parsing_exception"), _update("s1", 404)])
    assert outcome.done == []
    assert [i for i, _ in outcome.rejected] == [0, 1]
    kind, reason = outcome.rejected[1][1].split(": ", 1)
    assert kind == "sighting_story_rejected"  # the metric's label: no story id in it
    assert reason.startswith("its story s1 was rejected: document_parsing")


def test_a_sighting_of_a_story_not_in_the_index_nor_in_the_request_is_a_dead_letter() -> None:
    # The story was a dead letter earlier (or its index was deleted): were the sighting done,
    # replaying the story's letter would bring it back without this sighting's URLs.
    outcome = classify(
        [_index("other", 429, "es_rejected_execution_exception"), _update("s1", 404)]
    )
    assert outcome.done == []
    assert outcome.retry == [0]
    assert [i for i, _ in outcome.rejected] == [1]
    kind, reason = outcome.rejected[0][1].split(": ", 1)
    assert kind == "sighting_story_missing"
    assert reason.startswith("its story s1 is not indexed")

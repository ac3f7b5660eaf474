"""The alert hook's requests, offline: one percolate per batch, claims, queued sends."""

from __future__ import annotations

from typing import Any

import pytest

from newswire.dlq_plan import why_not
from pipeline.index.alerts import Alert, AlertHook, AlertStore, alerts_template
from pipeline.index.query import QueryError
from wire.models import Article, DeadLetter, SourceRef
from wire.settings import Settings

SOURCE = SourceRef(id="s", name="S", connector="rss")
HELMAND = Alert("helmand", '"Helmand river"', "https://hooks.example/h", region="AF")


class FakeES:
    """Answers as a percolating cluster would: the alert matches batch slots 0 and 2."""

    def __init__(self, percolator: bool = True, taken: set[str] | None = None) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.percolator = percolator
        self.taken = taken or set()
        self.indices = self

    def count(self, **kw: Any) -> dict[str, int]:
        return {"count": 1}

    def get_mapping(self, **kw: Any) -> dict[str, Any]:
        kind = "percolator" if self.percolator else "object"
        return {"x": {"mappings": {"properties": {"query": {"type": kind}}}}}

    def search(self, **kw: Any) -> dict[str, Any]:
        self.requests.append(("search", kw))
        hit = {"_source": HELMAND.to_doc(), "fields": {"_percolator_document_slot": [0, 2]}}
        return {"hits": {"hits": [hit]}}

    def bulk(self, operations: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        self.requests.append(("bulk", {"operations": operations}))
        ids = [op["create"]["_id"] for op in operations if "create" in op]
        return {"items": [{"create": {"status": 409 if i in self.taken else 201}} for i in ids]}


def _article(i: int) -> Article:
    return Article(id=f"a{i}", url=f"https://s.example/{i}", source=SOURCE, title=f"T {i}")


def test_one_percolate_per_batch_then_claims_then_sends() -> None:
    es = FakeES(taken={"helmand:a2"})  # a2 was delivered before (a replica, a re-index)
    sent: list[tuple[str, str]] = []
    hook = AlertHook(AlertStore(es, "news"), lambda a, doc: sent.append((a.name, doc["id"])))  # type: ignore[arg-type]
    assert hook.indexed([_article(0), _article(1), _article(2)]) == 1
    kinds = [k for k, _ in es.requests]
    assert kinds == ["search", "bulk"]
    percolate = es.requests[0][1]["query"]["percolate"]
    assert percolate["field"] == "query"
    assert [d["id"] for d in percolate["documents"]] == ["a0", "a1", "a2"]
    claims = [op["create"]["_id"] for op in es.requests[1][1]["operations"] if "create" in op]
    assert claims == ["helmand:a0", "helmand:a2"]
    assert sent == [("helmand", "a0")]


def test_an_alert_failure_never_stops_indexing() -> None:
    class Down(FakeES):
        def search(self, **kw: Any) -> dict[str, Any]:
            raise ConnectionError("down")

    hook = AlertHook(AlertStore(Down(), "news"), lambda a, doc: None)  # type: ignore[arg-type]
    assert hook.indexed([_article(0)]) == 0


def test_the_stored_query_is_the_search_query_and_bad_ones_are_refused() -> None:
    doc = HELMAND.to_doc()
    assert {"term": {"focus_countries": "AF"}} in doc["query"]["bool"]["filter"]
    assert doc["query"]["bool"]["must"][0]["multi_match"]["type"] == "phrase"
    assert Alert.from_doc(doc) == HELMAND
    with pytest.raises(QueryError):
        Alert("x", '"unclosed', "https://h.example").to_doc()


def test_alert_indices_stay_out_of_the_stories_alias() -> None:
    t = alerts_template("news")
    assert t["index_patterns"] == ["news-alerts", "news-alert-deliveries"]
    assert t["priority"] > 200 and "aliases" not in t["template"]
    assert t["template"]["settings"]["index.hidden"] is True


def test_alert_letters_are_listed_not_replayed() -> None:
    letter = DeadLetter(stage="alerts", error_class="WebhookFailed", message="m", payload="{}")
    assert why_not(letter, "alerts", Settings()) is not None

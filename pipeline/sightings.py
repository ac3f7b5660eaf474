"""What a record on ``news.articles`` changes: one rule for the stream and the offline run.

Dedup sends an exact duplicate on as a *merged sighting*: the copy itself, ``merged_into``
its story and carrying every URL that story is known under (dedup state keeps the list).
Nothing new is stored for it; the story's ``urls`` become the sighting's. The indexer
applies that as an Elasticsearch partial update and ``newswire process`` to the JSONL line
it already wrote, both through these functions, so the two cannot drift apart.
"""

from __future__ import annotations

from wire.models import Article


def story_of(article: Article) -> str:
    """The id of the story a record changes: the one it merged into, else its own.

    Records are keyed by it, so every change to one story stays in order on one partition.
    """
    return article.merged_into.id if article.merged_into else article.id


def urls_patch(article: Article) -> dict[str, list[str]]:
    """The partial document that gives a record's story the record's URLs.

    The whole list, not an append: a partial update replaces a list, and each sighting
    carries every URL known so far, so the latest patch alone is right and applying one
    twice is harmless.
    """
    return {"urls": list(article.urls)}

"""The tagging steps the processor runs after extraction: regions, then topics.

Both taggers are pure and load their data once per process (on first use); the title
and the clean body are their only input, so the publisher's country never leaks into
what a story is about.
"""

from __future__ import annotations

import gc

from pipeline.chain import Tagger
from pipeline.tag.regions import tag_regions
from pipeline.tag.topics import tag_topics
from wire.models import Article, TopicScore


def tag_article_regions(article: Article) -> Article:
    # Related links were cut out of the body but the story still points at them: their
    # titles count as mentions, placed last so they weigh least on the focus.
    text = "\n\n".join([article.body, *(r.title for r in article.related)])
    filed = article.dateline
    tags = tag_regions(article.title, text, article.lang, filed.text if filed else None)
    if filed is not None and tags.dateline is not None:
        place = tags.dateline
        filed = filed.model_copy(
            update={"place": place.name, "country": place.country, "code": place.code}
        )
    return article.model_copy(
        update={
            "focus_countries": tags.focus_countries,
            "countries": tags.countries,
            "subdivisions": tags.subdivisions,
            "world_regions": tags.world_regions,
            "places": tags.places,
            "region_evidence": tags.evidence,
            "dateline": filed,
        }
    )


def tag_article_topics(article: Article) -> Article:
    tags = tag_topics(article.title, article.body, article.lang)
    scores = [TopicScore(topic=s.topic, score=round(s.score, 4)) for s in tags.topic_scores]
    return article.model_copy(update={"topics": tags.topics, "topic_scores": scores})


def default_taggers(*, preload: bool = True) -> tuple[Tagger, ...]:
    """The taggers, with their data loaded now rather than on the first article.

    After loading, ``gc.freeze()`` moves the gazetteer and lexicons (millions of small,
    immortal objects) out of the cyclic collector's view: otherwise every full collection,
    which extraction's allocations trigger often, walks all of them again.
    """
    if preload:
        from pipeline.tag.geo.build import get_gazetteer

        get_gazetteer()
        tag_topics(None, "")
        gc.freeze()
    return (tag_article_regions, tag_article_topics)

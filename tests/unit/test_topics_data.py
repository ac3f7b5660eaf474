"""Topic data: the taxonomy maps to IPTC Media Topics, the loader refuses broken data, and the
tagger keeps its accuracy on the development set and its speed on long stories."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pipeline.tag.topics import tag_topics, taxonomy, topic_data
from pipeline.tag.topics_lexicon import TopicDataError, data_dir, load
from pipeline.tag.topics_text import fold, tokenize, variants

EVAL_DIR = Path(__file__).resolve().parents[1] / "eval"

TOP_LEVEL = {
    "arts-culture-entertainment": "medtop:01000000",
    "crime-law-justice": "medtop:02000000",
    "disaster-accident-emergency": "medtop:03000000",
    "economy-business-finance": "medtop:04000000",
    "education": "medtop:05000000",
    "environment": "medtop:06000000",
    "health": "medtop:07000000",
    "human-interest": "medtop:08000000",
    "labour": "medtop:09000000",
    "lifestyle-leisure": "medtop:10000000",
    "politics": "medtop:11000000",
    "religion": "medtop:12000000",
    "science-technology": "medtop:13000000",
    "society": "medtop:14000000",
    "sport": "medtop:15000000",
    "conflict-war-peace": "medtop:16000000",
    "weather": "medtop:17000000",
}

FINER = {
    "diplomacy": "politics",
    "elections": "politics",
    "armed-conflict": "conflict-war-peace",
    "terrorism": "conflict-war-peace",
    "crime": "crime-law-justice",
    "refugees-migration": "politics",
    "trade": "economy",
    "energy": "economy-business-finance",
    "water": "environment",
    "human-rights": "society",
    "economy": "economy-business-finance",
    "security": "politics",
    "civil-unrest": "conflict-war-peace",
}


def test_top_level_topics_are_the_17_iptc_media_topics() -> None:
    topics = taxonomy()
    tops = {slug: t.iptc for slug, t in topics.items() if t.parent is None}
    assert tops == TOP_LEVEL


def test_finer_topics_name_their_parent_and_reach_a_top_level_topic() -> None:
    topics = taxonomy()
    for slug, parent in FINER.items():
        assert topics[slug].parent == parent
        assert topics[slug].iptc.startswith("medtop:2")
        assert topic_data().ancestors(slug)[-1] in TOP_LEVEL


def test_folding_meets_spelling_variants() -> None:
    assert fold("Grève ÉLECTION Straße") == "greve election strasse"
    assert fold("كتاب") == fold("کتاب")  # Arabic kaf vs keheh
    assert fold("انتخابات‌ها") == "انتخابات ها"  # zero-width non-joiner splits the suffix
    assert tokenize(fold("counter-terrorism, l'armée")) == ["counter", "terrorism", "l", "armee"]
    assert "انتخابات" in variants(fold("والانتخابات"))


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    root = tmp_path / "topics"
    shutil.copytree(data_dir(), root)
    return root


def test_copied_data_loads(data_copy: Path) -> None:
    assert set(load(data_copy).topics) == set(taxonomy())


def test_lexicon_without_taxonomy_slug_is_refused(data_copy: Path) -> None:
    (data_copy / "lexicons" / "sport.yaml").rename(data_copy / "lexicons" / "sports.yaml")
    with pytest.raises(TopicDataError, match="sports"):
        load(data_copy)


def test_unknown_parent_is_refused(data_copy: Path) -> None:
    path = data_copy / "taxonomy.yaml"
    path.write_text(path.read_text().replace("parent: politics}", "parent: politcs}", 1))
    with pytest.raises(TopicDataError, match="unknown parent"):
        load(data_copy)


def test_unless_key_that_is_not_a_term_is_refused(data_copy: Path) -> None:
    path = data_copy / "lexicons" / "sport.yaml"
    path.write_text(path.read_text() + "  no such term: [anything]\n")
    with pytest.raises(TopicDataError, match="no such term"):
        load(data_copy)


def test_too_short_prefix_is_refused(data_copy: Path) -> None:
    path = data_copy / "lexicons" / "sport.yaml"
    path.write_text(path.read_text().replace("    3: [football,", "    3: [fo*, football,", 1))
    with pytest.raises(TopicDataError, match="prefix"):
        load(data_copy)


def test_a_new_topic_is_an_edit_to_data(data_copy: Path) -> None:
    (data_copy / "taxonomy.yaml").write_text(
        (data_copy / "taxonomy.yaml").read_text()
        + '  space: {iptc: "medtop:20000741", label: "space", parent: science-technology}\n'
    )
    (data_copy / "lexicons" / "space.yaml").write_text(
        "terms:\n  en:\n    3: [astronaut*, space station, spacewalk]\n"
    )
    data = load(data_copy)
    assert data.ancestors("space") == ["science-technology"]
    hits = data.matcher("en").find(tokenize(fold("Two astronauts began a spacewalk")))
    assert {h.term.slug for h in hits} >= {"space"}


def test_dev_set_macro_f1_stays_above_target() -> None:
    sys.path.insert(0, str(EVAL_DIR))
    try:
        import eval_topics
    finally:
        sys.path.remove(str(EVAL_DIR))
    stories = eval_topics.load_devset()
    result = eval_topics.evaluate(stories, eval_topics.tagger_predict)
    assert result.macro_f1 >= 0.85
    heldout = [s for s in stories if s["split"] == "heldout"]
    assert eval_topics.evaluate(heldout, eval_topics.tagger_predict).macro_f1 >= 0.85


def test_a_long_story_is_tagged_like_its_paragraph() -> None:
    """A 900-word story (its speed is measured by bench/bench_chain.py, not here) gets the
    topics of the paragraph it repeats, with the story's main topics first."""
    paragraph = (
        "The foreign minister met his counterpart to discuss border security, trade routes and "
        "the return of refugees, while talks on water sharing stalled. Officials said the "
        "meeting would continue after the summit. "
    )
    title = "Ministers meet on border security"
    long = tag_topics(title, paragraph * 25, "en")  # about 900 words
    short = tag_topics(title, paragraph, "en")
    assert long.topics == short.topics
    assert long.topics[:2] == ["diplomacy", "security"]


def _datasets_module() -> ModuleType:
    scripts = str(Path(__file__).resolve().parents[2] / "scripts")
    sys.path.insert(0, scripts)
    try:
        import topics_datasets
    finally:
        sys.path.remove(scripts)
    return topics_datasets


def test_every_public_label_is_mapped_to_a_taxonomy_topic_or_dropped() -> None:
    ds = _datasets_module()
    assert len(set(ds.HUFFPOST_V2_CATEGORIES)) == 41  # the 41 sections of the v2 dataset
    tops = {slug for slug, t in taxonomy().items() if t.parent is None}
    for dataset, labels in (
        ("huffpost", ds.HUFFPOST_V2_CATEGORIES),
        ("uci_news", ("b", "t", "e", "m")),
        ("masakhanews", ("business", "sports", "politics", "health", "technology")),
    ):
        mapping = ds.label_map(dataset)
        for label in labels:
            assert label in mapping, (dataset, label)  # a missing label would drop silently
            assert mapping[label] is None or mapping[label] in tops, (dataset, label)
    # Desks and audience sections hold every topic: dropped, not mapped.
    assert ds.label_map("huffpost")["WORLD NEWS"] is None
    assert ds.label_map("huffpost")["BLACK VOICES"] is None


def test_hash_split_is_fixed_and_proportioned() -> None:
    ds = _datasets_module()
    texts = [f"headline number {i}" for i in range(4000)]
    parts = [ds.split_of(t) for t in texts]
    assert parts == [ds.split_of(t) for t in texts]
    assert 0.12 < parts.count("test") / 4000 < 0.18
    assert 0.12 < parts.count("val") / 4000 < 0.18


def test_portal_summaries_are_parsed_deduplicated_and_split_by_date(tmp_path: Path) -> None:
    """The Wikipedia Current-events pages (Markdown, two heading styles): each cited bullet becomes
    one story with link text kept and sources dropped; a text seen again on a later day is not a
    second story, and the date decides train / val / test."""
    ds = _datasets_module()
    portal = tmp_path / "wcep_portal"
    portal.mkdir()
    item = (
        '    * A [drone strike](https://en.wikipedia.org/wiki/Drone "Drone") hits a refinery in'
        ' [Ryazan](https://en.wikipedia.org/wiki/Ryazan "Ryazan"), Russia. [(*Reuters*)](https://x.y/a)'
    )
    (portal / "2025-02-01-index.md").write_text(
        "---\ntitle: 2025 February 1\n---\n\n**Armed conflicts and attacks**\n\n"
        '* [Russian invasion of Ukraine](https://en.wikipedia.org/wiki/R "R")\n'
        f"{item}\n\n**Health and environment**\n\n"
        "* A measles outbreak in Texas grows to forty cases, officials say. [(AP)](https://x.y/b)\n",
        encoding="utf-8",
    )
    (portal / "2026-07-01-index.md").write_text(
        f"#### Armed conflicts and attacks\n\n{item}\n\n#### Sports\n\n"
        "* Spain beat England 2-1 in the final of the women's cup. [(BBC)](https://x.y/c)\n",
        encoding="utf-8",
    )
    items = ds.current_events_items(tmp_path)
    assert [(day, section) for day, section, _ in items] == [
        ("2025-02-01", "armed conflicts and attacks"),
        ("2025-02-01", "health and environment"),
        ("2026-07-01", "sports"),
    ]
    assert items[0][2] == "A drone strike hits a refinery in Ryazan, Russia."
    train = ds.load_current_events(tmp_path, "train")
    assert [(s.body[:7], s.labels) for s in train] == [("A drone", {"conflict-war-peace"})]
    assert [s.labels for s in ds.load_current_events(tmp_path, "test")] == [{"sport"}]
    tops = {slug for slug, t in taxonomy().items() if t.parent is None}
    for section, slug in ds.label_map("wikipedia_current_events").items():
        assert slug is None or slug in tops, section

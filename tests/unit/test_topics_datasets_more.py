"""Topic training data beyond the first sources: the Wikipedia portal's older pages (YAML, one
file per day) and Wikinews articles of two desks. What is read as a story, what is left out
(sub-headings, uncited lines, texts the newer pages hold, stubs), how a label leak is removed,
and what a story's ``unsure`` topics do in training."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _scripts(name: str) -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_older_portal_pages_give_cited_bullets_of_known_sections(tmp_path: Path) -> None:
    ds = _scripts("topics_datasets")
    day = tmp_path / "wcep_history" / "2015" / "03"
    day.mkdir(parents=True)
    (day / "2015-03-10.yaml").write_text(
        "Date: '2015-03-10'\nSource_URI: Portal:Current events/2015 March 10\n"
        "Intelligence_Payload:\n"
        "  Armed conflicts and attacks:\n"
        "  - Sinai insurgency\n"  # a sub-heading: no cited source
        "  - A suicide bomber kills one person in an attack on a police station in Egypt.\n"
        "    (AFP via Yahoo! News)\n"
        "  Syria:\n"  # a story heading, not a section: not mapped
        "  - Syrian Army troops pour into Homs as part of the latest offensive. (Reuters)\n"
        "  Sport:\n"
        "  - Spain beat England 2-1 in the final of the women's cup at Wembley. (BBC) (AP)\n"
        "  Uncategorized:\n"
        "  - A bullet whose heading the conversion lost, about anything at all. (AP)\n",
        encoding="utf-8",
    )
    # A page in the other layout (the repository's expanded files) is not portal text.
    (day / "2015-03-11.yaml").write_text(
        "date: '2015-03-11'\nevents:\n- summary: Written by a tool. (X)\n", encoding="utf-8"
    )
    # The same text on a newer page (any split): kept there only.
    portal = tmp_path / "wcep_portal"
    portal.mkdir()
    (portal / "2026-07-01-index.md").write_text(
        "#### Sports\n\n* Spain beat England 2-1 in the final of the women's cup at Wembley."
        " [(BBC)](https://x.y/c)\n",
        encoding="utf-8",
    )
    items = ds.portal_history_items(tmp_path)
    assert [(d, sec) for d, sec, _ in items] == [
        ("2015-03-10", "armed conflicts and attacks"),
        ("2015-03-10", "syria"),
        ("2015-03-10", "uncategorized"),
    ]
    assert items[0][2] == (
        "A suicide bomber kills one person in an attack on a police station in Egypt."
    )
    stories = ds.load_portal_history(tmp_path)
    assert [(s.labels, s.source) for s in stories] == [
        ({"conflict-war-peace"}, "current-events-history")
    ]


def test_wikinews_articles_lose_markup_and_desk_names_and_carry_unsure_topics(
    tmp_path: Path,
) -> None:
    ds = _scripts("topics_datasets")
    raw = (
        '<text xml:space="preserve" bytes="900"> Economy and business Stock markets around the'
        " world rose today . &quot;It is a relief,&quot; said a trader in ''London''.<!-- note -->"
        " __NOTOC__ ==Markets== Shares of banks led the gains. ==Related news== * Older story"
    )
    text = ds._wikinews_text(raw)
    assert text == (
        'Stock markets around the world rose today. "It is a relief," said a trader in London.'
        " Shares of banks led the gains."
    )
    folder = tmp_path / "wikinews_tosca"
    folder.mkdir()
    long = text + " More about the markets and what the trading day brought." * 3
    recs = [
        {"id": "ID1", "day": "1", "title": "Markets rise", "text": long, "desks": ["economy"]},
        {"id": "ID2", "day": "2", "title": "Vote", "text": long, "desks": ["politics"]},
        {"id": "ID3", "day": "3", "title": "Both", "text": long, "desks": ["politics", "economy"]},
        {"id": "ID4", "day": "4", "title": "Stub", "text": "Too short.", "desks": ["politics"]},
    ]
    (folder / "wikinews.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    whole = ds.load_wikinews(tmp_path, short=False)
    assert [(s.title, s.labels, s.unsure) for s in whole] == [
        ("Markets rise", {"economy-business-finance"}, {"politics"}),
        ("Vote", {"politics"}, {"conflict-war-peace", "crime-law-justice"}),
        (
            "Both",
            {"politics", "economy-business-finance"},
            {"conflict-war-peace", "crime-law-justice"},
        ),
    ]
    short = ds.load_wikinews(tmp_path, short=True)
    assert (
        short[0].body
        == 'Stock markets around the world rose today. "It is a relief," said a trader in London.'
    )


def test_an_unsure_topic_is_neither_evidence_for_nor_against_it() -> None:
    """A story whose topic k is unsure leaves topic k's classifier as if it were absent."""
    tt = _scripts("train_topics")  # scikit-learn and scipy: the dev extra
    sparse = importlib.import_module("scipy.sparse")
    ds = _scripts("topics_datasets")
    rng = np.random.default_rng(0)
    x = sparse.csr_matrix(rng.random((40, 8)).astype(np.float32))
    y = (rng.random((40, 2)) > 0.5).astype(np.int8)
    weight = np.ones(40)
    stories = [ds.Story(None, "", "en", frozenset(), "t") for _ in range(39)]
    stories.append(ds.Story(None, "", "en", frozenset(), "t", frozenset({"b"})))
    known = tt.known(stories, ["a", "b"])
    assert known[-1].tolist() == [1.0, 0.0] and known[:-1].min() == 1.0
    w_mask, _ = tt.fit(x, y, weight, 1.0, known)
    w_drop, _ = tt.fit(x[:39], y[:39], weight[:39], 1.0, known[:39])
    assert np.allclose(w_mask[:, 1], w_drop[:, 1], atol=1e-4)  # topic b: the story is absent
    assert not np.allclose(w_mask[:, 0], w_drop[:, 0], atol=1e-4)  # topic a: it counts


def _tsv(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (["\t".join(header)] if header else []) + ["\t".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _article(topic: str, n: int) -> str:
    return " ".join(f"{topic}{i % 97} word{i} story{n}" for i in range(60))


def test_masakhanews_extra_keeps_train_articles_once_and_none_of_dev_or_test(
    tmp_path: Path,
) -> None:
    ds = _scripts("topics_datasets")
    head = ("category", "headline", "text", "url")
    dev = ("politics", "Minister resigns over row", _article("vote", 1), "u1")
    test = ("sports", "Cup final: United win", _article("goal", 2), "u2")
    _tsv(tmp_path / "masakhanews" / "eng" / "dev.tsv", [dev], head)
    _tsv(tmp_path / "masakhanews" / "eng" / "test.tsv", [test], head)
    fresh = ("business", "Energy bills to rise", _article("price", 3))
    other = ("health", "NHS waiting lists grow", _article("ward", 4))
    retouched = _article("goal", 2).replace("word5 ", "term5 ")  # the test article, another copy
    fsl = tmp_path / "masakhanews_fsl"
    # An early sample without header, holding a test article under a headline cut at its colon.
    _tsv(fsl / "aaaaaaa" / "data-fsl" / "eng" / "5sample" / "train.tsv",
         [fresh, ("sports", "Cup final", retouched), dev[:3]], None)  # fmt: skip
    _tsv(fsl / "bbbbbbb" / "few_shot_data" / "5_samples" / "eng" / "dev.tsv",
         [fresh, other, ("health", "Short", "too short")], head[:3])  # fmt: skip
    # Test copies and other languages are not read.
    _tsv(fsl / "bbbbbbb" / "few_shot_data" / "5_samples" / "eng" / "test.tsv", [fresh], head[:3])
    _tsv(fsl / "bbbbbbb" / "few_shot_data" / "5_samples" / "fra" / "train.tsv", [other], head[:3])

    files = ds.masakhanews_extra_files(tmp_path)
    assert [p.relative_to(fsl).parts[0] for p in files] == ["aaaaaaa", "bbbbbbb"]
    whole = ds.load_masakhanews_extra(tmp_path, short=False)
    assert [(s.title, sorted(s.labels)) for s in whole] == [
        ("Energy bills to rise", ["economy-business-finance"]),
        ("NHS waiting lists grow", ["health"]),
    ]
    assert {s.source for s in whole} == {"masakhanews-eng-extra"} and whole[0].lang == "en"
    short = ds.load_masakhanews_extra(tmp_path, short=True)
    assert [s.title for s in short] == [s.title for s in whole]

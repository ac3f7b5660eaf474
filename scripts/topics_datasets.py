"""Readers for the public labelled news used to train and evaluate the topic model.

SOURCES (none is committed to git; fetch them into a data directory, default /tmp/topicdata):

* MasakhaNEWS, github.com/masakhane-io/masakhane-news (commit 819be052e79e), licence AFL-3.0.
  ``data/eng/{dev,test}.tsv`` -> ``DATA/masakhanews/eng/``, ``data/fra/{dev,test}.tsv`` ->
  ``DATA/masakhanews/fra/`` (columns category, headline, text, url). English articles are BBC News
  (2022). The English train.tsv is over the snapshot size limit here and is not used. Nigerian
  Pidgin ``data/pcm/{train,dev,test}.tsv`` -> ``DATA/masakhanews/pcm/`` (BBC News Pidgin, an
  English-based creole: train and dev are trained on, test is a held-out figure).
* MasakhaNEWS English, more articles of the train split (same repository and licence): the
  few-shot samples the authors committed, ``{data-fsl,PET/data-fsl,few_shot_data/*}/.../eng/
  {train,dev}.tsv`` at commits 0232b8d1acda, 1b267653b203, 1338cca3de41, 032f0b7c2866 and
  819be052e79e -> ``DATA/masakhanews_fsl/<commit7>/<path>`` (the ``unlabeled.tsv`` files are over
  the size limit; ``test.tsv`` copies are not read). Early samples were drawn before the final
  split, so ``load_masakhanews_extra`` drops every article also in the English dev or test split
  (same headline, or 10% of its word 8-grams in one of their texts: a copy, or a second article
  on the same event) and keeps each once: 1,355 articles, training only.
* SIB-200, github.com/dadelani/sib-200 (commit 593cea88519930f776c1a4), code
  Apache-2.0, sentences from Flores-200 (CC BY-SA 4.0). ``data/annotated/<lang>/*.tsv``
  -> ``DATA/sib200/<lang>/`` for eng_Latn, fra_Latn, pes_Arab, arb_Arab, urd_Arab, rus_Cyrl.
* HuffPost News Category Dataset (Misra 2022, CC BY 4.0), the POLITICS/SPORTS subset (8,834 short
  descriptions, lower-cased, punctuation stripped) in github.com/arjunbaidya/NLU_Assignment1
  (commit 805ecc083a33) ``News_Category_Dataset_v3.csv`` -> ``DATA/huffpost/hp_arjun.csv``.
  The complete dataset (Kaggle) could not be obtained here; ``load_huffpost`` also reads its
  JSON-lines form if placed at ``DATA/huffpost/News_Category_Dataset_v3.json``.
* HuffPost News Category Dataset (Misra 2022, CC BY 4.0), 36,900 headlines (900 from each of the
  41 categories of the dataset's v2, lower-cased and tokenized), the sample of Bao et al. 2020
  ("Few-shot text classification with distributional signatures") as copied in
  github.com/ws-jiang/MetaPrompter_public (commit dea17d573a5e) ``data/huffpost.json`` ->
  ``DATA/huffpost_fewshot/huffpost.json``; label ids are the v2 categories by frequency
  (``HUFFPOST_V2_CATEGORIES``; the same repository's ``configs/hard_verbalizers.yaml`` names them).
  Split by a hash of the text: 70% train, 15% validation (calibration, thresholds), 15% test.
* UCI News Aggregator (Gasparetti 2017, UCI Machine Learning Repository, CC BY 4.0): 422,937
  headlines of 2014 with business / science-technology / entertainment / health labels, as split
  into small files in github.com/rntatsuya/UCI_News_Aggregator_Data_Set_Retriever (commit
  887951e367d9) ``rawData/*.csv`` -> concatenated in name order to
  ``DATA/uci_news/newsCorpora.csv``. Test only (never trained or tuned on): one headline per story
  cluster, a fixed hash-ordered sample per category (``load_uci_news``).

* Wikipedia "Current events" portal (English Wikipedia, CC BY-SA 4.0), one page per day from
  2025-01 to 2026-08 as converted to Markdown by github.com/fordred/wikinews (commit 0441f5273b87)
  ``docs/_posts/*.md`` -> ``DATA/wcep_portal/``. Each cited bullet is a one- or two-sentence news
  summary filed under one of the portal's sections (armed conflicts and attacks, business and
  economy, law and crime, ...); ``load_current_events`` splits by date: 2025-01..2026-03 train,
  2026-04..2026-05 validation, 2026-06.. test (a later period, so ongoing stories do not straddle
  train and test within a day; a text met on several days counts once, on its first day).

* Older pages of the same portal (English Wikipedia, CC BY-SA 3.0 before June 2023, 4.0 after),
  2002-2024, one YAML file per day (``Intelligence_Payload: {section: [bullets]}``) as converted by
  github.com/ianrastall/current-events-context (commit 4ff6f7d243c8; repository CC0-1.0, the text is
  Wikipedia's) ``YYYY/MM/*.yaml`` -> ``DATA/wcep_history/YYYY/MM/``. Only the portal's own bullets
  are read (the repository's few "expanded" files, written by its tools, have another layout and
  are skipped). Sections survive the conversion for most days of 2010-2020; days whose bullets are
  all under ``Uncategorized`` (most of 2002-2009 and 2021 on) give nothing. Training only
  (``load_portal_history``): the validation and test periods are those of the newer pages.
* Wikinews (CC BY 2.5) articles of two desks, as bundled in the R package tosca,
  github.com/Docma-TU/tosca (package GPL; data removed at commit 7a37e34, read at ab9ec0258e06)
  ``data/politics.rda`` (5,000 articles filed under "Politics and conflicts", 2004-11..2009-11)
  and ``data/economy.rda`` (2,327 under "Economy and business", 2004-11..2018-03) -> converted
  once to ``DATA/wikinews_tosca/wikinews.jsonl`` by ``convert_wikinews_rda`` (needs the ``rdata``
  package, PyPI, conversion only). Training only (``load_wikinews``).

Reserved evaluation sets (those the project brief lists) are never read here.
Label mapping to taxonomy slugs: ``pipeline/tag/data/topics/label_map.yaml``.
"""

from __future__ import annotations

import csv
import functools
import html
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LABEL_MAP = ROOT / "pipeline" / "tag" / "data" / "topics" / "label_map.yaml"
DEVSET = ROOT / "tests" / "eval" / "topics_devset.jsonl"
DEFAULT_DATA = Path("/tmp/topicdata")
SIB_LANGS = {
    "eng_Latn": "en",
    "fra_Latn": "fr",
    "pes_Arab": "fa",
    "arb_Arab": "ar",
    "urd_Arab": "ur",
    "rus_Cyrl": "ru",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class Story:
    title: str | None
    body: str
    lang: str
    labels: frozenset[str]  # top-level taxonomy slugs
    source: str
    # Topics the story may also have though its label does not say (a desk that files wars and
    # elections alike): training neither counts it for nor against those topics.
    unsure: frozenset[str] = frozenset()


def label_map(dataset: str) -> dict[str, str | None]:
    data = yaml.safe_load(LABEL_MAP.read_text(encoding="utf-8"))
    return dict(data["datasets"][dataset])


def lead(text: str, sentences: int = 2, ends: re.Pattern[str] = _SENTENCE) -> str:
    """The first sentences of a body: what a feed's description or a wire lead gives.
    ``ends`` matches between two sentences (other scripts: ``eval_topics_languages``)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    parts = ends.split(" ".join(lines))
    return " ".join(parts[:sentences])


def load_masakhanews(data: Path, lang: str, split: str, *, short: bool) -> list[Story]:
    mapping = label_map("masakhanews")
    path = data / "masakhanews" / lang / f"{split}.tsv"
    code = {"eng": "en", "fra": "fr", "pcm": "pcm"}[lang]
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            slug = mapping.get(row["category"])
            if not slug:
                continue
            body = lead(row["text"]) if short else row["text"]
            out.append(Story(row["headline"], body, code, frozenset([slug]), f"masakhanews-{lang}"))
    return out


# Word 8-grams of a text's first 150 folded words: two copies of one article (another version of
# the dataset, a headline cut at its colon, a retouched lead) share most of them.
_SHINGLE = 8


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())[:150]
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def _read_masakhanews_rows(path: Path) -> list[tuple[str, str, str]]:
    """(category, headline, text) rows of a MasakhaNEWS-style TSV with or without its header."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if len(r) >= 3]
    if rows and rows[0][0] == "category":
        rows = rows[1:]
    return [(r[0].strip(), r[1].strip(), r[2]) for r in rows]


def masakhanews_extra_rows(
    files: list[Path], reserved: list[tuple[str, str]], overlap: float = 0.1
) -> list[tuple[str, str, str]]:
    """Rows of ``files`` that are none of the ``reserved`` (headline, text) articles, each once.

    A row is dropped when its headline equals a reserved headline, or when ``overlap`` or more of
    its word 8-grams occur in one reserved text (a copy from another version of the split), and
    kept once when several files hold it (same test against the rows already kept)."""
    index: dict[tuple[str, ...], set[int]] = {}
    heads: set[str] = set()

    def add(headline: str, text: str, ident: int) -> None:
        heads.add(" ".join(headline.lower().split()))
        for sh in _shingles(text):
            index.setdefault(sh, set()).add(ident)

    def seen(headline: str, text: str) -> bool:
        if " ".join(headline.lower().split()) in heads:
            return True
        shingles = _shingles(text)
        hits: dict[int, int] = {}
        for sh in shingles:
            for ident in index.get(sh, ()):
                hits[ident] = hits.get(ident, 0) + 1
        return bool(hits) and max(hits.values()) >= overlap * len(shingles)

    for i, (headline, text) in enumerate(reserved):
        add(headline, text, -1 - i)
    out: list[tuple[str, str, str]] = []
    for path in files:
        for category, headline, text in _read_masakhanews_rows(path):
            if len(text) < 200 or seen(headline, text):
                continue
            add(headline, text, len(out))
            out.append((category, headline, text))
    return out


def masakhanews_extra_files(data: Path) -> list[Path]:
    """The few-shot train and dev samples of MasakhaNEWS English (see SOURCES), in a fixed order."""
    root = data / "masakhanews_fsl"
    return sorted(
        p
        for p in root.rglob("*.tsv")
        if p.name in ("train.tsv", "dev.tsv") and "eng" in p.parts and ".ipynb" not in str(p)
    )


def load_masakhanews_extra(data: Path, *, short: bool) -> list[Story]:
    """MasakhaNEWS English articles of the train split, from the repository's few-shot samples:
    every article of them that is not in the English dev or test split (``masakhanews_extra_rows``:
    same headline or mostly the same text), each once. Training only."""
    mapping = label_map("masakhanews")
    reserved = [
        (s.title or "", s.body)
        for split in ("dev", "test")
        for s in load_masakhanews(data, "eng", split, short=False)
    ]
    out = []
    for category, headline, text in masakhanews_extra_rows(masakhanews_extra_files(data), reserved):
        slug = mapping.get(category)
        if slug:
            body = lead(text) if short else text
            out.append(Story(headline, body, "en", frozenset([slug]), "masakhanews-eng-extra"))
    return out


def load_sib200(data: Path, lang: str, split: str) -> list[Story]:
    mapping = label_map("sib200")
    path = data / "sib200" / lang / f"{split}.tsv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            slug = mapping.get(row["category"])
            if not slug:
                continue
            out.append(Story(None, row["text"], SIB_LANGS[lang], frozenset([slug]), "sib200"))
    return out


def load_huffpost(data: Path) -> list[Story]:
    mapping = label_map("huffpost")
    full = data / "huffpost" / "News_Category_Dataset_v3.json"
    out = []
    if full.exists():
        with full.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                slug = mapping.get(rec["category"])
                if slug:
                    out.append(
                        Story(
                            rec["headline"],
                            rec["short_description"],
                            "en",
                            frozenset([slug]),
                            "huffpost",
                        )
                    )
        return out
    with (data / "huffpost" / "hp_arjun.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            slug = mapping.get(row["category"])
            if slug and row["short_description"].strip():
                out.append(
                    Story(None, row["short_description"], "en", frozenset([slug]), "huffpost")
                )
    return out


# Category of each label id in the few-shot HuffPost sample: News_Category_Dataset_v2's categories
# by decreasing frequency (checked against the headlines of each id).
HUFFPOST_V2_CATEGORIES = (
    "POLITICS", "WELLNESS", "ENTERTAINMENT", "TRAVEL", "STYLE & BEAUTY", "PARENTING",
    "HEALTHY LIVING", "QUEER VOICES", "FOOD & DRINK", "BUSINESS", "COMEDY", "SPORTS",
    "BLACK VOICES", "HOME & LIVING", "PARENTS", "THE WORLDPOST", "WEDDINGS", "WOMEN", "IMPACT",
    "DIVORCE", "CRIME", "MEDIA", "WEIRD NEWS", "GREEN", "WORLDPOST", "RELIGION", "STYLE",
    "SCIENCE", "WORLD NEWS", "TASTE", "TECH", "MONEY", "ARTS", "FIFTY", "GOOD NEWS",
    "ARTS & CULTURE", "ENVIRONMENT", "COLLEGE", "LATINO VOICES", "CULTURE & ARTS", "EDUCATION",
)  # fmt: skip


def split_of(text: str, val: int = 15, test: int = 15) -> str:
    """A fixed train/val/test assignment from a hash of the text (stable across runs)."""
    bucket = zlib.crc32(text.encode("utf-8")) % 100
    return "test" if bucket < test else "val" if bucket < test + val else "train"


def load_huffpost_headlines(data: Path, split: str) -> list[Story]:
    """The few-shot HuffPost sample: headlines only (no description), one part of the split."""
    mapping = label_map("huffpost")
    out = []
    with (data / "huffpost_fewshot" / "huffpost.json").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            slug = mapping.get(HUFFPOST_V2_CATEGORIES[rec["label"]])
            text = rec["raw"].strip()
            if slug and text and split_of(text) == split:
                out.append(Story(text, "", "en", frozenset([slug]), "huffpost-headlines"))
    return out


def load_uci_news(data: Path, per_class: int = 1000) -> list[Story]:
    """UCI News Aggregator headlines, test only: the first headline met of each story cluster (the
    dataset repeats one event under many outlets' headlines), then per category the ``per_class``
    clusters first in hash order, so the sample is fixed and spread over the whole period."""
    mapping = label_map("uci_news")
    seen: dict[str, tuple[str, str]] = {}
    with (data / "uci_news" / "newsCorpora.csv").open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 8 or cols[4] not in mapping:
                continue
            seen.setdefault(cols[5], (cols[1], cols[4]))
    by_class: dict[str, list[tuple[int, str]]] = {}
    for story, (title, cat) in seen.items():
        by_class.setdefault(cat, []).append((zlib.crc32(story.encode()), title))
    out = []
    for cat, items in sorted(by_class.items()):
        slug = mapping[cat]
        assert slug, f"uci_news label {cat} maps to no topic"
        for _, title in sorted(items)[:per_class]:
            out.append(Story(title, "", "en", frozenset([slug]), "uci-news"))
    return out


def load_devset(split: str) -> list[Story]:
    """The project's own dev set (tests/eval/topics_devset.jsonl), gold mapped to top levels."""
    sys.path.insert(0, str(ROOT))
    from pipeline.tag.topics import topic_data

    data = topic_data()
    out = []
    with DEVSET.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["split"] != split:
                continue
            tops = {(data.ancestors(t) or [t])[-1] for t in rec["topics"]}
            out.append(Story(rec["title"], rec["body"], rec["lang"], frozenset(tops), "devset"))
    return out


# Section heading of a portal day ("#### Law and crime" or "**Law and crime**"), a Markdown link
# (its text is kept) and a cited source ("[(Reuters)](url)", dropped).
_CE_HEADING = re.compile(r"^(?:#+\s*|\*\*)([A-Z][A-Za-z ]+?)(?:\*\*)?\s*$")
_CE_SOURCE = re.compile(r"\s*\[\(\*?[^\]]*?\*?\)\]\([^)\s]*\)")
_CE_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_CE_SPLITS = (
    ("2025-01", "2026-03", "train"),
    ("2026-04", "2026-05", "val"),
    ("2026-06", "2026-12", "test"),
)


@functools.cache
def current_events_items(data: Path) -> tuple[tuple[str, str, str], ...]:
    """(day, portal section, summary) of every cited bullet, each text once (its first day).
    Read once per data directory: training asks for the train and the val split, and
    ``train_topics.py --crossfit`` for both again."""
    seen: set[str] = set()
    out = []
    for path in sorted((data / "wcep_portal").glob("*.md")):
        day = path.name[:10]
        if not "2025-01-01" <= day <= "2026-12-31":  # a misdated copy (2020) and a future stub
            continue
        section = None
        for line in path.read_text(encoding="utf-8").splitlines():
            head = _CE_HEADING.match(line.strip())
            if head:
                section = head.group(1).strip().lower()
                continue
            if section is None or "[(" not in line:
                continue
            text = _CE_LINK.sub(r"\1", _CE_SOURCE.sub("", line)).strip().lstrip("*+- ")
            text = re.sub(r"[*_]+", "", text).strip()
            key = text.lower()
            if len(text) < 30 or key in seen:
                continue
            seen.add(key)
            out.append((day, section, text))
    return tuple(out)


def load_current_events(data: Path, split: str) -> list[Story]:
    """Wikipedia Current events portal summaries of one date split (train, val or test)."""
    mapping = {k.lower(): v for k, v in label_map("wikipedia_current_events").items()}
    out = []
    for day, section, text in current_events_items(data):
        part = next(name for lo, hi, name in _CE_SPLITS if lo <= day[:7] <= hi)
        slug = mapping.get(section)
        if slug and part == split:
            out.append(Story(None, text, "en", frozenset([slug]), "current-events"))
    return out


# A bullet of the older pages ends with its cited sources, "(Reuters)" or "(AFP via Yahoo! News)";
# a line without one is a sub-heading ("Syrian civil war"), not news.
_HIST_SOURCE = re.compile(r"\s*\(([^()]{2,80})\)\s*$")


@functools.cache
def portal_history_items(data: Path) -> tuple[tuple[str, str, str], ...]:
    """(day, portal section, summary) of the portal's cited bullets of 2002-2024, sources dropped,
    each text once, and none whose text is also among the newer pages' (whatever their split)."""
    newer = {text.lower() for _, _, text in current_events_items(data)}
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    seen: set[str] = set()
    out = []
    for path in sorted((data / "wcep_history").glob("*/*/*.yaml")):
        day = path.stem
        if day >= "2025-01-01":  # the newer pages come from fordred/wikinews, split by date
            continue
        try:
            page = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except yaml.YAMLError:
            continue
        payload = page.get("Intelligence_Payload") if isinstance(page, dict) else None
        if not isinstance(payload, dict):
            continue
        for section, bullets in payload.items():
            for bullet in bullets if isinstance(bullets, list) else []:
                text, cited = str(bullet).strip(), False
                while m := _HIST_SOURCE.search(text):
                    text, cited = text[: m.start()].rstrip(), True
                key = text.lower()
                if not cited or len(text) < 30 or key in seen or key in newer:
                    continue
                seen.add(key)
                out.append((day, str(section).strip().lower(), text))
    return tuple(out)


def load_portal_history(data: Path) -> list[Story]:
    """Portal summaries of 2002-2024 under a section the label map knows (training only)."""
    mapping = {k.lower(): v for k, v in label_map("wikipedia_current_events").items()}
    return [
        Story(None, text, "en", frozenset([slug]), "current-events-history")
        for _, section, text in portal_history_items(data)
        if (slug := mapping.get(section))
    ]


# Wikinews desk -> (label, topics the desk's stories may also carry: see Story.unsure).
WIKINEWS_DESKS = {
    "politics": ("politics", frozenset({"conflict-war-peace", "crime-law-justice"})),
    "economy": ("economy-business-finance", frozenset({"politics"})),
}


# Trailing sections of a Wikinews article (cut), the desks' own names (left in the text by the
# infobox templates: a label leak, removed) and markup tosca keeps.
_WN_TAIL = re.compile(r"==+\s*(?:related|sources?|external|see also|references)", re.IGNORECASE)
_WN_DESK = re.compile(
    r"\b(?:Economy and business|Politics and conflicts|Crime and law|Disasters and accidents|"
    r"Science and technology|Culture and entertainment|Health|Sports|Weather)\b(?=\s+[A-Z*])"
)
_WN_MARKUP = re.compile(r"<!--.*?-->|<[^>]+>|__[A-Z]+__|\[\[(?:File|Image):[^\]]*\]\]|==+[^=]*==+")


def _wikinews_text(raw: str) -> str:
    """Wikinews wikitext as tosca keeps it (links already plain) to prose: the trailing sections
    (Related news, Sources), comments, tags, headings, file links, bullets and quote markup."""
    text = _WN_TAIL.split(html.unescape(raw), maxsplit=1)[0]
    text = _WN_DESK.sub(" ", _WN_MARKUP.sub(" ", text))
    text = re.sub(r"(?:^|\s)\*+(?=\s|$)", " ", text.replace("'''", "").replace("''", ""))
    text = re.sub(r"\s+([.,;:!?)])", r"\1", re.sub(r"\s+", " ", text))
    return text.strip()


def convert_wikinews_rda(data: Path) -> Path:
    """DATA/wikinews_tosca/{politics,economy}.rda -> wikinews.jsonl (id, date, title, text, desks;
    an article in both files once, with both desks). Needs ``pip install rdata``."""
    import importlib

    rdata: Any = importlib.import_module("rdata")  # conversion only, not a dependency

    folder = data / "wikinews_tosca"
    articles: dict[str, dict[str, object]] = {}
    for desk in WIKINEWS_DESKS:
        corpus = rdata.read_rda(str(folder / f"{desk}.rda"))[desk]
        meta = corpus["meta"]
        for aid, day, title in zip(meta["id"], meta["date"], meta["title"], strict=True):
            text = _wikinews_text(" ".join(str(t) for t in corpus["text"].get(aid, [])))
            title = html.unescape(re.sub(r"</?title>", "", str(title))).strip()
            rec: dict[str, object] = {"id": str(aid), "day": str(day), "title": title}
            rec.update(text=text, desks=[])
            desks = articles.setdefault(str(aid), rec)["desks"]
            assert isinstance(desks, list)
            desks.append(desk)
    out = folder / "wikinews.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for rec in articles.values():
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return out


def load_wikinews(data: Path, *, short: bool) -> list[Story]:
    """Wikinews articles of the politics and economy desks (training only), whole or short
    (headline + first two sentences); articles under 200 characters (stubs) are left out."""
    out = []
    with (data / "wikinews_tosca" / "wikinews.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if len(rec["text"]) < 200:
                continue
            desks = [WIKINEWS_DESKS[d] for d in rec["desks"]]
            labels = frozenset(label for label, _ in desks)
            unsure = frozenset().union(*(u for _, u in desks)) - labels
            body = lead(rec["text"]) if short else rec["text"]
            out.append(Story(rec["title"], body, "en", labels, "wikinews", unsure))
    return out


if __name__ == "__main__":  # python scripts/topics_datasets.py convert-wikinews [DATA]
    if sys.argv[1:2] == ["convert-wikinews"]:
        print(convert_wikinews_rda(Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DATA))

"""Region tagging on public labelled news, with a fixed dev/test split (docs/regions.md).

Each set is split once, by the parity of the SHA-1 of a story's key (LREC: ``<lang>/<source>/
<file stem>``; Wikinews: the URL), into a **dev** half that may be read and tuned on and a **test**
half that is only scored: ``--errors`` prints dev stories only, so no rule is set from a test one.

Data (kept out of git; bring it with the search tool's ``fetch`` or ``git clone``):
- the LREC 2020 location-phrase corpus, github.com/iscoe/lrec20-locphr (``eng.zip``, ``rus.zip``,
  unzipped into DATA_DIR): SETimes (CC BY-SA 3.0) and Voice of America (public domain) news in
  English, RadioLiberty and VOA in Russian, every location phrase tagged by hand (IOB2).
- English Wikinews 2019-2020 (CC BY 2.5), github.com/vanatteveldt/wikinews
  ``data/wikinews_2019.csv`` and ``data/wikinews_2020.csv`` copied into DATA_DIR; the focus
  labels are the project's own (``regions_wikinews_focus.jsonl``: written from title and lead
  before the tagger was run on these stories).

- Social posts with hand-tagged locations, both CC BY 4.0 (Derczynski et al.): the Broad
  Twitter Corpus, github.com/GateNLP/broad_twitter_corpus (``{a,b,e,f,g,h}.conll`` copied into
  DATA_DIR/btc; section G is news outlets' tweets, reported apart), and the WNUT 2017 emerging
  entities set, github.com/leondz/emerging_entities_17 (``wnut17train.conll``,
  ``emerging.dev.conll``, ``emerging.test.annotated`` into DATA_DIR/wnut17: tweets, Reddit,
  YouTube and Stack Overflow comments). Split by post (``<folder>/<file>/<index>``). The posts
  are tagged as the product tags a post: no title, the text as the body.

LREC gold per story: the countries of its hand-tagged place names, each phrase looked up whole
and alone in the gazetteer's name table (no context rule of the tagger is involved); a phrase
whose names point to more than one country, or none, or that also names a world region ("Asia",
"Balkan": the tagger lists regions apart), gives no gold country. Two golds: **all** place names
(LAND: a place, ADJ: a place adjective, GAG: a place acting as a political agent, "Croatia signed"),
which is what the ``countries`` field claims (every country a story names), and **locational**
(LAND + ADJ only, the measure reported before 2026-12-06), which counts a country named as an
actor against precision. LREC focus is a proxy: the most-tagged country (all place names), where
it leads by two mentions or more.
Wikinews focus: the tagger's first focus country is one of the labelled ones (stories labelled
with no country focus, e.g. a study of zebra stripes, are left out).
Posts: see ``score_posts``. Their gold is stricter than the ``countries`` field: the annotators
tagged places only, so a nationality word ("Chinese investors"), a club or firm named after a
town ("Manchester United") and a leader the gazetteer ties to a country count as extra; each
split prints what evidence the extra countries came from.

Run: .venv/bin/python tests/eval/eval_regions_public.py [DATA_DIR] [--errors] [--split dev]
(default DATA_DIR /tmp/regions_eval).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.tag.geo.build import get_gazetteer  # noqa: E402
from pipeline.tag.geo.gazetteer import Kind  # noqa: E402
from pipeline.tag.geo.matcher import lookup_keys  # noqa: E402
from pipeline.tag.geo.text import tokenize  # noqa: E402
from pipeline.tag.regions import tag_regions  # noqa: E402

LREC = {
    "en: SETimes + VOA": ("eng/eng/setimes", "eng/eng/voa"),
    "ru: RadioLiberty + VOA": ("rus/rus/radioliberty", "rus/rus/voa"),
}
WIKINEWS_FILES = ("wikinews_2019.csv", "wikinews_2020.csv")
WIKINEWS_LABELS = Path(__file__).with_name("regions_wikinews_focus.jsonl")
GOLD_KINDS = {Kind.COUNTRY, Kind.DEMONYM, Kind.CAPITAL, Kind.CITY, Kind.SUBDIVISION}
ALL_TAGS = ("LAND", "ADJ", "GAG")
LOCATIONAL_TAGS = ("LAND", "ADJ")
SPLITS = ("dev", "test")


def split_of(key: str) -> str:
    """The fixed split of a story: never changes, whatever the tagger does."""
    return "test" if int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 2 else "dev"


@dataclass
class Score:
    docs: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    loc: tuple[int, int, int] = (0, 0, 0)  # tp, fp, fn against the locational gold
    focus_ok: int = 0
    focus_n: int = 0
    errors: list[str] = field(default_factory=list)
    extra_kinds: Counter[str] = field(default_factory=Counter)  # posts: what each extra came from

    def prf(self, locational: bool = False) -> tuple[float, float, float]:
        tp, fp, fn = self.loc if locational else (self.tp, self.fp, self.fn)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bio_phrases(tagged: Iterable[tuple[str, str]], tags: Collection[str]) -> list[list[str]]:
    """The tokens of each phrase with one of these tags (IOB2: ``B-TAG``, then ``I-TAG``)."""
    out: list[list[str]] = []
    inside = False
    for token, tag in tagged:
        if tag.startswith("B-") and tag[2:] in tags:
            out.append([token])
            inside = True
        elif tag.startswith("I-") and inside and tag[2:] in tags:
            out[-1].append(token)
        else:
            inside = False
    return out


def phrases(path: Path, tags: tuple[str, ...] = ALL_TAGS) -> list[str]:
    """Named place phrases with these tags in one annotation file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tagged = ((token, tag) for token, _, tag in (line.partition("\t") for line in lines))
    return [" ".join(p) for p in bio_phrases(tagged, tags) if p[0][:1].isupper()]


def phrase_countries(phrase: str) -> set[str]:
    """Every country a place phrase can name, looked up whole and alone in the gazetteer's
    name table; none when it also names a world region."""
    gaz = get_gazetteer()
    tokens = tokenize(phrase)
    keys = tuple(lookup_keys(gaz, tokens))
    entries = [gaz.entries[e] for a in (gaz.aliases(keys) if keys else []) for e in a.entries]
    if any(e.kind is Kind.REGION for e in entries):
        return set()
    return {e.country for e in entries if e.kind in GOLD_KINDS and e.country}


def phrase_country(phrase: str) -> str | None:
    countries = phrase_countries(phrase)
    return countries.pop() if len(countries) == 1 else None


def score_lrec(data: Path, folders: tuple[str, ...]) -> dict[str, Score]:
    scores = {s: Score() for s in SPLITS}
    for folder in folders:
        for anno in sorted((data / folder / "annotations").glob("*.anno")):
            stem = anno.name.split(".")[0]
            found = sorted((data / folder / "plain").glob(f"{stem}.*txt"))
            if not found:
                continue
            sc = scores[split_of(f"{folder.split('/', 1)[1]}/{stem}")]
            counts = Counter(c for p in phrases(anno) if (c := phrase_country(p)))
            gold = set(counts)
            loc = {c for p in phrases(anno, LOCATIONAL_TAGS) if (c := phrase_country(p))}
            tags = tag_regions(None, found[0].read_text(encoding="utf-8"))
            pred = set(tags.countries)
            sc.docs += 1
            sc.tp += len(pred & gold)
            sc.fp += len(pred - gold)
            sc.fn += len(gold - pred)
            ltp, lfp, lfn = sc.loc
            sc.loc = (ltp + len(pred & loc), lfp + len(pred - loc), lfn + len(loc - pred))
            top = counts.most_common(2)
            if top and (len(top) == 1 or top[0][1] - top[1][1] >= 2):
                sc.focus_n += 1
                sc.focus_ok += bool(tags.focus_countries) and tags.focus_countries[0] == top[0][0]
            if pred != gold:
                sc.errors.append(f"{folder}/{anno.name}: +{sorted(pred - gold)} "
                                 f"-{sorted(gold - pred)}")  # fmt: skip
    return scores


def score_wikinews(data: Path) -> dict[str, Score] | None:
    if not all((data / f).exists() for f in WIKINEWS_FILES):
        return None
    csv.field_size_limit(10**8)
    texts: dict[str, tuple[str, str]] = {}
    for name in WIKINEWS_FILES:
        with (data / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts[row["url"]] = (row["title"], row["text"])
    scores = {s: Score() for s in SPLITS}
    for line in WIKINEWS_LABELS.read_text(encoding="utf-8").splitlines():
        story = json.loads(line)
        if not story["focus"] or story["url"] not in texts:
            continue
        assert story["split"] == split_of(story["url"])
        sc = scores[story["split"]]
        title, body = texts[story["url"]]
        tags = tag_regions(title, body)
        sc.docs += 1
        sc.focus_n += 1
        ok = bool(tags.focus_countries) and tags.focus_countries[0] in story["focus"]
        sc.focus_ok += ok
        if not ok:
            sc.errors.append(f"{story['title'][:70]}: {tags.focus_countries} "
                             f"(gold {story['focus']})")  # fmt: skip
    return scores


POSTS = {
    # name: (folder in DATA_DIR, files, the tag of a location)
    "BTC news tweets (section G)": ("btc", ("g.conll",), "LOC"),
    "BTC other tweets (A, B, E, F, H)": ("btc", tuple(f"{s}.conll" for s in "abefh"), "LOC"),
    "WNUT17 posts": (
        "wnut17", ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"),
        "location",
    ),
}  # fmt: skip
_NO_SPACE_BEFORE = re.compile(r" (?=[.,!?;:%)\]}]|'s\b|n't\b|'(?:re|ve|ll|d|m)\b)")
_NO_SPACE_AFTER = re.compile(r"(?<=[(\[{$]) ")


def conll_posts(path: Path) -> list[list[tuple[str, str]]]:
    """The posts of a CoNLL file (token, tag per line; a blank line ends a post)."""
    posts: list[list[tuple[str, str]]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        token, _, tag = line.strip().partition("\t")
        if not token:
            if posts[-1]:
                posts.append([])
            continue
        posts[-1].append((token, tag.strip() or "O"))
    return [p for p in posts if p]


def post_text(post: list[tuple[str, str]]) -> str:
    """The post's tokens as running text: no space before punctuation or after a bracket."""
    text = " ".join(token for token, _ in post)
    return _NO_SPACE_AFTER.sub("", _NO_SPACE_BEFORE.sub("", text))


def post_places(post: list[tuple[str, str]], label: str) -> list[str]:
    """The hand-tagged place phrases of a post, whatever their case (posts lower-case names)."""
    return [" ".join([p[0].lstrip("#@"), *p[1:]]) for p in bio_phrases(post, (label,))]


def score_posts(data: Path, folder: str, files: tuple[str, ...], label: str) -> dict[str, Score]:
    """Document-country P/R/F1 on hand-tagged social posts. Each place phrase is looked up
    alone, as for LREC, but a name several countries share ("Sydney": Australia or Nova
    Scotia; a post rarely says which) accepts any of them: a tagged country among a phrase's
    readings is right, one among none is extra, a phrase none of whose readings is tagged is
    missed. A post with no place phrase and no tag counts for nothing."""
    scores = {s: Score() for s in SPLITS}
    for name in files:
        path = data / folder / name
        if not path.exists():
            continue
        for i, post in enumerate(conll_posts(path)):
            sc = scores[split_of(f"{folder}/{name}/{i}")]
            phrases_ = post_places(post, label)
            readings = {frozenset(c) for p in phrases_ if (c := phrase_countries(p))}
            text = post_text(post)
            tags = tag_regions(None, text)
            pred = set(tags.countries)
            accepted = set().union(*readings)
            for extra in pred - accepted:
                kinds = {e.kind for e in tags.evidence if e.code.split("-")[0] == extra}
                sc.extra_kinds["+".join(sorted(kinds)) or "?"] += 1
            missed = {r for r in readings if not r & pred}
            sc.docs += 1
            sc.tp += len(pred & accepted)
            sc.fp += len(pred - accepted)
            sc.fn += len(missed)
            if pred - accepted or missed:
                miss = sorted("/".join(sorted(r)) for r in missed)
                sc.errors.append(f"{name}#{i}: +{sorted(pred - accepted)} -{miss} "
                                 f"| {text[:160]}")  # fmt: skip
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default="/tmp/regions_eval", type=Path)
    parser.add_argument("--errors", action="store_true", help="list dev stories not fully right")
    parser.add_argument(
        "--split", choices=(*SPLITS, "both"), default="both", help="tune on dev; test at the end"
    )
    args = parser.parse_args()
    shown = SPLITS if args.split == "both" else (args.split,)
    for name, folders in LREC.items():
        for split, sc in score_lrec(args.data, folders).items():
            if split not in shown:
                continue
            p, r, f = sc.prf()
            lp, lr, lf = sc.prf(locational=True)
            print(f"LREC {name} [{split}]: {sc.docs} stories; document-country "
                  f"P {p:.3f} R {r:.3f} F1 {f:.3f} (locational gold: P {lp:.3f} R {lr:.3f} "
                  f"F1 {lf:.3f}); focus proxy {sc.focus_ok}/{sc.focus_n} = "
                  f"{sc.focus_ok / max(sc.focus_n, 1):.3f}")  # fmt: skip
            if args.errors and split == "dev":
                print("\n".join(f"  {e}" for e in sc.errors))
    for name, (folder, files, label) in POSTS.items():
        if not (args.data / folder).exists():
            print(f"{name}: {folder}/ not in {args.data}; skipped")
            continue
        for split, sc in score_posts(args.data, folder, files, label).items():
            if split not in shown:
                continue
            p, r, f = sc.prf()
            print(f"{name} [{split}]: {sc.docs} posts; document-country P {p:.3f} R {r:.3f} "
                  f"F1 {f:.3f} ({sc.tp} right, {sc.fp} extra, {sc.fn} missed)")  # fmt: skip
            kinds = ", ".join(f"{k} {v}" for k, v in sc.extra_kinds.most_common(6))
            print(f"  extra countries by the evidence that gave them: {kinds}")
            if args.errors and split == "dev":
                print("\n".join(f"  {e}" for e in sc.errors))
    wikinews = score_wikinews(args.data)
    if wikinews is None:
        print(f"Wikinews: {', '.join(WIKINEWS_FILES)} not in {args.data}; skipped")
        return
    for split, sc in wikinews.items():
        if split not in shown:
            continue
        print(f"Wikinews en focus [{split}]: {sc.focus_ok}/{sc.focus_n} = "
              f"{sc.focus_ok / max(sc.focus_n, 1):.3f}")  # fmt: skip
        if args.errors and split == "dev":
            print("\n".join(f"  {e}" for e in sc.errors))


if __name__ == "__main__":
    main()

"""Region tagging on public labelled news the tagger was never tuned on (docs/regions.md).

Data (kept out of git; bring it with the search tool's ``fetch`` or ``git clone``, then unzip):
  the LREC 2020 location-phrase corpus, github.com/iscoe/lrec20-locphr (``eng.zip``, ``rus.zip``):
  SETimes (CC BY-SA 3.0) and Voice of America news in English, RadioLiberty and VOA in Russian,
  every location phrase tagged by hand (IOB2: LAND, ADJ, ...).

Gold per story: the countries of its hand-tagged named places (LAND) and place adjectives (ADJ).
A phrase is mapped to a country by looking the whole phrase up in the gazetteer's name table,
alone, without the story (so no context rule of the tagger is involved); a phrase whose names
point to more than one country, or to none ("airport", "Mother Teresa International Airport"),
gives no gold country. Focus (a proxy, not hand-coded): the story's most-tagged country, for
stories where one country leads by at least two mentions.

Run: .venv/bin/python tests/eval/eval_regions_public.py [DATA_DIR] [--errors]
(DATA_DIR holds the unzipped ``eng/`` and ``rus/`` folders; default /tmp/regions_eval).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.tag.geo.build import get_gazetteer  # noqa: E402
from pipeline.tag.geo.gazetteer import Kind  # noqa: E402
from pipeline.tag.geo.matcher import lookup_keys  # noqa: E402
from pipeline.tag.geo.text import tokenize  # noqa: E402
from pipeline.tag.regions import tag_regions  # noqa: E402

CORPORA = {
    "en: SETimes + VOA": ("eng/eng/setimes", "eng/eng/voa"),
    "ru: RadioLiberty + VOA": ("rus/rus/radioliberty", "rus/rus/voa"),
}
GOLD_KINDS = {Kind.COUNTRY, Kind.DEMONYM, Kind.CAPITAL, Kind.CITY, Kind.SUBDIVISION}


def phrases(path: Path) -> list[str]:
    """Named place phrases (LAND, ADJ) of one annotation file, in order."""
    out: list[list[str]] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        token, _, tag = line.partition("\t")
        if tag.startswith("B-") and tag[2:] in ("LAND", "ADJ"):
            out.append([token])
            inside = True
        elif tag.startswith("I-") and inside and tag[2:] in ("LAND", "ADJ"):
            out[-1].append(token)
        else:
            inside = False
    return [" ".join(p) for p in out if p[0][:1].isupper()]


def phrase_country(phrase: str) -> str | None:
    gaz = get_gazetteer()
    tokens = tokenize(phrase)
    keys = tuple(lookup_keys(gaz, tokens))
    countries = {
        gaz.entries[e].country
        for alias in (gaz.aliases(keys) if keys else [])
        for e in alias.entries
        if gaz.entries[e].kind in GOLD_KINDS and gaz.entries[e].country
    }
    return countries.pop() if len(countries) == 1 else None


def evaluate(data: Path, show_errors: bool) -> None:
    for name, folders in CORPORA.items():
        tp = fp = fn = 0
        focus_ok = focus_n = docs = 0
        errors = []
        for folder in folders:
            for anno in sorted((data / folder / "annotations").glob("*.anno")):
                stem = anno.name.split(".")[0]
                found = sorted((data / folder / "plain").glob(f"{stem}.*txt"))
                if not found:
                    continue
                plain = found[0]
                counts = Counter(c for p in phrases(anno) if (c := phrase_country(p)))
                gold = set(counts)
                tags = tag_regions(None, plain.read_text(encoding="utf-8"))
                pred = set(tags.countries)
                docs += 1
                tp += len(pred & gold)
                fp += len(pred - gold)
                fn += len(gold - pred)
                top = counts.most_common(2)
                if top and (len(top) == 1 or top[0][1] - top[1][1] >= 2):
                    focus_n += 1
                    focus_ok += bool(tags.focus_countries) and tags.focus_countries[0] == top[0][0]
                if pred != gold:
                    errors.append(f"{anno.name}: +{sorted(pred - gold)} -{sorted(gold - pred)}")
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{name}: {docs} stories; document-country P {p:.3f} R {r:.3f} F1 {f:.3f}; "
              f"focus proxy {focus_ok}/{focus_n} = {focus_ok / max(focus_n, 1):.3f}")  # fmt: skip
        if show_errors:
            print("\n".join(f"  {e}" for e in errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default="/tmp/regions_eval", type=Path)
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    evaluate(args.data, args.errors)


if __name__ == "__main__":
    main()

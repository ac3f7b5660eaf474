"""Band buckets of state format 3: short story references packed in one base64 string.

Why: a story is written to every band bucket, so whatever a member carries is paid
``bands`` times. In format 2 each member carried the story id, two times and the 64-byte
sketch (about 175 bytes with its key, 32 times: 5.6 of the 6 kB a story cost). Now the
sketch, id, time and cluster are stored once per story, in its *record*
(``sk:<ref>``, see :mod:`.state`), and a member is only what a bucket needs on its own:

* ``ref``: 7 bytes of BLAKE2b of the story id (:func:`pipeline.dedup.fingerprint.story_ref`),
  which names the record. Two stories of one window share a ref with probability about
  ``n**2 / 2**57``: 0.0016 at 15 million stories (30 days of 500,000); the cost of one
  such pair is recall, never a wrong merge (the record read back is the other story's,
  and a candidate is only accepted on *its* sketch);
* ``seen`` (uint32 epoch seconds, like every ``seen``): expiry, and which members a full
  bucket keeps;
* ``head``: whether the story heads its cluster; heads are kept first in a full bucket.

Twelve bytes per member, little-endian, in base64 (16 characters), members sorted by
ref so equal buckets are equal strings. Base85 would take 15, but Python's ``b85decode``
is pure Python, 15 times slower than base64's C code (15 against 1 us a bucket): it was
13% of the dedup CPU per story, for 18 bytes less per story.

:func:`join` is the bucket's merge: commutative, associative and idempotent up to expiry
and the cap, like the format-2 merge it replaces.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterable
from typing import Any, NamedTuple

from pipeline.dedup.fingerprint import REF_BYTES

_MEMBER = struct.Struct(f"<{REF_BYTES}sIB")


class Member(NamedTuple):
    """One story in a format-3 band bucket."""

    ref: str  # the story's reference: its record is the key ``sk:<ref>``
    seen: int  # when it was last seen, epoch seconds: expiry
    head: bool  # it heads its own cluster (kept first when the bucket is full)


def _ref_bytes(ref: str) -> bytes:
    return base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4))


def _ref_text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def pack(members: Iterable[Member]) -> str:
    """The stored form of a bucket (members in the order given: see :func:`join`)."""
    raw = b"".join(_MEMBER.pack(_ref_bytes(m.ref), m.seen, m.head) for m in members)
    return base64.b64encode(raw).decode("ascii")


def unpack(value: Any) -> list[Member]:
    """The members of a stored bucket; anything that is not a format-3 bucket has none."""
    if not isinstance(value, str) or not value:
        return []
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error
        return []
    if len(raw) % _MEMBER.size:
        return []
    return [
        Member(_ref_text(ref), seen, bool(head)) for ref, seen, head in _MEMBER.iter_unpack(raw)
    ]


def join(values: Iterable[Iterable[Member]], oldest: int, limit: int) -> list[Member]:
    """The union of buckets: expired members dropped, one member per ref (latest ``seen``;
    a head only if every copy says so: demotion is one-way), at most ``limit`` kept
    (heads first, then the most recently seen), sorted by ref."""
    by_ref: dict[str, Member] = {}
    for members in values:
        for member in members:
            if member.seen < oldest:
                continue
            known = by_ref.get(member.ref)
            if known is not None:
                member = Member(
                    member.ref, max(member.seen, known.seen), member.head and known.head
                )
            by_ref[member.ref] = member
    kept = sorted(by_ref.values(), key=lambda m: (not m.head, -m.seen, m.ref))[:limit]
    return sorted(kept, key=lambda m: m.ref)

"""Language of a body: statistical identification, with the page's own claim as fallback.

Why both: ``<html lang>`` is a site-wide template value (an English portal's Urdu
section often says "en"), so the text is asked first; a short or mixed text is a weak
witness, and then the page's claim wins. py3langid (a modernised langid.py, model
shipped in the wheel, no download) is optional: without it the page's claim is used.

py3langid ships its model LZMA-compressed (4.5 MB, 68 MB of arrays) and decompresses it at
every load: 0.5-0.6 s of CPU in every extraction process at every start, and language runs
on every story, so loading lazily would not help. The arrays are therefore kept
uncompressed in ``langid-<key>.bin`` beside the gazetteer's cache (``pipeline.cache``: same
directory, sealed with a digest that is checked at every read, written atomically, built
once by processes starting together, ``python -m pipeline.extract.language [DIR]`` for an
image build). A process maps the file instead of reading it: the arrays are used where they
lie, shared by every process through the page cache (0.1-0.2 s, most of it the digest). The
file holds raw arrays and a marshal header of plain builtins, nothing that runs code.
"""

from __future__ import annotations

import array
import hashlib
import logging
import marshal
import math
import mmap
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from pipeline import cache as cache_file

log = logging.getLogger(__name__)

# below this many letters a text's language guess is noise
MIN_LETTERS = 40
# a guess this sure overrides the page's declared language
CONFIDENT = 0.9
# with nothing declared, a guess below this is left out: on a short post it is noise
# (a line of place names came out "uz" at 0.38). Article bodies of shared/corpus/html
# all score 0.94 or more, so only short texts ever fall under it.
PLAUSIBLE = 0.5
# the identifier reads at most this much text: enough to decide, bounded cost (it walks
# the sample byte by byte in Python). On the 566 pages of shared/corpus/html, 1,000
# characters give the same guess, and the same side of CONFIDENT, as 3,000 on every page.
SAMPLE_CHARS = 1000
# py3langid's model also answers with ISO 639-3 codes, and ``lang`` is ISO 639-1: members
# of a macrolanguage take its code; the others have none ("bcl" is no "bc"), so no guess.
_ISO_639_1 = {
    "ary": "ar",
    "arz": "ar",
    "gug": "gn",
    "kik": "ki",
    "sdh": "ku",
    "uzs": "uz",
    "wuu": "zh",
    "yue": "zh",
}


class _Identifier(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


FORMAT = 1
"""Raise when ``encode_model``/``read_model`` change the file's layout: the key holds no code
(an edit to this module's rules must not rewrite a 68 MB file), only this number."""
MAGIC = b"newswire-langid\n"
_HEAD = len(MAGIC) + cache_file.DIGEST_SIZE  # where the payload starts in the file
_ALIGN = 64
# py3langid's arrays: the two naive Bayes tables (numpy) and the tokenizer's DFA (stdlib
# arrays of "H"/"I"/"L", indexed per byte of text in Python: a memoryview of the same type
# indexes as fast, measured); its output table is a list (built from int32 at load).
_NUMPY = ("nb_ptc", "nb_pc")
_STDLIB = ("tk_nextmove", "tk_row")


@cache
def _identifier() -> Any:
    return load_identifier()


def load_identifier(directory: Path | None = None) -> Any:
    """py3langid's identifier (probabilities normalised) from its cache file under
    ``directory`` (default ``pipeline.cache.cache_dir()``), else decompressed and written
    there; None without py3langid."""
    try:
        from py3langid.langid import LanguageIdentifier
    except ImportError:
        return None
    model = model_file()
    key = cache_key(model)
    directory = cache_file.cache_dir() if directory is None else directory
    return cache_file.load_or_build(
        directory / f"langid-{key}.bin",
        lambda path: read_model(path, key),
        lambda: LanguageIdentifier.from_model_file(model, norm_probs=True),
        lambda identifier: encode_model(identifier, key),
        what="language model",
        log=log,
    )


def model_file() -> Path:
    """The compressed model py3langid ships and loads by default."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path: Path = Path(MODEL_DIR) / MODEL_FILE
    return path


def cache_key(model: Path) -> str:
    """Hash of what the cache file depends on: its layout (``FORMAT``), the byte order, and
    py3langid's version and model file."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {FORMAT} {sys.byteorder} marshal {marshal.version}\n".encode())
    try:
        h.update(f"py3langid {version('py3langid')}\n".encode())
    except PackageNotFoundError:
        h.update(b"py3langid unknown\n")
    h.update(model.read_bytes())
    return h.hexdigest()


def encode_model(identifier: Any, key: str) -> bytes:
    """A marshal header (key, labels, where each array lies), then the raw arrays, each
    aligned in the file so that they can be used where they lie."""
    import numpy as np

    arrays: dict[str, tuple[str, tuple[int, ...], bytes]] = {}
    for name in _NUMPY:
        array = np.ascontiguousarray(getattr(identifier, name))
        arrays[name] = (array.dtype.str, array.shape, array.tobytes())
    for name in _STDLIB:
        array = getattr(identifier, name)
        arrays[name] = (array.typecode, (len(array),), array.tobytes())
    output = np.asarray(identifier.tk_output, dtype="<i4")
    arrays["tk_output"] = ("<i4", output.shape, output.tobytes())
    layout, offset = {}, 0  # offsets from the first array's start
    for name, (kind, shape, data) in arrays.items():
        layout[name] = (kind, shape, offset)
        offset = _aligned(offset + len(data))
    header = marshal.dumps({"key": key, "classes": list(identifier.nb_classes), "layout": layout})
    parts = [len(header).to_bytes(8, "little"), header]
    position = _first_array(len(header))
    parts.append(bytes(position - _HEAD - 8 - len(header)))
    for _kind, _shape, data in arrays.values():
        parts.append(data)
        parts.append(bytes(_aligned(len(data)) - len(data)))
    return cache_file.seal(MAGIC, b"".join(parts))


def _first_array(header_size: int) -> int:
    return _aligned(_HEAD + 8 + header_size)


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


def read_model(path: Path, key: str) -> Any:
    """The identifier :func:`encode_model` wrote, its arrays mapped from the file (read-only,
    shared between processes); :class:`pipeline.cache.CacheError` unless whole and current."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # empty: ValueError
    view = memoryview(mapped)
    cache_file.unseal(MAGIC, view)  # the digest reads every page once: they are cached then
    size = int.from_bytes(view[_HEAD : _HEAD + 8], "little")
    try:
        state = marshal.loads(view[_HEAD + 8 : _HEAD + 8 + size])
    except (EOFError, ValueError, TypeError) as exc:
        raise cache_file.CacheError(f"unreadable header: {exc}") from exc
    if not isinstance(state, dict) or state.get("key") != key:
        raise cache_file.CacheError("written for another key")
    first = _first_array(size)
    found: dict[str, Any] = {}
    for name, (kind, shape, offset) in state["layout"].items():
        start = first + offset
        count = math.prod(shape)
        if name in _STDLIB:
            found[name] = view[start : start + count * array.array(kind).itemsize].cast(kind)
        else:
            found[name] = np.frombuffer(mapped, np.dtype(kind), count, start).reshape(shape)
    return LanguageIdentifier(
        found["nb_ptc"],
        found["nb_pc"],
        state["classes"],
        found["tk_nextmove"],
        found["tk_output"].tolist(),
        norm_probs=True,
        tk_row=found["tk_row"],
    )


def identify(text: str) -> tuple[str, float] | None:
    """(ISO 639-1 code, probability) for ``text``, or None when it cannot be told."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    identifier: _Identifier | None = _identifier()
    if identifier is None:
        return None
    code, probability = identifier.classify(sample)
    code = str(code).lower()
    code = _ISO_639_1.get(code, code)
    if len(code) != 2:
        return None  # also "zxx": no linguistic content
    return code, float(probability)


def detect_language(text: str, declared: str | None = None) -> str | None:
    """The body's language; ``declared`` (from the page) decides when the text cannot."""
    guess = identify(text)
    if guess is None:
        return declared
    code, probability = guess
    if declared and code != declared and probability < CONFIDENT:
        return declared
    if not declared and probability < PLAUSIBLE:
        return None  # no language beats a wrong one: `--lang` filters would hide the story
    return code


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.extract.language [DIR]``: write the model's cache file now, e.g. in
    an image build, so that no container decompresses it (``NEWSWIRE_TAG_CACHE_DIR`` pointing
    there; a read-only directory is fine: loading never writes)."""
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else cache_file.cache_dir()
    if load_identifier(directory) is None:
        print("py3langid is not installed: no language model to write", file=sys.stderr)
        return 1
    return cache_file.report_written(directory / f"langid-{cache_key(model_file())}.bin")


if __name__ == "__main__":
    raise SystemExit(main())

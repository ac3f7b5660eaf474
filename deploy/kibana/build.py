#!/usr/bin/env python3
"""Build the newswire Kibana saved objects (NDJSON) from readable Python.

This file and its sibling builders are the source of truth for
``deploy/kibana/saved_objects.ndjson`` and its packaged copy
``newswire/data/kibana/saved_objects.ndjson`` (what ``newswire kibana setup`` imports by
default). One module per kind of object: ``kibana_base`` (ids, JSON, the envelope, the
data view), ``kibana_searches``, ``kibana_lens``, ``kibana_map`` and ``kibana_dashboard``;
this file orders them and writes the output. Edit there, then run::

    python deploy/kibana/build.py          # rewrite both copies
    python deploy/kibana/build.py --check  # exit 1 when a copy is stale

The output is deterministic: fixed ids, ids derived from names with uuid5, JSON with
sorted keys. Only the standard library is used, so the script runs anywhere.

Formats follow what Kibana 9 exports: ``coreMigrationVersion`` 8.8.0 and, per type, the
``typeMigrationVersion`` of the format the attributes are written in (Kibana migrates
anything older forward on import, and refuses anything newer than it knows).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUTPUTS = (
    HERE / "saved_objects.ndjson",
    ROOT / "newswire" / "data" / "kibana" / "saved_objects.ndjson",
)

# The builders are sibling modules (kibana_*.py). deploy/ is not a package, and the tests
# load this file by path, so the folder goes on the import path whichever way it is run.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from kibana_base import data_view, dumps  # noqa: E402
from kibana_dashboard import dashboard  # noqa: E402
from kibana_lens import lenses  # noqa: E402
from kibana_map import focus_map  # noqa: E402
from kibana_searches import saved_searches  # noqa: E402

# ------------------------------------------------------------------------------ output


def saved_objects() -> list[dict[str, Any]]:
    """Every object, referenced ones before those that reference them."""
    return [data_view(), *saved_searches(), *lenses(), focus_map(), dashboard()]


def render() -> str:
    return "".join(dumps(obj) + "\n" for obj in saved_objects())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when an output is stale")
    args = parser.parse_args(argv)
    text = render()
    stale = [p for p in OUTPUTS if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python deploy/kibana/build.py)")
        return 1 if stale else 0
    for path in OUTPUTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(saved_objects())} objects)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

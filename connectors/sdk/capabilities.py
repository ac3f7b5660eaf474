"""The capability table: what each registered connector needs and cannot do.

Rendered from each connector's ``Capabilities`` (never written by hand), for the docs
(``docs/connectors.md``, between the ``capabilities`` markers) and for the command line.
``python -m connectors.sdk.capabilities --write docs/connectors.md`` refreshes the docs;
a unit test fails when they are stale.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from connectors.sdk.registry import available, load

START = "<!-- capabilities:start (generated: python -m connectors.sdk.capabilities) -->"
END = "<!-- capabilities:end -->"
HEADER = ("connector", "needs a key", "rate limits", "what the keyless path cannot do", "notes")


@dataclass(frozen=True)
class Row:
    connector: str
    needs_key: str
    rate_limit: str
    keyless_limits: str
    notes: str

    def cells(self) -> tuple[str, ...]:
        return (
            f"`{self.connector}`",
            self.needs_key,
            self.rate_limit or "-",
            self.keyless_limits or "-",
            self.notes or "-",
        )


def rows() -> list[Row]:
    """One row per registered connector, by name."""
    out = []
    for name in sorted(available()):
        caps = load(name).capabilities
        out.append(Row(name, caps.needs_key, caps.rate_limit, caps.keyless_limits, caps.notes))
    return out


def markdown_table(table: list[Row] | None = None) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    lines = [line(HEADER), line(tuple("---" for _ in HEADER))]
    lines += [line(row.cells()) for row in (rows() if table is None else table)]
    return "\n".join(lines)


def refresh(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    if START not in text or END not in text:
        raise ValueError(f"the document has no {START} ... {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="refresh the table inside this document")
    args = parser.parse_args(argv)
    if args.write is None:
        print(markdown_table())
        return 0
    text = args.write.read_text(encoding="utf-8")
    args.write.write_text(refresh(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

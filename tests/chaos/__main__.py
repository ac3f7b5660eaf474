"""``python -m tests.chaos [--quick]``: the chaos suite on a stack of its own.

Prints a table (fault, in, indexed, copies merged, dead letters, duplicates, lost) and
exits 1 on any lost or duplicated URL, or any copy indexed again instead of merged.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tests.chaos.faults import catalogue
from tests.chaos.ledger import table
from tests.chaos.stack import HOME, ChaosStack, chaos_settings
from tests.chaos.suite import Config, Suite


def parse(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    p = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    p.add_argument("--quick", action="store_true", help="CI size: 220 URLs, short outages")
    p.add_argument("--pages", type=int, help="URLs served in all (default 1100; quick 220)")
    p.add_argument("--hosts", type=int, default=8, help="loopback hosts, one feed each")
    p.add_argument("--es-down", type=float, help="seconds Elasticsearch is stopped (60; quick 20)")
    p.add_argument("--kafka-down", type=float, help="seconds Kafka is stopped (30; quick 15)")
    p.add_argument("--throttle", type=float, help="seconds of 429 + Retry-After (60; quick 20)")
    p.add_argument("--phase-timeout", type=float, help="seconds a phase may take to settle")
    p.add_argument("--fault", action="append", default=[], help="only faults containing this")
    p.add_argument("--home", type=Path, default=HOME, help="the suite's own stack home")
    p.add_argument("--port-offset", type=int, default=1000, help="added to every stack port")
    p.add_argument("--keep-stack", action="store_true", help="leave the suite's stack running")
    p.add_argument("--list", action="store_true", help="list the faults and exit")
    a = p.parse_args(argv)
    q = a.quick
    cfg = Config(
        pages=a.pages or (220 if q else 1100),
        hosts=a.hosts,
        es_down=a.es_down if a.es_down is not None else (20 if q else 60),
        kafka_down=a.kafka_down if a.kafka_down is not None else (15 if q else 30),
        throttle=a.throttle if a.throttle is not None else (20 if q else 60),
        phase_timeout=a.phase_timeout or (240 if q else 420),
    )
    return cfg, a


def main(argv: list[str] | None = None) -> int:
    cfg, a = parse(sys.argv[1:] if argv is None else argv)
    faults = catalogue(cfg)
    names = [n for n in faults if not a.fault or any(f.lower() in n.lower() for f in a.fault)]
    if a.list:
        print("\n".join(names))
        return 0
    begin = time.monotonic()
    # SIGTERM (CI timeouts) unwinds like Ctrl-C: the roles and the stack are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = ChaosStack(chaos_settings(a.home, a.port_offset))
    print(f"chaos: own stack in {a.home} (Kafka {stack.settings.kafka_bootstrap}, "
          f"Elasticsearch {stack.settings.elasticsearch_url})", flush=True)  # fmt: skip
    stack.up()
    suite = Suite(cfg, stack, faults)
    try:
        rows = suite.run(names)
    finally:
        if not a.keep_stack:
            stack.down()
    print()
    print(table(rows))
    for phase in suite.phases:
        if phase.notes:
            print(f"- {phase.fault} ({phase.seconds:.0f}s): {'; '.join(phase.notes)}")
    total = rows[-1]
    reasons = ", ".join(f"{k} {v}" for k, v in total.reasons.most_common() if k != "restarts")
    print(f"dead-letter reasons: {reasons or 'none'}")
    bad = [r for r in rows[:-1] if not r.ok]
    unmerged = total.copies - total.copies_merged
    for row in bad:
        print(f"FAIL {row.fault}: lost {row.lost_urls[:5]} duplicated {row.duplicate_urls[:5]}")
    print(f"namespace {suite.ns}; logs in {suite.workdir}; {time.monotonic() - begin:.0f}s")
    if bad:
        return 1
    if unmerged:
        print(f"note: {unmerged} copies not merged into their original (dead-lettered or "
              "near-duplicate)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

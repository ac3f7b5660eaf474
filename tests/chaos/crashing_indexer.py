"""``newswire indexer`` that dies by SIGKILL right after its first acknowledged bulk,
before that batch's offsets are committed (the chaos fault "indexer killed between a
bulk and its commit").

The indexer settles a batch (Elasticsearch acknowledged it, dead letters flushed) and
then calls ``Indexer._commit``; this wrapper replaces that method with a SIGKILL of its
own process, so no test hook is needed in the indexer itself. If the method is renamed
the wrapper fails at start, loudly, instead of testing nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from pipeline.index.indexer import Indexer


def main() -> None:
    if not hasattr(Indexer, "_commit"):
        sys.exit("crashing_indexer: Indexer._commit is gone; update tests/chaos")

    def crash(self: Indexer, *args: Any, **kwargs: Any) -> None:
        print(f"crashing_indexer: {self.indexed} acknowledged, SIGKILL before commit", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    Indexer._commit = crash  # type: ignore[method-assign]
    from newswire.cli.main import main as newswire_main

    sys.argv = ["newswire", "indexer", *sys.argv[1:]]
    newswire_main()


if __name__ == "__main__":
    main()

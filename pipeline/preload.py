"""Imported by the extraction processes' fork server before its first fork (``pipeline.pool``).

Importing it loads and warms the chain and the default taggers once, in the fork server,
so that every extraction process forked from it starts with them loaded. Nothing else
should import it: the import is the work.
"""

from pipeline.pool import preload_default

preload_default()

"""A local archive of saved article pages (a folder with ``manifest.json``), read once."""

from connectors.archive.connector import ArchiveConfig, ArchiveConnector

__all__ = ["ArchiveConfig", "ArchiveConnector"]

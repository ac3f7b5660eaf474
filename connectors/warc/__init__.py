"""Backfill from web archives: WARC (and ARC) files, local or over HTTP, resumable."""

from connectors.warc.connector import WarcConfig, WarcConnector

__all__ = ["WarcConfig", "WarcConnector"]

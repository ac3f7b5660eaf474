"""URL normalisation shared by connectors (item keys) and processing (canonical URLs)."""

from __future__ import annotations

from courlan import normalize_url as _courlan_normalize


def normalize_url(url: str) -> str:
    """Lower-case host, no fragment, no tracking parameters, sorted query (courlan, strict)."""
    url = url.strip()
    try:
        return str(_courlan_normalize(url, strict=True))
    except (ValueError, AttributeError):
        return url

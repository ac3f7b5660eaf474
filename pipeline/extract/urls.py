"""URL normalisation lives with the contracts (``wire.urls``): connectors need the same
item keys that processing uses for canonical URLs, and neither may import the other."""

from wire.urls import normalize_url, resolve_canonical, same_story_url

__all__ = ["normalize_url", "resolve_canonical", "same_story_url"]

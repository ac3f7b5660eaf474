"""Mastodon hashtag and account timelines from any instance: the public API, or the
instance's RSS feeds where the API is closed to anonymous clients."""

from connectors.mastodon.connector import MastodonConfig, MastodonConnector

__all__ = ["MastodonConfig", "MastodonConnector"]

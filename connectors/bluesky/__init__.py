"""Bluesky posts: the Jetstream firehose filtered by accounts and keywords, resumable
across drops and restarts, or accounts' author feeds over the public AppView."""

from connectors.bluesky.connector import BlueskyConfig, BlueskyConnector

__all__ = ["BlueskyConfig", "BlueskyConnector"]

"""Connectors: the SDK and one folder per source type. Never imports processing code."""

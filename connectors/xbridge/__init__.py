"""X (Twitter) accounts and searches through a configurable RSS bridge (Nitter, RSSHub)."""

from connectors.xbridge.connector import XBridgeConfig, XBridgeConnector

__all__ = ["XBridgeConfig", "XBridgeConnector"]

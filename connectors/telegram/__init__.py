"""Telegram public channels through their web preview pages (``t.me/s/<channel>``)."""

from connectors.telegram.connector import TelegramConfig, TelegramConnector

__all__ = ["TelegramConfig", "TelegramConnector"]

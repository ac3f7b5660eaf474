"""The conformance kit on the Telegram connector, against recorded channel previews."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk.recording import Recording
from connectors.sdk.testing import ConnectorContract, Reply
from connectors.telegram import TelegramConnector

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "telegram"
HTML = {"Content-Type": "text/html; charset=utf-8"}
NEWEST = (FIXTURES / "channel_newest.html").read_text()
# the channel one message later: 106 is new, the oldest message scrolled off the page
NEWER = NEWEST.replace('kabulwire/101"', 'kabulwire/106"')


class TestTelegramContract(ConnectorContract):
    connector = TelegramConnector
    config: ClassVar[Mapping[str, Any]] = {"channel": "kabulwire", "base_url": "{base}"}
    invalid_configs = (
        {"channel": "x"},
        {"channel": "https://example.com/kabulwire"},
        {"channel": "kabulwire", "base_url": "ftp://t.me"},
        {"channel": "kabulwire", "max_pages": 0},
    )
    first_poll: ClassVar[Recording] = {"/s/kabulwire": Reply(200, NEWEST, HTML)}
    something_new: ClassVar[Recording | None] = {"/s/kabulwire": Reply(200, NEWER, HTML)}

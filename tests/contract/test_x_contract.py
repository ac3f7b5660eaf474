"""The conformance kit on the X connector, against a recorded Nitter-style bridge feed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk.recording import Recording
from connectors.sdk.testing import ConnectorContract, Reply
from connectors.xbridge import XBridgeConnector

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social" / "x"
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
FEED = (FIXTURES / "nitter_user.rss").read_text().replace("{{SITE}}", "https://kabulnews.example")
NEW_ITEM = """    <item>
      <title>Night update: curfew lifted.</title>
      <dc:creator>@kabulwire</dc:creator>
      <description><![CDATA[<p>Night update: curfew lifted.</p>]]></description>
      <pubDate>Tue, 05 Mar 2024 22:00:00 GMT</pubDate>
      <guid>https://nitter.example/kabulwire/status/1765100000000000004#m</guid>
      <link>https://nitter.example/kabulwire/status/1765100000000000004#m</link>
    </item>
"""


class TestXContract(ConnectorContract):
    connector = XBridgeConnector
    config: ClassVar[Mapping[str, Any]] = {"bridge": "{base}/{user}/rss", "user": "kabulwire"}
    invalid_configs = (
        {"bridge": "{base}/{user}/rss"},
        {"bridge": "{base}/rss", "user": "kabulwire"},
        {"bridge": "https://x.com/{user}", "user": "kabulwire"},
    )
    first_poll: ClassVar[Recording] = {"/kabulwire/rss": Reply(200, FEED, RSS)}
    something_new: ClassVar[Recording | None] = {
        "/kabulwire/rss": Reply(200, FEED.replace("    <item>", NEW_ITEM + "    <item>", 1), RSS)
    }

"""robots.txt for the shared HTTP client: what a fetch of ``/robots.txt`` means (RFC 9309).

``HttpClient`` fetches the file once per origin and keeps the ``RobotsPolicy`` this module
makes of it until it expires:

- 2xx: the rules, parsed by protego and matched against our product token;
- 4xx (the file is "unavailable"): everything is allowed;
- 5xx, 429, a timeout or a network error (the file is "unreachable"): everything is
  disallowed for now and the fetch is tried again later; a copy fetched before is kept
  meanwhile, as the RFC allows;
- more than five redirects: unavailable, so everything is allowed.

Only the first 500 KiB are parsed (the RFC's minimum); a longer file is truncated, not
refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from connectors.sdk.errors import FatalSourceError

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 500 * 1024


class RobotsDisallowed(FatalSourceError):
    """robots.txt of the URL's site disallows it for our user agent.

    Fatal for this URL (retrying soon will not help); the rule may change, so a source
    whose own URL is disallowed is retried rarely, like any fatal source.
    """

    def __init__(self, url: str, robots_url: str, agent: str, rule: str) -> None:
        super().__init__(f"{robots_url} disallows {url} for user-agent {agent!r} ({rule})")
        self.url = url
        self.robots_url = robots_url
        self.rule = rule


@dataclass
class RobotsPolicy:
    """The rules of one origin, as far as we know them."""

    robots_url: str
    parser: Protego | None
    """None: no rules (the file is unavailable), everything is allowed."""
    expires: float
    """time.monotonic() after which the file is fetched again."""
    unreachable: str | None = None
    """Why the last fetch failed; while set and no older copy is known, nothing may be
    fetched from the origin until ``expires``."""

    def delay_seconds(self, agent: str) -> float | None:
        """Seconds between requests the site asks of us: Crawl-delay, or the interval a
        Request-rate implies, whichever is longer."""
        if self.parser is None:
            return None
        delays = []
        if (crawl := self.parser.crawl_delay(agent)) is not None:
            delays.append(float(crawl))
        if (rate := self.parser.request_rate(agent)) is not None and rate.requests > 0:
            delays.append(rate.seconds / rate.requests)
        return max(delays) if delays else None

    def check(self, url: str, agent: str) -> None:
        """Raise ``RobotsDisallowed`` when the rules forbid ``url`` to ``agent``."""
        if self.parser is None or self.parser.can_fetch(url, agent):
            return
        raise RobotsDisallowed(url, self.robots_url, agent, _deciding_rule(self.parser, url, agent))


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def product_token(user_agent: str) -> str:
    """The token robots.txt groups are matched against: ``newswire`` in
    ``newswire/0.1 (+https://...)`` (RFC 9309 section 2.2.1)."""
    token = user_agent.strip().split("/", 1)[0].split(" ", 1)[0]
    return token or user_agent


def parse_robots(robots: str, body: bytes, expires: float) -> RobotsPolicy:
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    return RobotsPolicy(robots, Protego.parse(text), expires)


def allow_all(robots: str, expires: float) -> RobotsPolicy:
    return RobotsPolicy(robots, None, expires)


def unreachable(
    robots: str, reason: str, previous: RobotsPolicy | None, retry_at: float
) -> RobotsPolicy:
    """Nothing may be fetched until ``retry_at``, unless an older copy is known."""
    parser = previous.parser if previous is not None else None
    return RobotsPolicy(robots, parser, retry_at, unreachable=reason)


def after_fetch(
    robots: str,
    status: int,
    body: bytes,
    previous: RobotsPolicy | None,
    now: float,
    ttl: float,
    retry: float,
) -> RobotsPolicy:
    """What an answer to ``GET /robots.txt`` means (the table in the module docstring)."""
    if 200 <= status < 300:
        return parse_robots(robots, body, now + ttl)
    if 400 <= status < 500 and status != 429:
        return allow_all(robots, now + ttl)
    return unreachable(robots, f"HTTP {status}", previous, now + retry)


def _deciding_rule(parser: Protego, url: str, agent: str) -> str:
    """The group and Disallow line that decided, for the error message.

    protego has no public API for it; this reads its rule set and falls back to a
    generic description if that ever changes: the decision itself is protego's.
    """
    try:
        from protego._utils import _quote_path

        rule_set = parser._get_matching_rule_set(agent)
        if rule_set is None:
            return "a Disallow rule"
        quoted = _quote_path(url)
        for rule in rule_set._rules:  # sorted by precedence, as protego decides
            if rule.value.match(quoted):
                return f"User-agent: {rule_set.user_agent}; Disallow: {rule.value._pattern}"
    except Exception:  # only the message loses detail
        log.debug("cannot name the robots.txt rule for %s", url, exc_info=True)
    return "a Disallow rule"

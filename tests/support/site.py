"""A small news site served from 127.0.0.1: an RSS feed and its article pages.

The stories are written for these tests (never copied from anywhere). The server runs in
a thread and can be told to change its feed between polls.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

PLACES = [
    ("Herat", "Afghanistan", "water sharing on the Hari river"),
    ("Tashkent", "Uzbekistan", "a new rail corridor to the south"),
    ("Quetta", "Pakistan", "border trade reopening after talks"),
    ("Mashhad", "Iran", "returning refugees and winter aid"),
    ("Dushanbe", "Tajikistan", "a hydropower deal with its neighbours"),
    ("Bishkek", "Kyrgyzstan", "a dispute over grazing land"),
]


@dataclass
class Story:
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime
    author: str

    def html(self, base: str) -> str:
        body = "\n".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(self.title)} | Steppe Courier</title>
<link rel="canonical" href="{base}/news/{self.slug}">
<meta property="og:title" content="{escape(self.title)}">
<meta property="og:site_name" content="Steppe Courier">
<meta name="author" content="{escape(self.author)}">
<meta property="article:published_time" content="{self.published.isoformat()}">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/region">Region</a></nav>
<main><article class="story">
<h1>{escape(self.title)}</h1>
<p class="byline">By {escape(self.author)}</p>
{body}
</article></main>
<footer><p>Subscribe to our newsletter for daily updates.</p><p>© Steppe Courier</p></footer>
</body></html>"""


def make_stories(count: int, start: int = 0) -> list[Story]:
    now = datetime.now(UTC).replace(microsecond=0)
    stories = []
    for i in range(start, start + count):
        city, country, subject = PLACES[i % len(PLACES)]
        title = f"{city} officials report progress on {subject} (report {i})"
        paragraphs = [
            f"Officials in {city} said on Tuesday that talks on {subject} had moved forward, "
            f"according to a statement issued by the provincial administration of {country}.",
            f"The statement, number {i} in a series of briefings this month, described meetings "
            "with community elders, traders and engineers who have followed the matter for years.",
            "Local residents told reporters they hoped the agreement would hold through the "
            "winter, when roads close and supplies become scarce in the mountain districts.",
            f"Analysts in {country} cautioned that previous arrangements had collapsed over "
            "financing disputes, and that the coming weeks would show whether the plan was real.",
            f"A follow-up meeting is expected in {city} next month, the administration added.",
        ]
        stories.append(
            Story(
                slug=f"report-{i}",
                title=title,
                paragraphs=paragraphs,
                published=now - timedelta(hours=i + 1),
                author=f"Reporter {i % 3}",
            )
        )
    return stories


@dataclass
class Site:
    stories: list[Story] = field(default_factory=list)
    base: str = ""
    hits: dict[str, int] = field(default_factory=dict)

    def feed(self) -> str:
        items = "\n".join(
            f"""<item><title>{escape(s.title)}</title><link>{self.base}/news/{s.slug}</link>
<guid>{self.base}/news/{s.slug}</guid><pubDate>{format_datetime(s.published)}</pubDate>
<description>{escape(s.paragraphs[0])}</description></item>"""
            for s in self.stories
        )
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Steppe Courier</title><link>{self.base}/</link>
<description>Regional news</description>{items}</channel></rss>"""


def serve(site: Site) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            site.hits[self.path] = site.hits.get(self.path, 0) + 1
            if self.path == "/feed.xml":
                self._send(200, site.feed(), "application/rss+xml")
                return
            for s in site.stories:
                if self.path == f"/news/{s.slug}":
                    self._send(200, s.html(site.base), "text/html; charset=utf-8")
                    return
            self._send(404, "not found", "text/plain")

        def _send(self, status: int, text: str, ctype: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, site.base

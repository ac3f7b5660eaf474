"""One story as readable text, for ``newswire show`` and ``newswire fetch``.

Built as a ``rich.text.Text`` (never markup), so titles and bodies with square brackets
print as they are.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from typing import Any

from rich.text import Text

EXCERPT = 600


def story_summary(doc: dict[str, Any], excerpt: int = EXCERPT) -> Text:
    """Title, date, URLs, source, language, tags with their evidence, embeds, related, text."""
    t = Text()
    t.append((doc.get("title") or "(no title)") + "\n", style="bold")
    _line(t, "id", doc.get("id"))
    _line(t, "url", doc.get("url"))
    for other in [u for u in doc.get("urls") or [] if u != doc.get("url")][:5]:
        _line(t, "also at", other)
    src = doc.get("source") or {}
    _line(t, "source", " · ".join(str(v) for v in (src.get("name"), src.get("domain")) if v))
    _line(t, "published", doc.get("published_at"))
    _line(t, "language", doc.get("lang"))
    _line(t, "authors", ", ".join(doc.get("authors") or []))
    _line(t, "focus", ", ".join(doc.get("focus_countries") or []))
    _line(t, "countries", _countries(doc))
    _line(t, "subdivisions", ", ".join(doc.get("subdivisions") or []))
    _line(t, "world regions", ", ".join(doc.get("world_regions") or []))
    scores = doc.get("topic_scores") or []
    topics = ", ".join(f"{s['topic']} {float(s['score']):.2f}" for s in scores)
    _line(t, "topics", topics or ", ".join(doc.get("topics") or []))
    extraction = doc.get("extraction") or {}
    _line(t, "extraction", " ".join(str(v) for v in extraction.values() if v))
    for embed in (doc.get("embeds") or [])[:10]:
        who = embed.get("handle") or embed.get("author") or ""
        _line(t, "embed", " ".join(v for v in (embed.get("platform"), who, embed.get("url")) if v))
    for rel in (doc.get("related") or [])[:10]:
        _line(t, "related", f"{rel.get('title') or ''} <{rel.get('url')}>".strip())
    body = (doc.get("body") or doc.get("summary") or "").strip()
    if body:
        cut = body[:excerpt] + (" …" if len(body) > excerpt else "")
        t.append("\n")
        for para in cut.split("\n\n"):
            t.append(textwrap.fill(" ".join(para.split()), width=78) + "\n\n")
        t.append(f"({len(body.split())} words)\n", style="dim")
    return t


def _countries(doc: dict[str, Any]) -> str:
    """Each country with the places named for it: the evidence behind the tag."""
    evidence: dict[str, list[str]] = defaultdict(list)
    for ev in doc.get("region_evidence") or []:  # the tagger's reasons, where it gives them
        count = ev.get("count", 1)
        evidence[ev["code"]].append(
            f"{ev['text']} [{ev['kind']}]" + (f" ×{count}" if count > 1 else "")
        )
    for place in [] if evidence else doc.get("places") or []:
        country = place.get("country") or ""
        if country:
            count = place.get("count", 1)
            evidence[country].append(place["name"] + (f" ×{count}" if count > 1 else ""))
    parts = []
    for code in doc.get("countries") or []:
        names = evidence.get(code)
        parts.append(f"{code} ({', '.join(names[:4])})" if names else code)
    return "; ".join(parts)


def _line(t: Text, label: str, value: Any) -> None:
    if value:
        t.append(f"{label:>13}: ", style="dim")
        t.append(f"{value}\n")

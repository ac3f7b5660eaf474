"""OPML subscription lists in and out of the sources file.

Import: every ``<outline>`` with an ``xmlUrl`` becomes an ``rss`` source. Its id is
slugged from the outline's title (unique, suffixed ``-2``, ``-3``... on collision), its
name is the title, and the titles of the folders (outlines without ``xmlUrl``) it sits
in become its tags, outermost first. Outlines that are neither a feed nor a folder are
reported, not silently dropped; a feed listed twice is kept once, with both folders'
tags. Export is the inverse: tags become nested folders, and what OPML has no attribute
for (id, interval, country, enabled, connector options) travels in attributes of the
``urn:newswire:opml:1`` namespace, which other readers ignore. So
``import_opml(export_opml(sources)) == sources`` for rss sources. ``htmlUrl`` has no
field in ``Source`` and is not kept.

Why not ``listparser``: it is unmaintained since 2024 and does more than needed (its
own HTTP fetching, iCalendar and FOAF lists). A subscription list is a small tree of
outlines; lxml reads it in a few lines, in recover mode (real-world files carry bare
``&``, undeclared entities and wrong encodings) and with entity expansion and network
access off, which defuses XXE and billion-laughs files.
"""

from __future__ import annotations

import html.entities
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from pydantic import ValidationError

from connectors.sdk.sources import Source
from wire.urls import normalize_url

NS = "urn:newswire:opml:1"
_ATTRS = ("id", "interval", "country", "enabled", "config")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_MAX_SLUG = 48
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S | re.I)
_NAMED_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9]{0,31});")
_BARE_AMP = re.compile(rb"&(?!(?:[A-Za-z][\w.-]*|#[0-9]+|#[xX][0-9a-fA-F]+);)")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


class OpmlError(ValueError):
    """The file is not an OPML document at all (a bad outline is only reported)."""


@dataclass
class OpmlImport:
    """What an OPML file gave: the sources, and one line per outline left out."""

    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def _clean(data: bytes) -> bytes:
    """Repair what real subscription lists get wrong, before the XML parser sees it.

    The DOCTYPE goes (an OPML needs no DTD, and its entity declarations are how XXE and
    billion-laughs files attack), HTML entities become character references, and bare
    ``&`` (unescaped query strings in ``xmlUrl``, very common) become ``&amp;``: the
    parser's own recovery would drop the text after them.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: the byte patterns need UTF-8
        text = data.decode("utf-16", errors="replace")
        data = _XML_DECL.sub("", text, count=1).encode("utf-8")
    start = data.find(b"<opml")
    if start < 0:
        start = data.find(b"<OPML")
    prolog, rest = (data[:start], data[start:]) if start > 0 else (b"", data)
    prolog = _DOCTYPE.sub(b"", prolog)
    rest = _NAMED_REF.sub(_html_entity, rest)
    return prolog + _BARE_AMP.sub(b"&amp;", rest)


def _html_entity(match: re.Match[bytes]) -> bytes:
    name = match.group(1).decode("ascii")
    if name in _XML_ENTITIES:
        return match.group(0)
    text = html.entities.html5.get(name + ";")
    return (
        "".join(f"&#{ord(ch)};" for ch in text).encode()
        if text
        else b"&amp;" + name.encode() + b";"
    )


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )


def _local(el: Any) -> str:
    tag = el.tag
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _attr(el: Any, name: str) -> str:
    """An attribute by case-insensitive name (``xmlUrl``, ``xmlurl``, ``XMLURL``...)."""
    name = name.lower()
    for key, value in el.attrib.items():
        if etree.QName(key).namespace is None and key.lower() == name:
            return " ".join(str(value).split())
    return ""


def _feed_url(raw: str) -> str:
    # feed:// and feed:https:// are the "subscribe" pseudo-schemes of old readers.
    if raw.startswith("feed:"):
        rest = raw[5:]
        raw = rest if rest.startswith(("http://", "https://")) else "http:" + rest
    return raw


def slug(text: str) -> str:
    """A source id from a title: ASCII, lower case, dashes; empty when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG_DROP.sub("-", ascii_text.lower()).strip("-")[:_MAX_SLUG].strip("-")


def _unique_id(title: str, url: str, taken: set[str]) -> str:
    base = slug(title) or slug(urlsplit(url).hostname or "") or "feed"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def import_opml(
    data: bytes,
    *,
    country: str | None = None,
    existing: Iterable[Source] = (),
) -> OpmlImport:
    """Sources from an OPML document, to add to ``existing`` (e.g. a sources file's).

    New ids avoid the existing ones; a feed whose (normalized) URL an existing source
    already follows is reported as a duplicate and left out, as is a repeat in the file.
    """
    try:
        root = etree.fromstring(_clean(data), _parser())
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not XML: {exc}") from exc
    if root is None or _local(root) != "opml":
        raise OpmlError("not an OPML document (no <opml> root element)")
    body = next((el for el in root if _local(el) == "body"), None)
    if body is None:
        raise OpmlError("an OPML document without <body>")
    result = OpmlImport()
    existing = list(existing)
    taken = {s.id for s in existing}
    known = {_url_key(str(s.config["url"])): s.id for s in existing if "url" in s.config}
    by_url: dict[str, Source] = {}
    for el, tags in _outlines(body, []):
        title = _attr(el, "title") or _attr(el, "text")
        where = f"line {el.sourceline}" if el.sourceline else "outline"
        url = _feed_url(_attr(el, "xmlUrl"))
        if not url:
            if not any(_local(child) == "outline" for child in el):
                result.skipped.append(f"{where}: {title or 'untitled outline'!r} has no xmlUrl")
            continue
        key = _url_key(url)
        if key in known:
            result.duplicates.append(f"{where}: {url} is already followed as {known[key]!r}")
            continue
        if key in by_url:
            first = by_url[key]
            first.tags.extend(t for t in tags if t not in first.tags)
            result.duplicates.append(f"{where}: {url} is listed again (kept as {first.id!r})")
            continue
        try:
            source = _source(el, title, url, tags, country, taken)
        except (ValidationError, ValueError) as exc:
            result.skipped.append(f"{where}: {title or url!r}: {_first_error(exc)}")
            continue
        by_url[key] = source
        result.sources.append(source)
    return result


def _url_key(url: str) -> str:
    try:
        return normalize_url(url)
    except ValueError:
        return url


def _outlines(parent: Any, tags: list[str]) -> Iterable[tuple[Any, list[str]]]:
    for el in parent:
        if _local(el) != "outline":
            continue
        yield el, tags
        if not _attr(el, "xmlUrl"):
            folder = _attr(el, "title") or _attr(el, "text")
            yield from _outlines(el, [*tags, folder] if folder else tags)


def _source(
    el: Any, title: str, url: str, tags: list[str], country: str | None, taken: set[str]
) -> Source:
    ours = {key: el.get(f"{{{NS}}}{key}") for key in _ATTRS}
    config: dict[str, Any] = json.loads(ours["config"]) if ours["config"] else {}
    if not isinstance(config, dict):
        raise ValueError("newswire:config is not a JSON object")
    wanted = (ours["id"] or "").strip()
    source_id = wanted if wanted and wanted not in taken else _unique_id(title, url, taken)
    taken.add(source_id)
    # An exported source without a name shows its id as the outline's text.
    name = None if not title or (ours["id"] and title == ours["id"]) else title
    fields: dict[str, Any] = {
        "id": source_id,
        "connector": "rss",
        "name": name,
        "config": {"url": url, **config},
        "tags": list(tags),
        "country": ours["country"] or country,
    }
    if ours["interval"]:
        fields["interval"] = float(ours["interval"])
    if ours["enabled"]:
        fields["enabled"] = ours["enabled"].strip().lower() != "false"
    source = Source.model_validate(fields)
    try:
        source.connector_config()  # the URL must be one the rss connector accepts
    except ValidationError as exc:
        raise ValueError(f"xmlUrl {url!r}: {exc.errors()[0]['msg']}") from exc
    return source


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc)


def export_opml(sources: Iterable[Source], *, title: str = "newswire sources") -> bytes:
    """An OPML 2.0 document of the rss sources; tags become nested folders."""
    root = etree.Element("opml", version="2.0", nsmap={"newswire": NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], Any] = {(): body}
    for source in sources:
        if source.connector != "rss":
            continue
        parent = body
        for depth in range(1, len(source.tags) + 1):
            path = tuple(source.tags[:depth])
            if path not in folders:
                folders[path] = etree.SubElement(parent, "outline", text=path[-1], title=path[-1])
            parent = folders[path]
        _feed_outline(parent, source)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _feed_outline(parent: Any, source: Source) -> None:
    config = dict(source.config)
    url = str(config.pop("url", ""))
    name = source.name or source.id
    el = etree.SubElement(parent, "outline", type="rss", text=name, title=name, xmlUrl=url)
    el.set(f"{{{NS}}}id", source.id)
    el.set(f"{{{NS}}}interval", f"{source.interval:g}")
    if source.country:
        el.set(f"{{{NS}}}country", source.country)
    if not source.enabled:
        el.set(f"{{{NS}}}enabled", "false")
    if config:
        el.set(f"{{{NS}}}config", json.dumps(config, sort_keys=True))

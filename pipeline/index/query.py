"""The search query language, parsed here into an Elasticsearch query that cannot fail.

Why a parser of our own rather than ``query_string``: Lucene's syntax throws on a stray
quote or bracket (a 500 or a traceback for the user), lets a query reach any field, and
reads ``Kabul -Iran`` as "Kabul OR NOT Iran"; ``simple_query_string`` never throws but has
no ``AND``/``OR`` words and no field scoping. This grammar is small, every error is a
:class:`QueryError` with one sentence saying where, and the result is plain bool, match,
phrase and prefix queries (docs/search.md):

- words: ``Kabul Iran`` matches either, ranked as before (best field, title first);
- ``AND``, ``OR``, ``NOT`` (capitals), ``-word`` (not), ``+word`` (must), ``( )``;
- ``"Helmand river"``: a phrase; ``Kab*``: a prefix (two letters at least);
- ``title:``, ``summary:``, ``body:``, ``source:`` scope a term, phrase or group.

``AND`` binds tighter than ``OR``; words side by side are an ``OR`` (ranked: more matches
score higher), except that negated ones are always excluded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TEXT_FIELDS = ["title^3", "summary^2", "body"]
FIELDS = {
    "title": ["title"],
    "summary": ["summary"],
    "body": ["body"],
    "source": ["source.name.text"],
}
MIN_PREFIX = 2
MAX_CLAUSES = 64

_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<paren>[()])|(?P<word>[^\s()"]+))')
_FIELD = re.compile(r"^(?P<field>[A-Za-z_]+):(?P<rest>.*)$")


class QueryError(ValueError):
    """A query or filter the user must fix; the message is one sentence for them."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # word, phrase, open, close, and, or, not, field
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        start = m.start(m.lastgroup or 0)
        if m.group("phrase") is not None:
            raw = m.group("phrase")
            if len(raw) < 2 or not raw.endswith('"'):
                raise QueryError(f'unclosed quote at character {start + 1}: add the closing "')
            toks.append(_Tok("phrase", raw[1:-1].strip(), start))
        elif m.group("paren") is not None:
            toks.append(_Tok("open" if m.group("paren") == "(" else "close", "", start))
        else:
            toks.extend(_word_tokens(m.group("word"), start))
    return toks


def _word_tokens(word: str, start: int) -> list[_Tok]:
    if word in ("AND", "&&"):
        return [_Tok("and", word, start)]
    if word in ("OR", "||"):
        return [_Tok("or", word, start)]
    if word == "NOT":
        return [_Tok("not", word, start)]
    out: list[_Tok] = []
    while word[:1] in ("-", "+") and len(word) > 1:
        out.append(_Tok("not" if word[0] == "-" else "must", word[0], start))
        word, start = word[1:], start + 1
    m = _FIELD.match(word)
    if m and not m.group("rest").startswith("//"):  # a URL is a word, not a field
        field = m.group("field").lower()
        if field not in FIELDS:
            raise QueryError(
                f"unknown field {field}: (fields: {', '.join(FIELDS)}); "
                f'put the text in quotes to search for it literally: "{word}"'
            )
        out.append(_Tok("field", field, start))
        rest = m.group("rest")
        if rest:
            out.extend(_word_tokens(rest, start + len(field) + 1))
        return out
    out.append(_Tok("word", word, start))
    return out


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.clauses = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> dict[str, Any]:
        node = self.or_expr(None)
        tok = self.peek()
        if tok is not None:  # only a stray ")" stops or_expr early
            raise QueryError(f"unmatched ) at character {tok.pos + 1}")
        return node

    def or_expr(self, field: str | None) -> dict[str, Any]:
        members = [self.and_expr(field)]
        while (tok := self.peek()) is not None and tok.kind != "close":
            if tok.kind == "or":
                self.take()
                if self.peek() is None or self.peek().kind in ("close", "or", "and"):  # type: ignore[union-attr]
                    raise QueryError(f"OR at character {tok.pos + 1} has nothing after it")
            members.append(self.and_expr(field))
        return _combine("or", members)

    def and_expr(self, field: str | None) -> dict[str, Any]:
        members = [self.unary(field)]
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in ("close", "or", "and"):
                raise QueryError(f"AND at character {tok.pos + 1} has nothing after it")
            members.append(self.unary(field))
        return _combine("and", members)

    def unary(self, field: str | None) -> dict[str, Any]:
        tok = self.peek()
        if tok is None:
            raise QueryError("the query ends where a word was expected")
        if tok.kind in ("not", "must"):
            self.take()
            if self.peek() is None:
                raise QueryError(f"{tok.text} at character {tok.pos + 1} has nothing after it")
            inner = self.unary(field)
            return {"_not": inner} if tok.kind == "not" else {"_must": inner}
        if tok.kind in ("and", "or"):
            raise QueryError(f"{tok.text} at character {tok.pos + 1} has nothing before it")
        return self.primary(field)

    def primary(self, field: str | None) -> dict[str, Any]:
        tok = self.take()
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryError(f"the query has more than {MAX_CLAUSES} terms; shorten it")
        if tok.kind == "field":
            if field is not None:
                raise QueryError(f"{tok.text}: at character {tok.pos + 1} is inside {field}:")
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("word", "phrase", "open"):
                raise QueryError(f"{tok.text}: at character {tok.pos + 1} needs a word after it")
            return self.primary(tok.text)
        if tok.kind == "open":
            if self.peek() is None or self.peek().kind == "close":  # type: ignore[union-attr]
                raise QueryError(f"empty or unclosed ( at character {tok.pos + 1}")
            node = self.or_expr(field)
            close = self.peek()
            if close is None or close.kind != "close":
                raise QueryError(f"unclosed ( at character {tok.pos + 1}: add the closing )")
            self.take()
            return node
        if tok.kind == "close":
            raise QueryError(f"unmatched ) at character {tok.pos + 1}")
        if tok.kind == "phrase":
            if not tok.text:
                raise QueryError(f'empty phrase "" at character {tok.pos + 1}')
            return _leaf(field, tok.text, "phrase")
        return _word(field, tok)


def _word(field: str | None, tok: _Tok) -> dict[str, Any]:
    text = tok.text
    if "*" in text:
        stem = text.rstrip("*")
        if "*" in stem or len(stem) < MIN_PREFIX:
            raise QueryError(
                f"{text} at character {tok.pos + 1}: a prefix is at least {MIN_PREFIX} letters "
                "followed by one * at the end (Kab*)"
            )
        return _leaf(field, stem, "prefix")
    return _leaf(field, text, "word")


def _leaf(field: str | None, text: str, kind: str) -> dict[str, Any]:
    return {"_leaf": kind, "field": field, "text": text}


def _combine(op: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    return members[0] if len(members) == 1 else {"_" + op: members}


# -- from the parse tree to Elasticsearch ------------------------------------------------


def _es(node: dict[str, Any]) -> dict[str, Any]:
    if "_leaf" in node:
        return _es_leaf(node)
    if "_not" in node:
        return {"bool": {"must_not": [_es(node["_not"])]}}
    if "_must" in node:
        return _es(node["_must"])
    key = "_and" if "_and" in node else "_or"
    pos = [m for m in node[key] if "_not" not in m]
    neg = [_es(m["_not"]) for m in node[key] if "_not" in m]
    must = [m for m in pos if "_must" in m]
    should = [m for m in pos if "_must" not in m]
    q: dict[str, Any] = {}
    if key == "_and":
        q["must"] = [_es(m) for m in pos]
    else:
        if must:
            q["must"] = [_es(m) for m in must]
        if should:
            q["should"] = [_es(m) for m in should]
            if not must:
                q["minimum_should_match"] = 1
    if neg:
        q["must_not"] = neg
    if not pos:
        q["must"] = [{"match_all": {}}]
    return {"bool": q}


def _es_leaf(node: dict[str, Any]) -> dict[str, Any]:
    field, text, kind = node["field"], node["text"], node["_leaf"]
    if field == "source" and kind == "word":  # an id or domain exactly, or a word of the name
        return {"bool": {"should": [
            {"term": {"source.id": text}},
            {"term": {"source.domain": text.lower()}},
            {"match": {"source.name.text": text}},
        ], "minimum_should_match": 1}}  # fmt: skip
    fields = FIELDS[field] if field else TEXT_FIELDS
    if kind == "phrase":
        return {"multi_match": {"query": text, "fields": fields, "type": "phrase"}}
    if kind == "prefix":
        value = text.lower()
        return {"bool": {"should": [
            {"prefix": {f.split("^")[0]: {"value": value, "boost": _boost(f)}}} for f in fields
        ], "minimum_should_match": 1}}  # fmt: skip
    return {"multi_match": {"query": text, "fields": fields, "type": "best_fields"}}


def _boost(field: str) -> float:
    return float(field.split("^")[1]) if "^" in field else 1.0


def _plain(node: dict[str, Any]) -> bool:
    """Only words side by side, no field: keep the ranking of a plain search exactly."""
    if "_leaf" in node:
        return node["_leaf"] == "word" and node["field"] is None
    return "_or" in node and all(_plain(m) for m in node["_or"])


def text_query(text: str) -> dict[str, Any] | None:
    """The Elasticsearch query for ``text`` in the language above; None when it is blank.

    Raises :class:`QueryError` on a syntax error, naming the character where it is.
    """
    if not text or not text.strip():
        return None
    toks = _tokens(text)
    if not toks:
        return None
    node = _Parser(toks).parse()
    if _plain(node):
        return {
            "multi_match": {"query": text.strip(), "fields": TEXT_FIELDS, "type": "best_fields"}
        }
    return _es(node)

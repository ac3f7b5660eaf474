"""The chaos suite's verdicts (tests/chaos/ledger.py) and its plan, without a stack."""

from __future__ import annotations

from tests.chaos.ledger import Doc, Letter, Served, account, table
from tests.chaos.suite import plan
from tests.support.corpus_sites import strip_canonical

A, B, C = "http://127.0.0.2:80/p/a", "http://127.0.0.3:80/copy/1/0", "http://127.0.0.4:80/p/c"


def test_each_url_gets_one_verdict() -> None:
    served = [
        Served(A, "none"),
        Served(B, "kill", copy_of=A),  # merged into A's story
        Served(C, "kill"),  # dead-lettered by key
        Served("http://127.0.0.5:80/p/d", "kill"),  # lettered by a connector: in the payload
        Served("http://127.0.0.6:80/p/e", "kill"),  # nowhere: lost
    ]
    docs = [Doc("1", A, (A, B), "h1")]
    letters = [
        Letter(C, "processor", "NotAnArticle", "{}"),
        Letter("host-3", "connector", "BadPayload", "{'link': 'http://127.0.0.5:80/p/d'}"),
    ]
    none, kill, total = account(served, docs, letters)
    assert (none.served, none.indexed, none.ok) == (1, 1, True)
    assert (kill.served, kill.indexed, kill.copies_merged, kill.dead_letters) == (4, 1, 1, 2)
    assert kill.lost == 1 and kill.lost_urls == ["http://127.0.0.6:80/p/e"]
    assert not kill.ok
    assert kill.reasons == {"processor:NotAnArticle": 1, "connector:BadPayload": 1}
    assert (total.served, total.lost, total.duplicates) == (5, 1, 0)


def test_a_url_in_two_stories_or_an_exact_copy_indexed_again_is_a_duplicate() -> None:
    served = [Served(A, "x"), Served(B, "x", copy_of=A), Served(C, "x")]
    docs = [
        Doc("1", A, (A,), "same"),
        Doc("2", B, (B,), "same"),  # the copy's text again: dedup missed it
        Doc("3", C, (C,), "c"),
        Doc("4", "http://elsewhere.test/c", (C,), "c2"),  # C searchable twice
    ]
    (row, _) = account(served, docs, [])
    assert row.duplicates == 3 and row.indexed == 0 and not row.ok
    assert "| x " in table([row])


def test_plan_serves_every_page_once_then_copies_of_earlier_phases() -> None:
    corpus = [(f"p{i}", b"") for i in range(10)]
    phases = plan(["none", "f1", "f2", "after"], corpus, 14, seed=1)
    originals = [name for p in phases for name, _ in p.originals]
    assert sorted(originals) == sorted(n for n, _ in corpus)
    assert [len(p.copies) for p in phases] == [0, 2, 1, 1]
    assert not phases[-1].originals and not phases[0].copies


def test_canonical_links_are_taken_out() -> None:
    html = (
        b'<head><link rel="canonical" href="https://x.test/a"><meta property="og:url" '
        b'content="https://x.test/a"><meta name="author" content="A"></head>'
    )
    assert strip_canonical(html) == b'<head><meta name="author" content="A"></head>'

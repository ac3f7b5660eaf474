"""The SDK's bounded memory of emitted keys (connectors.sdk.seen)."""

from __future__ import annotations

import json

from connectors.sdk.seen import Seen, StampedSeen


def test_a_key_seen_again_is_kept_over_keys_no_longer_listed() -> None:
    # A feed lists newest first: without the refresh, trimming would drop its top entry.
    seen = Seen(limit=3)
    for key in ("c", "b", "a"):  # the first poll
        assert seen.add(key)
    for key in ("d", "c", "b"):  # "d" is new, "a" left the feed
        seen.add(key)
    assert seen.to_cursor() == ["a", "d", "c", "b"][-3:]
    again = Seen.from_cursor(json.loads(json.dumps(seen.to_cursor())), limit=3)
    assert [again.add(k) for k in ("d", "c", "b")] == [False, False, False]
    assert again.add("a")  # forgotten: it is no longer listed, so it cannot come back


def test_the_bound_is_never_below_what_one_poll_lists() -> None:
    assert Seen.bound(2000, 50_000, None) == 50_000 and Seen.bound(2000, 10, 0) == 2000


def test_a_saved_memory_of_another_shape_is_ignored_not_trusted() -> None:
    assert list(Seen.from_cursor([1, "a", None, ["b"]], limit=5)) == ["a"]
    assert list(Seen.from_cursor({"a": 1}, limit=5)) == []


def test_stamped_keys_are_pruned_below_the_floor_and_bounded_to_the_newest() -> None:
    seen = StampedSeen.from_cursor([[5, "a"], [9, "b"], ["x", "bad"]], limit=2)
    seen.add("a", 7)  # seen again later: the later stamp holds
    seen.add("c", 8)
    assert seen.pairs() == [(8, "c"), (9, "b")]
    assert seen.pairs(floor=9) == [(9, "b")]
    from_dict = StampedSeen.from_cursor({"a": 5, "b": True}, limit=5)
    assert from_dict.pairs() == [(5, "a")]

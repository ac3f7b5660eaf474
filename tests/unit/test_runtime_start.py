"""``newswire run``'s start-up helpers (``newswire.runtime.import_in_background``)."""

from __future__ import annotations

import logging
import sys

import pytest

from newswire.runtime import import_in_background


def test_modules_are_imported_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    import_in_background("colorsys").join(timeout=30)
    assert "colorsys" in sys.modules


def test_a_failed_background_import_is_logged_and_stops_there(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    with caplog.at_level(logging.DEBUG, logger="newswire.runtime"):
        thread = import_in_background("newswire.no_such_module", "colorsys")
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert "background import of newswire.no_such_module failed" in caplog.text
    assert "colorsys" not in sys.modules  # the rest is left to the caller's own imports

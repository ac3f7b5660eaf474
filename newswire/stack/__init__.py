"""The local stack without Docker: Kafka 4 (KRaft) and Elasticsearch 9 from Maven Central."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newswire.stack.errors import StackError

if TYPE_CHECKING:
    from newswire.stack.manager import Stack

__all__ = ["Stack", "StackError"]


def __getattr__(name: str) -> Any:
    """``Stack`` on first use: importing ``newswire.stack.errors`` (as the CLI does for
    ``--help``) runs this package first, and the manager pulls in pydantic-settings."""
    if name == "Stack":
        from newswire.stack.manager import Stack

        return Stack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

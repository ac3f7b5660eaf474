"""Logging for the roles: text for people, or one JSON object per line for collectors.

JSON lines carry ``time``, ``level``, ``role``, ``logger``, ``message``, and where known
``source`` (a source id), ``stage``, ``story`` (an article or item id) and ``error``
(the exception class). Code that knows those fields passes them as ``extra=``; the role
comes from the thread that logs (``newswire run`` hosts every role in one process), and
the error class from the record's exception or the first exception among its arguments
(``log.warning("... %s", exc)`` is how the pipeline reports most failures).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

NOISY = ("kafka", "aiokafka", "elastic_transport", "faust", "mode", "trafilatura")
"""Libraries that log every connection at INFO."""

# Thread names of the roles (see newswire.runtime and connectors.sdk.runner) → role.
_THREAD_ROLES = (
    ("connector", "connectors"),
    ("indexer", "indexer"),
    ("side-door", "observability"),
    ("readiness", "observability"),
    ("kafka-watch", "observability"),
)
_FIELDS = ("source", "stage", "story")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (tracebacks inside ``traceback``)."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "role": getattr(record, "role", None) or self._role(record.threadName),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                doc[name] = str(value)
        error = getattr(record, "error_class", None) or _error_class(record)
        if error:
            doc["error"] = error
        if record.exc_info:
            doc["traceback"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)

    def _role(self, thread: str | None) -> str:
        if self.role == "run" and thread:
            for prefix, role in _THREAD_ROLES:
                if thread.startswith(prefix):
                    return role
            return "processor"  # the faust worker owns the main thread and its executors
        return self.role


def _error_class(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__name__
    args = record.args if isinstance(record.args, tuple) else ()
    for arg in args:
        if isinstance(arg, BaseException):
            return type(arg).__name__
    return None


def configure(level: str, fmt: str = "text", role: str = "cli") -> None:
    """Root logging for a command: ``fmt`` is ``text`` or ``json``; ``role`` names the process."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(role))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

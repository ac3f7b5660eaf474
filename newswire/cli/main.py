"""``newswire``: the console script.

This module stays light on purpose: an extraction process spawned by ``newswire run``
re-runs the console script as ``__mp_main__`` (multiprocessing's spawn), and the script
imports this module. Typer, rich and the command modules (``newswire.cli.app``) load
only when :func:`main` runs; ``app`` is still importable from here, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newswire.cli.app import app

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from newswire.cli.app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The console script: settings that do not hold together and services that refuse
    this client end in one line and exit status 2, never a traceback (docs/security.md)."""
    import sys

    import typer

    from newswire.cli.app import app
    from newswire.cli.common import fail, one_line, user_error

    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # usage errors: one line, not typer's boxed panel
        print(f"error: {one_line(exc.format_message())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:  # a declined confirmation or Ctrl-C at a prompt: click's status 1
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        line = _settings_or_access_error(exc)
        if line is not None:
            print(f"error: {line}", file=sys.stderr)
            sys.exit(2)
        problem = user_error(exc)
        if problem is None:
            raise
        raise SystemExit(fail(problem, 2).exit_code) from None
    sys.exit(code if isinstance(code, int) else 0)


def _settings_or_access_error(exc: Exception) -> str | None:
    """The one line for settings that do not hold or a service that refuses this client.

    Imported here, once something was raised: pydantic and ``newswire.preflight`` (which
    loads the settings) would cost every `--help` half a second."""
    from pydantic import ValidationError

    from newswire.preflight import AccessError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        name = f"NEWSWIRE_{field.upper()}: " if field else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"invalid settings: {name}{message}"
    if isinstance(exc, AccessError):
        return str(exc)
    return None

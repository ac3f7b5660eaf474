"""``newswire connectors``: run the connector role; ``list`` and ``new`` for authors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from newswire.cli import roles
from newswire.cli.common import console, fail, out

app = typer.Typer(pretty_exceptions_enable=False)


@app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    sources: Path | None = roles.SourcesOpt,
    log_level: str = roles.LogOpt,
    metrics_port: int | None = roles.MetricsPortOpt,
) -> None:
    """Run only the connector runner (scale-out role); `list` and `new` for authors.

    Without a subcommand: polls every source and produces raw items to Kafka (needs the
    stack: `newswire stack up`). `newswire connectors list` shows the installed
    connectors and their config; `newswire connectors new NAME` writes a new one, its
    contract test included (see CONTRIBUTING.md).
    """
    if ctx.invoked_subcommand is None:
        roles.connectors(sources, log_level, metrics_port)


@app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line and connector."),
) -> None:
    """The installed connectors: entry point, config fields, key needed, rate limit."""
    from connectors.sdk.registry import available

    rows = [_describe(name, target) for name, target in sorted(available().items())]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    table = Table("name", "module", "config (* required)", "key", "rate limit")
    table.columns[1].no_wrap = True
    for row in rows:
        fields = ", ".join(
            f"{f['name']}{'*' if f['required'] else ''}{' (secret)' if f['secret'] else ''}"
            for f in row["config"]
        )
        caps = row["capabilities"] or {}
        table.add_row(
            row["name"],
            row["module"],
            escape(row.get("error") or fields),
            caps.get("needs_key", "no"),
            escape(_first_clause(caps.get("rate_limit", ""))),
        )
    out.print(table)


@app.command()
def new(
    name: str = typer.Argument(..., help="Connector name: lower case, e.g. city_wire."),
    directory: Path = typer.Option(
        Path("."), "--dir", "-d", help="Where the connector's folder goes.", file_okay=False
    ),
    tests_dir: Path | None = typer.Option(
        None,
        "--tests-dir",
        help="Where its contract test goes (default: inside the folder), e.g. tests/contract.",
        file_okay=False,
    ),
) -> None:
    """Write a new connector: a working JSON API poller and its contract test.

    The folder holds connector.py (about 50 lines to reshape), __init__.py, README.md
    (how to register the entry point) and test_NAME_contract.py, which subclasses the
    conformance kit (ConnectorContract) with recorded answers and passes as written.
    """
    from connectors.sdk.registry import available
    from connectors.sdk.scaffold import ScaffoldError, new_connector

    try:
        made = new_connector(name, directory, tests_dir=tests_dir, taken=frozenset(available()))
    except ScaffoldError as exc:
        raise fail(str(exc)) from exc
    for path in made.files:
        console.print(f"[green]wrote[/] {path}")
    console.print(
        "\nnext:\n"
        f"  1. run its contract tests:  python -m pytest {made.test_file}\n"
        "  2. register it in pyproject.toml, then `pip install -e .`:\n\n"
        '     [project.entry-points."newswire.connectors"]\n'
        f"     {made.entry_point}\n\n"
        f"  3. reshape {made.folder / 'connector.py'} for your source, and the test's"
        " recorded answers with it (see CONTRIBUTING.md)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _describe(name: str, target: str) -> dict[str, Any]:
    from connectors.sdk.registry import load

    row: dict[str, Any] = {"name": name, "module": target, "config": [], "capabilities": None}
    try:
        cls = load(name)
        model = cls.config_model
        secret = set(model.secret_fields())
    except Exception as exc:  # a broken third-party plug-in must not hide the others
        row["error"] = f"cannot load: {type(exc).__name__}: {exc}"
        return row
    row["config"] = [
        {
            "name": field,
            "type": _type_name(info.annotation),
            "required": info.is_required(),
            "secret": field in secret,
            "description": info.description,
        }
        for field, info in model.model_fields.items()
    ]
    caps = getattr(cls, "capabilities", None)
    if caps is not None:
        row["capabilities"] = {k: v for k, v in vars(caps).items() if v}
    return row


def _first_clause(text: str, limit: int = 60) -> str:
    """The start of a long capability note (``--json`` has it all)."""
    head = text.split("; ")[0].split(". ")[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pydantic.types.", "")

"""``newswire security``: least-privilege Elasticsearch roles and API keys (docs/security.md)."""

from __future__ import annotations

import json

import typer

from newswire.cli.common import console, fail, out, settings

app = typer.Typer(
    help="Least-privilege Elasticsearch roles and API keys for the pipeline and its readers.",
    no_args_is_help=True,
)


@app.command("roles")
def roles() -> None:
    """Print the two roles (JSON) for the current index prefix and alias."""
    from newswire.security import READER_ROLE, WRITER_ROLE, reader_role, writer_role

    s = settings()
    out.print_json(json.dumps({WRITER_ROLE: writer_role(s), READER_ROLE: reader_role(s)}))


@app.command("create-keys")
def create_keys(
    admin_user: str = typer.Option(
        "elastic", "--admin-user", help="A user who may manage security."
    ),
    admin_password: str = typer.Option(
        ...,
        "--admin-password",
        envvar="NEWSWIRE_ES_ADMIN_PASSWORD",
        prompt=True,
        hide_input=True,
        help="Its password (prompted, or NEWSWIRE_ES_ADMIN_PASSWORD). Used once, never stored.",
    ),
    tag: str = typer.Option("", "--tag", help="Suffix for the key names (e.g. prod-2026)."),
) -> None:
    """Create the newswire_writer and newswire_reader roles and one API key for each.

    The keys are printed once, as NEWSWIRE_ELASTICSEARCH_API_KEY lines: the writer's for
    `run`, `setup`, `connectors`, `processor`, `indexer`; the reader's for `api`, `search`
    and Kibana users. Connects with the TLS settings (NEWSWIRE_ELASTICSEARCH_URL,
    _CA_CERTS, _SSL_FINGERPRINT); the admin login replaces any configured credential.
    """
    from elasticsearch import ApiError, Elasticsearch
    from elasticsearch import ConnectionError as EsConnectionError

    from newswire.security import create_api_keys, put_roles
    from wire.clients import elasticsearch_client_options

    s = settings()
    options = elasticsearch_client_options(s)
    options.pop("api_key", None)
    options["basic_auth"] = (admin_user, admin_password)
    es = Elasticsearch(**options, request_timeout=30)
    try:
        put_roles(es, s)
        writer, reader = create_api_keys(es, s, tag=tag)
    except ApiError as exc:
        raise fail(f"Elasticsearch refused: {exc.meta.status} {exc.message}") from None
    except EsConnectionError as exc:
        raise fail(f"cannot reach Elasticsearch at {s.elasticsearch_url}: {exc.message}") from None
    finally:
        es.close()
    console.print("[green]created[/] roles newswire_writer, newswire_reader and two API keys")
    out.print(f"# pipeline writers (key id {writer.id}):", highlight=False)
    out.print(f"NEWSWIRE_ELASTICSEARCH_API_KEY={writer.encoded}", soft_wrap=True, highlight=False)
    out.print(f"# API and Kibana readers (key id {reader.id}):", highlight=False)
    out.print(f"NEWSWIRE_ELASTICSEARCH_API_KEY={reader.encoded}", soft_wrap=True, highlight=False)
    console.print("shown once: store them in your secret manager now")

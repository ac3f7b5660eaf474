"""Import the newswire saved objects (data view, searches, lens, map, dashboard) into Kibana.

The objects are built by ``deploy/kibana/build.py``; a copy ships in the wheel as
``newswire/data/kibana/saved_objects.ndjson`` and is what ``newswire kibana setup``
imports by default. Import is idempotent: objects have fixed ids and are overwritten.
"""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

IMPORT_PATH = "/api/saved_objects/_import"
STATUS_PATH = "/api/status"


class KibanaError(RuntimeError):
    """Kibana could not be reached, or refused (part of) the import."""


def bundled_saved_objects() -> Path:
    """The saved objects shipped inside the ``newswire`` package."""
    return Path(str(files("newswire").joinpath("data", "kibana", "saved_objects.ndjson")))


def redact(url: str) -> str:
    """``url`` without the password it may carry (``http://user:secret@host``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _base(kibana_url: str, space: str | None) -> str:
    base = kibana_url.rstrip("/")
    return f"{base}/s/{space}" if space and space != "default" else base


def _headers(api_key: str | None) -> dict[str, str]:
    headers = {"kbn-xsrf": "true"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    return headers


def _describe_error(error: dict[str, Any]) -> str:
    kind = error.get("type", "?")
    ident = error.get("id", "?")
    title = error.get("title") or error.get("meta", {}).get("title")
    detail = error.get("error", {})
    reason = detail.get("type", "error")
    if detail.get("message"):
        reason += f": {detail['message']}"
    missing = detail.get("references")
    if missing:
        reason += " (missing " + ", ".join(f"{r.get('type')}/{r.get('id')}" for r in missing) + ")"
    name = f"{kind}/{ident}" + (f" {title!r}" if title else "")
    return f"{name}: {reason}"


def import_saved_objects(
    kibana_url: str,
    path: Path,
    *,
    api_key: str | None = None,
    timeout: float = 30,
    space: str | None = None,
) -> dict[str, Any]:
    """POST ``path`` (NDJSON) to Kibana's saved objects import API, overwriting by id.

    Returns Kibana's answer (``success``, ``successCount``, ``successResults``, ...).
    Raises :class:`KibanaError` when Kibana cannot be reached, answers with a non-2xx
    status, or reports ``success: false`` (the message lists every failed object).
    Credentials in the URL (``http://user:pass@kibana:5601``) are sent as Basic auth
    and never appear in messages; ``api_key`` is sent as ``Authorization: ApiKey``.
    """
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise KibanaError(f"cannot read saved objects {path}: {exc}") from exc
    # Kibana checks the extension of the uploaded file name.
    filename = path.name if path.suffix == ".ndjson" else "saved_objects.ndjson"
    url = _base(kibana_url, space) + IMPORT_PATH
    try:
        response = httpx.post(
            url,
            params={"overwrite": "true"},
            headers=_headers(api_key),
            files={"file": (filename, payload, "application/ndjson")},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise KibanaError(f"cannot reach Kibana at {redact(kibana_url)}: {exc}") from exc
    if not response.is_success:
        body = response.text.strip().replace("\n", " ")[:500]
        raise KibanaError(
            f"Kibana refused the import ({response.status_code} {response.reason_phrase}"
            f" from POST {redact(url)}): {body}"
        )
    try:
        result = response.json()
    except ValueError as exc:
        raise KibanaError(
            f"Kibana answered the import with non-JSON: {response.text[:200]}"
        ) from exc
    if not isinstance(result, dict):
        raise KibanaError(f"unexpected import answer from Kibana: {result!r}"[:300])
    if result.get("success") is not True:
        errors = result.get("errors") or []
        lines = [_describe_error(e) for e in errors if isinstance(e, dict)]
        listing = "; ".join(lines) if lines else "no details given"
        raise KibanaError(
            f"Kibana imported {result.get('successCount', 0)} objects but "
            f"{len(errors)} failed: {listing}"
        )
    return result


def wait_for_kibana(
    kibana_url: str,
    *,
    timeout: float = 120,
    api_key: str | None = None,
    interval: float = 2.0,
) -> None:
    """Poll ``/api/status`` until Kibana reports itself available, or raise KibanaError."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    url = kibana_url.rstrip("/") + STATUS_PATH
    while True:
        try:
            response = httpx.get(url, headers=_headers(api_key), timeout=min(10.0, timeout))
            if response.is_success:
                level = response.json().get("status", {}).get("overall", {}).get("level")
                if level in (None, "available"):
                    return
                last = f"overall status {level}"
            else:
                last = f"HTTP {response.status_code}"
        except (httpx.HTTPError, ValueError) as exc:
            last = str(exc) or type(exc).__name__
        if time.monotonic() >= deadline:
            raise KibanaError(
                f"Kibana at {redact(kibana_url)} not available after {timeout:.0f}s: {last}"
            )
        time.sleep(interval)

"""Swagger UI served from the installed ``fastapi-offline`` package, never from a CDN.

The page and its script, stylesheet and icon all come from this server, so the docs
work on a machine with no way out, and a reader's browser tells no third party which
API it is looking at. Swagger UI's online validator badge (which sends the spec's URL
to validator.swagger.io) is switched off.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS = "/docs"
STATIC = "/docs/static"


def install(app: FastAPI) -> None:
    assets = Path(fastapi_offline.__file__).parent / "static"  # package data of the wheel
    app.mount(STATIC, StaticFiles(directory=assets), name="docs-static")

    @app.get(DOCS, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} API",
            swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )

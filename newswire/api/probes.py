"""``/healthz`` and ``/readyz`` on the API's own port: no API key (an orchestrator has
none), the same contract as the roles' side door (:mod:`newswire.observability`)."""

from __future__ import annotations

from elasticsearch import Elasticsearch
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from newswire.api.models import Probe
from wire.settings import Settings

PATHS = frozenset({"/healthz", "/readyz"})


def install(app: FastAPI, es: Elasticsearch, settings: Settings) -> None:
    @app.get("/healthz", summary="Liveness: the process answers", tags=["probes"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "role": "api"}

    @app.get(
        "/readyz",
        summary="Readiness: Elasticsearch answers",
        tags=["probes"],
        response_model=Probe,
        responses={503: {"model": Probe, "description": "not ready, with the reason"}},
    )
    def readyz() -> JSONResponse:
        try:  # _cluster/health, not ping(): some nodes refuse HEAD / with a 405
            es.options(request_timeout=3, max_retries=0).cluster.health()
            up = True
        except Exception:
            up = False
        if up:
            return JSONResponse({"status": "ok", "role": "api"})
        reason = f"elasticsearch: no answer from {settings.elasticsearch_url}"
        return JSONResponse({"status": "fail", "role": "api", "reason": reason}, 503)

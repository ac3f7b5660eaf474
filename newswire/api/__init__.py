"""The REST API (``newswire api``): search with the CLI's filters, facets and pagination.

- :mod:`.app`: the app factory and routes; :mod:`.probes`: ``/healthz``, ``/readyz``;
- :mod:`.auth`: API keys (``newswire api keys create``) and the loopback-only rule;
- :mod:`.guard`: body cap, key check, rate limit (:mod:`.ratelimit`) on every request;
- :mod:`.errors`: failures as plain sentences; :mod:`.models`: the response bodies;
- :mod:`.docs`: Swagger UI at ``/docs`` from packaged assets (OpenAPI at ``/openapi.json``).

docs/api.md says how to run it securely.
"""

from newswire.api.app import create_app

__all__ = ["create_app"]

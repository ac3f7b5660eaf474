"""The wire contracts of newswire: record models, settings and URL rules.

The bottom layer: every other package (``connectors``, ``pipeline``, the ``newswire``
application) imports it, and it imports none of them (see docs/architecture.md).
"""

"""The connector conformance kit (``ConnectorContract``), shipped as a pytest plugin."""

"""The faust app's Kafka security, from the same settings as every other client.

faust does not take kafka-python's keyword arguments: it wants a credentials object
(``SASLCredentials`` carrying an ``ssl.SSLContext`` for SASL_SSL, ``SSLCredentials`` for
TLS alone). Both are built from :mod:`wire.clients` so the processor connects exactly
as the connectors and the indexer do.
"""

from __future__ import annotations

import faust
from faust.types.auth import CredentialsT

from wire.clients import kafka_ssl_context
from wire.settings import Settings


def broker_credentials(settings: Settings) -> CredentialsT | None:
    """None for PLAINTEXT; otherwise the credentials faust hands to aiokafka."""
    s = settings
    context = kafka_ssl_context(s)
    if s.kafka_security_protocol.startswith("SASL_"):
        return faust.SASLCredentials(
            username=s.kafka_sasl_username,
            password=s.kafka_sasl_password.get_secret_value() if s.kafka_sasl_password else None,
            ssl_context=context,  # None: SASL_PLAINTEXT
            mechanism=s.kafka_sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None

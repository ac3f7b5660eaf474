"""The local stack without Docker: Kafka 4 (KRaft) and Elasticsearch 9 from Maven Central."""

from newswire.stack.errors import StackError
from newswire.stack.manager import Stack

__all__ = ["Stack", "StackError"]

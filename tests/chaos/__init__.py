"""The chaos suite (issue 13, item 7): real pages through the whole pipeline, one fault at
a time, and proof afterwards that nothing was lost or duplicated.

``python -m tests.chaos`` (``make chaos``) runs it on a stack of its own (a second Kafka and
Elasticsearch under ``/var/cache/newswire-chaos`` on ports +1000), so it never disturbs a
stack someone else is using; ``--quick`` is the CI size.
"""

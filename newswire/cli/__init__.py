"""The command line: the composition root that wires connectors, processing and the stack."""

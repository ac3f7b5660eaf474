"""faust wiring: thin agents around the pure processing chain."""

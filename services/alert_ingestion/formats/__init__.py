"""Parsers of the alert formats monitoring tools already send; pure functions, no I/O."""

"""Pieces of `scripts/bench.py`: load generators, process accounting, report."""

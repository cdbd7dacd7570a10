"""The benchmark (`make bench`, `python -m scripts.bench`): load generators, process accounting, report."""

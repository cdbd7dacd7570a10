"""The operators' command line: `python -m scripts.ops --help` (the Makefile and run.ps1 call it)."""

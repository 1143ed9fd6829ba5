"""Snip's benchmarks (`make bench`, or `python -m bench`): see docs/performance.md."""

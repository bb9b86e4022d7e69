"""Benchmarks: ``python -m bench.NAME`` prints figures (``--json`` for JSON); never asserts."""

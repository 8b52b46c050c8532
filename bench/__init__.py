"""Benchmarks of the deterministic tools on real public data; each prints one JSON object."""

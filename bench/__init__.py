"""Benchmarks: a corpus generator (`bench.corpus`) and a runner (`python -m bench.run`)."""

"""Benchmarks for deputyguard: throughput and memory of `simulate` against the oracle."""

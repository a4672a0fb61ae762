"""Benchmarks: each measures a capability and, in the same run, a reference to compare against."""

"""Benchmarks run by `make bench`: real processes, real Redis, a fake provider apart."""

"""Benchmarks of the project at production volume."""

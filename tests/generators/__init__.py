"""Generators of realistic data for the tests and the benchmarks; the product apps never import them.

``symptoms``: failure patterns and the notes technicians write about them. ``fleets``: fleets with known
faults injected, written as the CSVs the imports read.
"""

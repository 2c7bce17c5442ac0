"""Pure library for the mathematics of samples: sizes, allocation and reproducible draws.

Imports numpy/scipy only; never the web or database layers.
"""

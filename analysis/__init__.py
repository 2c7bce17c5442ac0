"""Pure library for design-based estimation and SIPAS satisfaction indices.

Imports numpy/scipy/statsmodels only; never the web or database layers.
"""

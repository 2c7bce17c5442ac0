"""Errors raised by the sampling library.

All errors are :class:`ValueError` subclasses so callers that already catch ``ValueError`` keep
working; the web layer translates them to HTTP 422 in one place.

Tree::

    SamplingError(ValueError)     base; carries ``loc`` naming the offending field/stratum/row
    ├── FrameError                the frame itself is unusable (duplicate ids, wrong dtype, ...)
    └── DesignError               the request cannot be met (n > N, min > max, negative sizes, ...)
"""

from __future__ import annotations


class SamplingError(ValueError):
    """Base error of the sampling library.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    loc
        Where the problem is, e.g. ``("sizes", "stratum 'A'")`` or ``("unit_id", 17)``.
    """

    def __init__(self, message: str, *, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.loc = loc


class FrameError(SamplingError):
    """The sampling frame cannot be used as given (duplicates, bad dtype, mismatched lengths)."""


class DesignError(SamplingError):
    """The requested design is impossible (sizes larger than the population, min > max, ...)."""

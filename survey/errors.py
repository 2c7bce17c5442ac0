"""The one error tree of the platform.

``SipasError`` is the root. Every error carries a list of :class:`Problem` entries, each with a
``loc`` (a path such as ``("row", 17, "completed_date")``) and a ``msg`` that names the fix. The web
layer translates the tree to HTTP in one place (``api.errors``); the CLI prints the same problems.

- ``InvalidInput``      -> 422: the caller sent something unusable (rows of a file, a form).
- ``NotFound``          -> 404: the named object does not exist (or is hidden from the caller).
- ``PermissionDenied``  -> 403: the caller is known but their role or scope does not allow this.
- ``NotAuthenticated``  -> 401: no or bad credentials.
- ``Conflict``          -> 409: the request contradicts the current state (duplicate, used link).
- ``TooManyRequests``   -> 429: a rate limit or a busy password checker; ``retry_after`` seconds
  go out as the ``Retry-After`` header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what to do about it."""

    loc: Loc
    msg: str

    def as_dict(self) -> dict[str, object]:
        return {"loc": list(self.loc), "msg": self.msg}


class SipasError(Exception):
    """Root of the platform's errors."""

    status_code = 400

    def __init__(self, msg: str, problems: Sequence[Problem] | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.problems: list[Problem] = list(problems) if problems else [Problem((), msg)]


class InvalidInput(SipasError):
    status_code = 422


class NotFound(SipasError):
    status_code = 404


class PermissionDenied(SipasError):
    status_code = 403


class NotAuthenticated(SipasError):
    status_code = 401


class Conflict(SipasError):
    status_code = 409


class TooManyRequests(SipasError):
    status_code = 429

    def __init__(
        self, msg: str, *, retry_after: int, problems: Sequence[Problem] | None = None
    ) -> None:
        super().__init__(msg, problems)
        self.retry_after = max(1, int(retry_after))

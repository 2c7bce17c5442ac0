"""The numbers a paper form prints beside its answers, which is what a clerk keys.

One source for both sides (:mod:`survey.paper_questionnaire` prints them,
:mod:`survey.data_entry.keying_form` reads them back), so the number beside a ticked box is
always the number the keying page expects. Criteria print their scale values (``1``-``5``) and
``0`` for "not applicable"; choices and grid columns print ``1``, ``2``, ... in printed order,
skipping ``9``, which is "left blank" everywhere on the keypad.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NO_ANSWER = "9"
NOT_APPLICABLE_NUMBER = "0"


def option_numbers(count: int) -> tuple[str, ...]:
    """``1``, ``2``, ... for ``count`` answers in printed order, never ``9`` (the ninth answer
    of a long list is ``10``)."""
    numbers: list[str] = []
    number = 1
    while len(numbers) < count:
        if str(number) != NO_ANSWER:
            numbers.append(str(number))
        number += 1
    return tuple(numbers)


def scale_numbers(scale: Mapping[str, Any]) -> tuple[str, ...]:
    """The scale's values ``min``..``max`` in order, then :data:`NOT_APPLICABLE_NUMBER`."""
    values = range(int(scale["min"]), int(scale["max"]) + 1)
    return (*(str(v) for v in values), NOT_APPLICABLE_NUMBER)

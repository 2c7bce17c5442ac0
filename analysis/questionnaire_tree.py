"""The aggregation tree of a SIPAS questionnaire: overall <- elements <- criteria.

Only the *codes* live here: the multilingual questionnaire (wording, scales, versions) belongs to
the application core. The tree is what the indices need to aggregate criterion shares into element
and overall indices, and it is read from either shape the platform uses:

* a minimal tree ``{"elements": {"access": ["access_q15", ...], ...}}`` whose criterion codes are
  the column names of the responses file;
* a platform questionnaire ``{"code": ..., "version": ..., "elements": [{"code": "access",
  "criteria": [{"code": "access_q15", ...}, ...]}, ...]}``.

Built-in trees are found by name through :func:`builtin_questionnaire_tree`; the application may
add its own with :func:`register_builtin_tree`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "SIPAS_STANDARD",
    "Element",
    "QuestionnaireTree",
    "QuestionnaireTreeError",
    "builtin_questionnaire_tree",
    "builtin_tree_names",
    "parse_questionnaire_tree",
    "register_builtin_tree",
]

RESERVED_NODE = "overall"


class QuestionnaireTreeError(ValueError):
    """A questionnaire definition that cannot be turned into an aggregation tree."""


@dataclass(frozen=True)
class Element:
    """One element (block) of the questionnaire and the codes of its criteria, in form order."""

    code: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class QuestionnaireTree:
    """Elements and criteria of a questionnaire, in form order.

    Attributes
    ----------
    code : str
        Name of the questionnaire (``"custom"`` for a minimal tree without a code).
    elements : tuple of Element
        The elements; every criterion code appears in exactly one element.
    """

    code: str
    elements: tuple[Element, ...]

    def __post_init__(self) -> None:
        if not self.elements:
            raise QuestionnaireTreeError(
                f"questionnaire {self.code!r} has no elements: give at least one element with "
                "at least one criterion"
            )
        seen: dict[str, str] = {}
        for element in self.elements:
            if element.code == RESERVED_NODE or not element.code:
                raise QuestionnaireTreeError(
                    f"element code {element.code!r} is reserved or empty: rename the element"
                )
            if element.code in seen:
                raise QuestionnaireTreeError(f"element code {element.code!r} appears twice")
            seen[element.code] = "element"
            if not element.criteria:
                raise QuestionnaireTreeError(
                    f"element {element.code!r} has no criteria: list at least one criterion code"
                )
            for criterion in element.criteria:
                if criterion == RESERVED_NODE or not criterion:
                    raise QuestionnaireTreeError(
                        f"criterion code {criterion!r} in element {element.code!r} is reserved "
                        "or empty: rename it"
                    )
                if criterion in seen:
                    raise QuestionnaireTreeError(
                        f"code {criterion!r} (element {element.code!r}) is used twice: every "
                        "criterion and element code must be unique"
                    )
                seen[criterion] = "criterion"

    @property
    def criteria(self) -> tuple[str, ...]:
        """All criterion codes, element by element, in form order."""
        return tuple(c for element in self.elements for c in element.criteria)

    @property
    def element_codes(self) -> tuple[str, ...]:
        """The element codes in form order."""
        return tuple(element.code for element in self.elements)

    def element_of_criterion(self) -> tuple[int, ...]:
        """Index of the element of each criterion, aligned with :attr:`criteria`."""
        return tuple(e for e, element in enumerate(self.elements) for _ in element.criteria)


def _as_code(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise QuestionnaireTreeError(f"{where}: expected a non-empty string code, got {value!r}")
    return value.strip()


def parse_questionnaire_tree(data: Mapping[str, object]) -> QuestionnaireTree:
    """Build the aggregation tree from a questionnaire definition (either accepted shape).

    Parameters
    ----------
    data : mapping
        Either ``{"elements": {element_code: [criterion_code, ...]}}`` or a platform questionnaire
        ``{"code", "version", "elements": [{"code", "criteria": [{"code", ...}]}]}``.

    Returns
    -------
    QuestionnaireTree

    Raises
    ------
    QuestionnaireTreeError
        Naming the element or criterion position that is malformed.
    """
    if not isinstance(data, Mapping) or "elements" not in data:
        raise QuestionnaireTreeError(
            'questionnaire: expected an object with an "elements" key (either '
            '{"elements": {"e1": ["e1_q1", ...]}} or a platform questionnaire)'
        )
    code = data.get("code", "custom")
    version = data.get("version")
    name = str(code) if version is None else f"{code}@{version}"
    raw = data["elements"]
    elements: list[Element] = []
    if isinstance(raw, Mapping):
        for element_code, criteria in raw.items():
            ecode = _as_code(element_code, "elements key")
            if not isinstance(criteria, list):
                raise QuestionnaireTreeError(
                    f"elements.{ecode}: expected a list of criterion codes, got {criteria!r}"
                )
            elements.append(
                Element(
                    ecode,
                    tuple(_as_code(c, f"elements.{ecode}[{i}]") for i, c in enumerate(criteria)),
                )
            )
    elif isinstance(raw, list):
        for e, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise QuestionnaireTreeError(
                    f"elements[{e}]: expected an object with code/criteria"
                )
            ecode = _as_code(item.get("code"), f"elements[{e}].code")
            criteria = item.get("criteria")
            if not isinstance(criteria, list):
                raise QuestionnaireTreeError(
                    f"elements[{e}] ({ecode}).criteria: expected a list of criteria objects"
                )
            codes = []
            for i, criterion in enumerate(criteria):
                where = f"elements[{e}] ({ecode}).criteria[{i}]"
                if isinstance(criterion, Mapping):
                    codes.append(_as_code(criterion.get("code"), f"{where}.code"))
                else:
                    codes.append(_as_code(criterion, where))
            elements.append(Element(ecode, tuple(codes)))
    else:
        raise QuestionnaireTreeError(
            '"elements" must be an object {element: [criteria]} or a list of element objects'
        )
    return QuestionnaireTree(name, tuple(elements))


def _numbered(element: str, first: int, last: int) -> Element:
    return Element(element, tuple(f"{element}_q{q}" for q in range(first, last + 1)))


# The service block of the national form (DOMAIN.md): questions 15-33 in five elements.
SIPAS_STANDARD = QuestionnaireTree(
    "sipas-standard",
    (
        _numbered("access", 15, 18),
        _numbered("procedures", 19, 22),
        _numbered("civil_servants", 23, 27),
        _numbered("results", 28, 30),
        _numbered("feedback", 31, 33),
    ),
)

_BUILTIN: dict[str, QuestionnaireTree] = {SIPAS_STANDARD.code: SIPAS_STANDARD}


def register_builtin_tree(name: str, tree: QuestionnaireTree) -> None:
    """Make ``tree`` available by ``name`` to :func:`builtin_questionnaire_tree` (and the CLI)."""
    _BUILTIN[name] = tree


def builtin_tree_names() -> tuple[str, ...]:
    """Names accepted by :func:`builtin_questionnaire_tree`."""
    return tuple(sorted(_BUILTIN))


def builtin_questionnaire_tree(name: str) -> QuestionnaireTree:
    """Return the built-in tree called ``name``.

    Raises
    ------
    QuestionnaireTreeError
        Listing the known names when ``name`` is unknown.
    """
    try:
        return _BUILTIN[name]
    except KeyError:
        raise QuestionnaireTreeError(
            f"unknown built-in questionnaire {name!r}: use one of {', '.join(builtin_tree_names())}"
            " or give a questionnaire JSON file"
        ) from None

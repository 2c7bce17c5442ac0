"""The aggregation tree of a SIPAS questionnaire: overall <- elements <- criteria, or, when the
questionnaire groups its elements into indices, sipas <- indices <- elements <- criteria.

Only the *codes* live here: the multilingual questionnaire (wording, scales, versions) belongs to
the application core. The tree is what the indices need to aggregate criterion shares into element
and overall indices, and it is read from either shape the platform uses:

* a minimal tree ``{"elements": {"access": ["access_q15", ...], ...}}`` whose criterion codes are
  the column names of the responses file;
* a platform questionnaire ``{"code": ..., "version": ..., "elements": [{"code": "access",
  "criteria": [{"code": "access_q15", ...}, ...]}, ...]}``.

Either shape may add ``"indices"`` (the whole national form of Decision 1001/QĐ-BNV: a policy
index over the parts A-D of Q9 part I, a service index over the five elements of part II):
``[{"code": "policy"}, {"code": "service"}]`` with each element object naming its ``"index"``, or
in the minimal shape ``{"policy": ["accountability", ...], "service": [...]}``; and
``"sipas_rule"``, how the SIPAS node combines them (:data:`SIPAS_RULES`). Without ``"indices"``
the tree is exactly overall <- elements <- criteria.

Built-in trees are found by name through :func:`builtin_questionnaire_tree`; the application may
add its own with :func:`register_builtin_tree`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "SIPAS_NODE",
    "SIPAS_RULES",
    "SIPAS_STANDARD",
    "Composite",
    "Element",
    "Index",
    "QuestionnaireTree",
    "QuestionnaireTreeError",
    "builtin_questionnaire_tree",
    "builtin_tree_names",
    "parse_questionnaire_tree",
    "register_builtin_tree",
]

RESERVED_NODE = "overall"
# The root of a tree with indices (the national SIPAS figure).
SIPAS_NODE = "sipas"
# How the SIPAS node combines the indices: the mean of the index scores (DOMAIN.md's working rule),
# or the mean of all element scores (each element counted once, whatever its index).
SIPAS_RULES: tuple[str, ...] = ("mean_of_indices", "mean_of_elements")


class QuestionnaireTreeError(ValueError):
    """A questionnaire definition that cannot be turned into an aggregation tree."""


@dataclass(frozen=True)
class Element:
    """One element (block) of the questionnaire and the codes of its criteria, in form order."""

    code: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Index:
    """One index of the national form (``policy``, ``service``) and the codes of its elements."""

    code: str
    elements: tuple[str, ...]


@dataclass(frozen=True)
class Composite:
    """A node above the elements: its estimate is ``sum_e weights[e] * element_e``.

    ``weights`` is aligned with :attr:`QuestionnaireTree.elements` (zero for the elements it does
    not count); ``level`` is ``"overall"`` for the root and ``"index"`` for an index.
    """

    code: str
    level: str
    parent: str
    weights: tuple[float, ...]


@dataclass(frozen=True)
class QuestionnaireTree:
    """Elements and criteria of a questionnaire, in form order.

    Attributes
    ----------
    code : str
        Name of the questionnaire (``"custom"`` for a minimal tree without a code).
    elements : tuple of Element
        The elements; every criterion code appears in exactly one element.
    indices : tuple of Index
        Empty (the root ``overall`` is the mean of the elements), or indices that share the
        elements out, each element in exactly one index, under the root ``sipas``.
    sipas_rule : str
        One of :data:`SIPAS_RULES`; how ``sipas`` combines the indices (unused without indices).
    """

    code: str
    elements: tuple[Element, ...]
    indices: tuple[Index, ...] = ()
    sipas_rule: str = SIPAS_RULES[0]

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
        if self.indices:
            self._check_indices(seen)

    def _check_indices(self, seen: dict[str, str]) -> None:
        if self.sipas_rule not in SIPAS_RULES:
            raise QuestionnaireTreeError(
                f"sipas_rule {self.sipas_rule!r}: use one of {', '.join(SIPAS_RULES)}"
            )
        if SIPAS_NODE in seen:
            raise QuestionnaireTreeError(
                f"code {SIPAS_NODE!r} names the root of a tree with indices: rename that "
                f"{seen[SIPAS_NODE]}"
            )
        owner: dict[str, str] = {}
        for index in self.indices:
            if not index.code or index.code in (RESERVED_NODE, SIPAS_NODE) or index.code in seen:
                raise QuestionnaireTreeError(
                    f"index code {index.code!r} is empty, reserved or used twice: rename the index"
                )
            seen[index.code] = "index"
            if not index.elements:
                raise QuestionnaireTreeError(
                    f'index {index.code!r} has no elements: give each element an "index"'
                )
            for element in index.elements:
                if seen.get(element) != "element":
                    raise QuestionnaireTreeError(
                        f"index {index.code!r} names {element!r}, which is not an element"
                    )
                if element in owner:
                    raise QuestionnaireTreeError(
                        f"element {element!r} is in indices {owner[element]!r} and "
                        f"{index.code!r}: an element belongs to one index"
                    )
                owner[element] = index.code
        missing = [e.code for e in self.elements if e.code not in owner]
        if missing:
            raise QuestionnaireTreeError(
                f'element(s) {", ".join(missing)} belong to no index: give each an "index"'
            )

    @property
    def root(self) -> str:
        """The top node: ``overall``, or ``sipas`` when the tree has indices."""
        return SIPAS_NODE if self.indices else RESERVED_NODE

    def composites(self) -> tuple[Composite, ...]:
        """The nodes above the elements, root first, then the indices in form order.

        Without indices: ``overall`` = mean of the elements. With indices: each index = mean of
        its elements; ``sipas`` = mean of the index scores (``mean_of_indices``: element e of
        index k weighs 1 / (K |k|)) or of the element scores (``mean_of_elements``: 1 / E).
        """
        n = len(self.elements)
        if not self.indices:
            return (Composite(RESERVED_NODE, "overall", "", (1.0 / n,) * n),)
        codes = self.element_codes
        rows = []
        for index in self.indices:
            members = set(index.elements)
            size = len(index.elements)
            rows.append(tuple(1.0 / size if c in members else 0.0 for c in codes))
        if self.sipas_rule == "mean_of_indices":
            k = len(rows)
            root = tuple(sum(row[e] for row in rows) / k for e in range(n))
        else:
            root = (1.0 / n,) * n
        return (
            Composite(SIPAS_NODE, "overall", "", root),
            *(
                Composite(index.code, "index", SIPAS_NODE, row)
                for index, row in zip(self.indices, rows, strict=True)
            ),
        )

    def parent_of_element(self) -> tuple[str, ...]:
        """The node each element aggregates into (its index, or ``overall``), in form order."""
        if not self.indices:
            return (RESERVED_NODE,) * len(self.elements)
        owner = {e: index.code for index in self.indices for e in index.elements}
        return tuple(owner[code] for code in self.element_codes)

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
    if data.get("indices") is None:
        return QuestionnaireTree(name, tuple(elements))
    rule = data.get("sipas_rule", SIPAS_RULES[0])
    if not isinstance(rule, str):
        raise QuestionnaireTreeError(f"sipas_rule: use one of {', '.join(SIPAS_RULES)}")
    indices = _parse_indices(data["indices"], raw)
    return QuestionnaireTree(name, tuple(elements), indices, rule)


def _parse_indices(raw_indices: object, raw_elements: object) -> tuple[Index, ...]:
    """``{index: [element, ...]}``, or ``[{"code": index}, ...]`` with elements naming their
    ``"index"`` (the platform shape)."""
    if isinstance(raw_indices, Mapping):
        indices = []
        for index_code, listed in raw_indices.items():
            icode = _as_code(index_code, "indices key")
            if not isinstance(listed, list):
                raise QuestionnaireTreeError(
                    f"indices.{icode}: expected a list of element codes, got {listed!r}"
                )
            indices.append(
                Index(
                    icode,
                    tuple(_as_code(m, f"indices.{icode}[{i}]") for i, m in enumerate(listed)),
                )
            )
        return tuple(indices)
    if not isinstance(raw_indices, list) or not isinstance(raw_elements, list):
        raise QuestionnaireTreeError(
            '"indices" must be an object {index: [elements]}, or a list of {"code": ...} with '
            'element objects naming their "index"'
        )
    codes = []
    for k, item in enumerate(raw_indices):
        value = item.get("code") if isinstance(item, Mapping) else None
        codes.append(_as_code(value, f"indices[{k}].code"))
    members: dict[str, list[str]] = {c: [] for c in codes}
    for e, item in enumerate(raw_elements):
        ecode = str(item.get("code"))
        index_code = item.get("index")
        if index_code not in members:
            raise QuestionnaireTreeError(
                f"elements[{e}] ({ecode}).index: {index_code!r} is not one of the indices "
                f"({', '.join(codes)})"
            )
        members[str(index_code)].append(ecode)
    return tuple(Index(c, tuple(members[c])) for c in codes)


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

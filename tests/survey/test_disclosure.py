"""The k = 5 disclosure rule: pure functions over rows."""

from __future__ import annotations

import numpy as np
import pytest

from survey.disclosure import K, k_anonymise, smallest_group, suppress_small_cells

BASE = ("stratum",)
REFINE = ("channel", "procedure_field")


def _rows(spec: list[tuple[str, str, str, int]]) -> list[dict[str, str]]:
    return [
        {"stratum": s, "channel": c, "procedure_field": p} for s, c, p, n in spec for _ in range(n)
    ]


def test_groups_of_k_keep_every_column() -> None:
    rows = _rows([("A", "direct", "Hộ tịch", 5), ("A", "online", "Hộ tịch", 6)])
    result = k_anonymise(rows, base=BASE, refine=REFINE)
    assert result.hidden == (frozenset(),) * 11
    assert (result.suppressed, result.generalised) == (0, {})


def test_a_small_part_hides_its_column_for_the_whole_group_not_only_for_itself() -> None:
    # 6 direct + 1 online: hiding "online" alone would leave the lone row recognisable by
    # elimination; the whole stratum shows channel "*".
    rows = _rows([("A", "direct", "Hộ tịch", 6), ("A", "online", "Hộ tịch", 1)])
    result = k_anonymise(rows, base=BASE, refine=REFINE)
    assert set(result.hidden) == {frozenset({"channel"})}
    assert result.generalised == {"channel": 7}


def test_refinement_goes_on_after_a_column_that_could_not_be_shown() -> None:
    rows = _rows(
        [
            ("A", "direct", "Hộ tịch", 4),
            ("A", "online", "Hộ tịch", 2),
            ("A", "direct", "Đất đai", 3),
            ("A", "online", "Đất đai", 3),
        ]
    )
    result = k_anonymise(rows, base=BASE, refine=REFINE)
    # channel splits 7/5 (both >= 5) and is shown; procedure field inside "direct" (4/3) is not.
    assert set(result.hidden) == {frozenset({"procedure_field"})}


def test_a_base_group_smaller_than_k_is_suppressed_and_counted() -> None:
    rows = _rows([("A", "direct", "x", 5), ("B", "direct", "x", 4)])
    result = k_anonymise(rows, base=BASE, refine=REFINE)
    assert result.hidden[5:] == (None,) * 4 and result.suppressed == 4


def test_every_shown_combination_holds_at_least_k_rows_on_random_data() -> None:
    rng = np.random.default_rng(3)
    rows = [
        {
            "stratum": f"S{rng.integers(6)}",
            "channel": str(rng.choice(["direct", "online", "postal"])),
            "procedure_field": f"F{rng.integers(8)}",
        }
        for _ in range(400)
    ]
    result = k_anonymise(rows, base=BASE, refine=REFINE)
    shown = [
        {c: "*" if c in hidden else row[c] for c in (*BASE, *REFINE)}
        for row, hidden in zip(rows, result.hidden, strict=True)
        if hidden is not None
    ]
    assert smallest_group(shown, (*BASE, *REFINE)) >= K
    assert smallest_group(rows, (*BASE, *REFINE)) < K  # the raw rows did not pass


def test_bad_k_is_refused() -> None:
    with pytest.raises(ValueError, match="k"):
        k_anonymise([], base=BASE, refine=REFINE, k=0)


def test_release_cells_under_k_are_suppressed_whatever_the_flag() -> None:
    flags = np.array([["ok", "unreliable"], ["ok", "suppressed"]])
    n = np.array([[4, 5], [30, 2]])
    assert suppress_small_cells(n, flags).tolist() == [
        ["suppressed", "unreliable"],
        ["ok", "suppressed"],
    ]
    assert flags[0, 0] == "ok"  # the input is not changed

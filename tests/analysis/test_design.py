"""SurveyDesign construction: codes, fpc conventions of R svydesign, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.design import DesignError, SurveyDesign, encode_labels


def test_fpc_counts_and_fractions_give_the_same_design() -> None:
    strata = np.array(["b", "b", "a", "a", "a"])
    counts = np.array([10.0, 10.0, 30.0, 30.0, 30.0])
    by_count = SurveyDesign.from_columns(strata=strata, fpc=counts)
    by_fraction = SurveyDesign.from_columns(strata=strata, fpc=np.array([0.2, 0.2, 0.1, 0.1, 0.1]))
    np.testing.assert_allclose(by_count.fpc, [0.2, 0.2, 0.1, 0.1, 0.1])
    np.testing.assert_allclose(by_fraction.fpc, by_count.fpc)
    # Without weights or probabilities R uses N_h / n_h from population counts.
    np.testing.assert_allclose(by_count.weights, [5.0, 5.0, 10.0, 10.0, 10.0])
    # Strata are coded in sorted label order.
    np.testing.assert_array_equal(by_count.strata, [1, 1, 0, 0, 0])


def test_weights_from_inclusion_probabilities() -> None:
    d = SurveyDesign.from_columns(inclusion_prob=[0.5, 0.25, 0.1])
    np.testing.assert_allclose(d.weights, [2.0, 4.0, 10.0])
    assert d.n == 3 and d.n_strata == 1 and d.n_psu == 3 and d.df == 2


def test_clusters_counted_as_psus_for_df() -> None:
    d = SurveyDesign.from_columns(
        weights=np.ones(6),
        strata=["x", "x", "x", "y", "y", "y"],
        psu=[1, 1, 2, 3, 4, 4],
    )
    assert d.n_psu == 4 and d.n_strata == 2 and d.df == 2


def test_psu_labels_repeated_across_strata_need_nest() -> None:
    strata = ["x", "x", "y", "y"]
    psu = [1, 2, 1, 2]
    with pytest.raises(DesignError, match="nest=True"):
        SurveyDesign.from_columns(weights=np.ones(4), strata=strata, psu=psu)
    nested = SurveyDesign.from_columns(weights=np.ones(4), strata=strata, psu=psu, nest=True)
    assert nested.n_psu == 4


def test_errors_name_the_row_and_the_fix() -> None:
    with pytest.raises(DesignError, match="row 1"):
        SurveyDesign.from_columns(inclusion_prob=[0.5, 0.0])
    with pytest.raises(DesignError, match="constant within a stratum"):
        SurveyDesign.from_columns(strata=["a", "a"], fpc=[10.0, 12.0])
    with pytest.raises(DesignError, match="population count"):
        SurveyDesign.from_columns(strata=["a", "a", "a"], fpc=[2.0, 2.0, 2.0])
    with pytest.raises(DesignError, match="row 2 is missing"):
        SurveyDesign.from_columns(weights=np.ones(3), strata=np.array([1.0, 2.0, np.nan]))
    with pytest.raises(DesignError, match="lonely_psu"):
        SurveyDesign.from_columns(weights=np.ones(2), lonely_psu="drop")  # type: ignore[arg-type]


def test_subset_rows_keeps_fractions() -> None:
    d = SurveyDesign.from_columns(strata=["a", "a", "b", "b"], fpc=[4.0, 4.0, 8.0, 8.0])
    sub = d.subset_rows(np.array([True, True, False, False]))
    assert sub.n == 2
    np.testing.assert_allclose(sub.fpc, [0.5, 0.5])
    np.testing.assert_allclose(sub.weights, [2.0, 2.0])


@pytest.mark.parametrize(
    "labels",
    [
        np.array([7, 3, 3, 9, 7, 1_000_003]),  # small span: presence table
        np.array([-5, 2, -5, 0], dtype=np.int16),
        np.array([4, 4, 2], dtype=np.uint32),
        np.array([10**12, 3, 10**12, -(10**12)]),  # wide span: sorted
        np.array(["b", "a", "b"]),
    ],
)
def test_encode_labels_equals_numpy_unique(labels: np.ndarray) -> None:
    codes, levels = encode_labels(labels, field="x")
    expected_levels, expected_codes = np.unique(labels, return_inverse=True)
    np.testing.assert_array_equal(levels, expected_levels)
    assert levels.dtype == expected_levels.dtype
    np.testing.assert_array_equal(codes, expected_codes)
    assert codes.dtype == np.intp


def test_rows_are_psus_only_without_clusters() -> None:
    assert SurveyDesign.from_columns(weights=np.ones(4), strata=[0, 0, 1, 1]).rows_are_psus
    clustered = SurveyDesign.from_columns(weights=np.ones(4), strata=[0, 0, 1, 1], psu=[1, 1, 2, 3])
    assert not clustered.rows_are_psus
    psu_index, psu_stratum, _ = clustered.psu_layout()
    np.testing.assert_array_equal(psu_index, [0, 0, 1, 2])
    np.testing.assert_array_equal(psu_stratum, [0, 1, 1])


def test_fpc_varying_within_a_stratum_names_its_first_row() -> None:
    with pytest.raises(DesignError, match="fpc: row 1 differs"):
        SurveyDesign.from_columns(
            weights=np.ones(5), strata=[1, 0, 1, 0, 0], fpc=[10.0, 20.0, 10.0, 20.0, 30.0]
        )

"""Crime concentration: top shares, Lorenz curve, Gini coefficient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError
from hotspot.hotspots.concentration import concentration_table, gini, lorenz, top_share, unit_counts


def test_gini_hand_computed():
    # x = 0, 1, 2, 7 (n=4, total 10): sum (2i-n-1) x_(i) = (-3)0 + (-1)1 + (1)2 + (3)7 = 22
    # G = 22 / (4 * 10) = 0.55
    assert gini([7, 0, 2, 1]) == pytest.approx(0.55)


def test_gini_uniform_and_extreme():
    assert gini(np.full(50, 4.0)) == pytest.approx(0.0)
    x = np.zeros(20)
    x[3] = 9
    assert gini(x) == pytest.approx(19 / 20)
    assert np.isnan(gini(np.zeros(5)))


def test_lorenz_curve():
    u, o = lorenz([7, 0, 2, 1])
    np.testing.assert_allclose(u, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(o, [0, 0, 0.1, 0.3, 1.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=200).filter(lambda v: sum(v) > 0))
def test_gini_equals_one_minus_twice_lorenz_area(values):
    u, o = lorenz(values)
    area = np.sum((o[1:] + o[:-1]) / 2 * np.diff(u))
    assert gini(values) == pytest.approx(1 - 2 * area, abs=1e-9)
    assert 0 <= gini(values) <= 1
    assert np.all(np.diff(o) >= -1e-12)


def test_top_share_and_nan_units():
    counts = np.array([50, 20, 10, 5, 5, 4, 3, 2, 1, 0] * 10, dtype=float)  # 100 units, total 1000
    assert top_share(counts, 0.01) == pytest.approx(50 / 1000)
    assert top_share(counts, 0.10) == pytest.approx(500 / 1000)
    assert top_share(counts, 1.0) == pytest.approx(1.0)
    with_nan = np.concatenate([counts, [np.nan] * 7])
    assert top_share(with_nan, 0.05) == pytest.approx(top_share(counts, 0.05))
    with pytest.raises(ArgumentError, match="share"):
        top_share(counts, 0)
    with pytest.raises(ArgumentError, match="counts"):
        top_share([-1, 2], 0.5)


def test_concentration_table():
    counts = np.arange(200, dtype=float)
    tab = concentration_table(counts, unit="lsoa")
    assert list(tab.columns) == ["unit", "measure", "units_share", "n_units", "value"]
    top = tab[tab["measure"] == "top_share"]
    assert top["n_units"].tolist() == [2, 10, 20]
    assert top["value"].iloc[0] == pytest.approx((199 + 198) / counts.sum())
    assert tab.loc[tab["measure"] == "gini", "value"].iloc[0] == pytest.approx(gini(counts))
    assert tab.loc[tab["measure"] == "offences", "value"].iloc[0] == counts.sum()


def test_unit_counts_includes_empty_units():
    codes = ["E1", "E1", "E3", "E9", "E1"]
    counts = unit_counts(codes, ["E1", "E2", "E3", "E4"])
    assert counts.tolist() == [3, 0, 1, 0]
    assert list(counts.index) == ["E1", "E2", "E3", "E4"]
    assert counts.attrs["unmatched"] == 1
    # top 25% of 4 LSOAs = the single busiest: 3 of the 4 matched offences
    assert top_share(counts, 0.25) == pytest.approx(3 / 4)
    with pytest.raises(ArgumentError, match="units"):
        unit_counts(codes, [])

"""Hit rate, PAI, PEI*, deviance and MAE against hand-computed examples."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError
from hotspot.forecast import metrics


def test_hand_computed_equal_cells():
    # 10 cells, top 10% = 1 cell, top 20% = 2 cells (use shares 0.1 and 0.2)
    forecast = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], float)
    observed = np.array([2, 0, 5, 1, 0, 0, 0, 0, 2, 0], float)  # total 10
    sc = metrics.hotspot_scores(forecast, observed, shares=(0.1, 0.2))
    assert sc["hit_rate"][0.1] == pytest.approx(0.2)          # cell 0 holds 2 of 10
    assert sc["pai"][0.1] == pytest.approx(0.2 / 0.1)         # 2.0
    assert sc["pei"][0.1] == pytest.approx(2 / 5)             # best single cell holds 5
    assert sc["hit_rate"][0.2] == pytest.approx(0.2)          # cells 0,1 hold 2
    assert sc["pai"][0.2] == pytest.approx(1.0)
    assert sc["pei"][0.2] == pytest.approx(2 / 7)             # best two cells: 5 + 2


def test_perfect_forecast_reaches_max_pai_and_pei_one():
    rng = np.random.default_rng(0)
    y = rng.poisson(rng.gamma(0.5, 2.0, 500)).astype(float)
    sc = metrics.hotspot_scores(y, y, shares=(0.01, 0.05, 0.1))
    for s in (0.01, 0.05, 0.1):
        n = int(np.floor(s * 500))
        max_pai = np.sort(y)[::-1][:n].sum() / y.sum() / (n / 500)
        assert sc["pai"][s] == pytest.approx(max_pai)
        assert sc["pei"][s] == pytest.approx(1.0)


def test_random_forecast_pai_near_one():
    rng = np.random.default_rng(1)
    y = rng.poisson(rng.gamma(0.5, 2.0, 4000)).astype(float)
    pais = [metrics.pai(rng.random(4000), y, 0.1) for _ in range(50)]
    assert np.mean(pais) == pytest.approx(1.0, abs=0.1)


def test_polygon_areas_and_pei_star():
    # unequal areas: unit 0 big (area 6), units 1-4 area 1 each -> total 10
    area = np.array([6, 1, 1, 1, 1], float)
    observed = np.array([3, 4, 1, 1, 1], float)
    forecast = np.array([0, 5, 4, 3, 2], float)
    sc = metrics.hotspot_scores(forecast, observed, area=area, shares=(0.2,))
    # top 20% of area = 2 units of area 1 (units 1, 2): hits 5 of 10, area share 0.2
    assert sc["hit_rate"][0.2] == pytest.approx(0.5)
    assert sc["pai"][0.2] == pytest.approx(2.5)
    # best with area 2: densest units 1 (4/1) then one of 2-4 (1/1) -> 5
    assert sc["pei"][0.2] == pytest.approx(1.0)


def test_deviance_and_mae_hand_computed():
    y = np.array([0.0, 2.0])
    mu = np.array([1.0, 1.0])
    # 2*mean([0 - (0-1), 2 log 2 - (2-1)]) = mean([2, 4 log 2 - 2])
    assert metrics.poisson_deviance(mu, y) == pytest.approx((2 + 4 * np.log(2) - 2) / 2)
    assert metrics.poisson_deviance(y, y, floor=1e-12) == pytest.approx(0.0, abs=1e-8)
    # the default floor (0.01) charges the zero forecast 2 * 0.01 / 2 units
    assert metrics.poisson_deviance(y, y) == pytest.approx(0.01)
    assert metrics.mae(mu, y) == pytest.approx(1.0)


def test_bad_arguments_named():
    with pytest.raises(ArgumentError, match="forecast"):
        metrics.hotspot_scores([1, 2], [1, 2, 3])
    with pytest.raises(ArgumentError, match="area"):
        metrics.hotspot_scores([1, 2], [1, 2], area=[1, 0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=20, max_size=200), st.integers(0, 10_000))
def test_properties_bounds(obs, seed):
    y = np.array(obs, float)
    f = np.random.default_rng(seed).random(y.size)
    sc = metrics.hotspot_scores(f, y, shares=(0.05, 0.1))
    if y.sum() == 0:
        assert np.isnan(sc["pai"][0.1])
        return
    for s in (0.05, 0.1):
        assert 0 <= sc["hit_rate"][s] <= 1
        assert 0 <= sc["pei"][s] <= 1 + 1e-12
        # PAI never exceeds that of the perfect forecast
        assert sc["pai"][s] <= metrics.pai(y, y, s) + 1e-9
    assert sc["hit_rate"][0.05] <= sc["hit_rate"][0.1] + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=60), st.integers(1, 60))
def test_partial_ranking_is_the_head_of_the_stable_ranking(values, k):
    """Ties (many equal counts) keep unit order; the partial sort gives the same head."""
    v = np.asarray(values, float)
    k = min(k, len(v))
    full = [i for i, _ in sorted(enumerate(v), key=lambda t: -t[1])]  # Python's sort is stable
    assert metrics.rank_units(v, k).tolist() == full[:k]

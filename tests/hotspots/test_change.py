"""Change against history (E-test, C-test), map similarity / fuzzy kappa, top-N stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot.hotspots.change import (
    c_test,
    e_test,
    list_stability,
    map_similarity,
    poisson_change,
    rank_biased_overlap,
)


def _t(a, b, t1, t2):
    v = a / t1 ** 2 + b / t2 ** 2
    return np.where(v > 0, (a / t1 - b / t2) / np.sqrt(np.where(v > 0, v, 1)), 0.0)


@pytest.mark.parametrize("k1,k2,t1,t2", [(7, 12, 1, 12), (3, 1, 1, 1), (0, 20, 1, 10)])
def test_e_test_equals_monte_carlo_of_its_definition(k1, k2, t1, t2):
    # independent check: simulate the null (pooled rate) and count |T| >= |T_obs|
    rng = np.random.default_rng(0)
    lam = (k1 + k2) / (t1 + t2)
    a = rng.poisson(lam * t1, 400_000).astype(float)
    b = rng.poisson(lam * t2, 400_000).astype(float)
    mc = float((np.abs(_t(a, b, t1, t2)) >= abs(float(_t(np.float64(k1), np.float64(k2), t1, t2))) - 1e-12).mean())
    assert e_test(k1, k2, t1, t2) == pytest.approx(mc, abs=0.004)


def test_e_test_size_under_the_null():
    rng = np.random.default_rng(1)
    rej = [e_test(rng.poisson(2.0), rng.poisson(24.0), 1, 12) <= 0.05 for _ in range(600)]
    assert np.mean(rej) <= 0.07


def test_c_test_is_the_conditional_binomial():
    from scipy.stats import binom

    # 9 of 13 offences in 1 of 4 equal periods: two-sided exact binomial (p = 1/4)
    p_up = binom.sf(8, 13, 0.25)
    assert c_test(9, 4, 1, 3, alternative="greater") == pytest.approx(p_up)


def test_poisson_change_is_not_percent_change():
    r = poisson_change([3, 30, 0, 2], [12, 60, 60, 24], exposure_now=1, exposure_history=12)
    # 3 after 1 a month is +200% but not significant; 30 after 5 a month is; 0 after 5 a month is down
    assert list(r["change"]) == ["no significant change", "up", "down", "no significant change"]
    assert r["rate_ratio"].iloc[1] == pytest.approx(6.0)


def _map(seed=0, shape=(40, 40)):
    rng = np.random.default_rng(seed)
    m = np.zeros(shape)
    for _ in range(6):
        r, c = rng.integers(3, shape[0] - 4, 2)
        m[r:r + 3, c:c + 3] = 3
    return m


def test_map_similarity_identical_shifted_and_random():
    a = _map()
    same = map_similarity(a, a.copy())
    assert same["similarity"] == 1 and same["fuzzy_kappa"] == pytest.approx(1.0)
    shifted = np.roll(a, 1, axis=1)
    s = map_similarity(a, shifted)
    assert s["similarity_significant"] < 0.8          # strict agreement drops ...
    assert s["fuzzy_similarity"] > 0.9 and s["fuzzy_kappa"] > 0.4   # ... fuzzy agreement stays high
    other = map_similarity(a, _map(seed=9))
    assert abs(other["fuzzy_kappa"]) < 0.25
    assert other["fuzzy_kappa"] < s["fuzzy_kappa"]


def test_rbo_and_list_stability():
    assert rank_biased_overlap([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert rank_biased_overlap([1, 2, 3], [4, 5, 6]) == 0.0
    # top agreement weighs more than bottom agreement
    assert rank_biased_overlap([1, 2, 3, 4], [1, 2, 9, 8]) > rank_biased_overlap([1, 2, 3, 4], [9, 8, 3, 4])
    a = pd.DataFrame({"x": [0, 1000, 2000, 3000], "y": [0, 0, 0, 0]})
    b = pd.DataFrame({"x": [20, 2010, 5000, 990], "y": [0, 0, 0, 0]})
    s = list_stability(a, b, top=4)
    assert s["n_shared"] == 3 and s["jaccard"] == pytest.approx(3 / 5)

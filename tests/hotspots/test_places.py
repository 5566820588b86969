"""Micro hot spots: equal circles, rank order, spacing, minimum count, sparse-place warning."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot.errors import ArgumentError
from hotspot.hotspots.places import micro_places, to_circles


def _world(seed=0):
    rng = np.random.default_rng(seed)
    x = list(rng.uniform(0, 10_000, 500))
    y = list(rng.uniform(0, 10_000, 500))
    plants = [((2_000, 2_000), 120), ((2_300, 2_000), 60), ((7_000, 6_000), 80), ((5_000, 8_500), 40)]
    for (cx, cy), n in plants:
        x += list(rng.normal(cx, 25, n))
        y += list(rng.normal(cy, 25, n))
    return np.array(x), np.array(y), plants


def test_places_are_ranked_spaced_and_recover_the_plants():
    x, y, _plants = _world()
    p = micro_places(x, y, period_days=365, top=10)
    # the 300 m-apart pair is closer than 500 m: only the larger one is a place
    for k, (cx, cy) in enumerate([(2_000, 2_000), (7_000, 6_000), (5_000, 8_500)]):
        assert np.hypot(p["x"].iloc[k] - cx, p["y"].iloc[k] - cy) < 60
    assert (np.diff(p["count"]) <= 0).all() and list(p["rank"]) == list(range(1, len(p) + 1))
    d = np.hypot(p["x"].values[:, None] - p["x"].values, p["y"].values[:, None] - p["y"].values)
    assert (d[np.triu_indices(len(p), 1)] >= 500).all()
    # every place holds at least min_per_year offences (24 a year by default)
    assert (p["count"] >= 24).all()
    # the count is the offences within 150 m of the centre, counted independently here
    for _, row in p.iterrows():
        assert row["count"] == int((np.hypot(x - row["x"], y - row["y"]) <= 150).sum())
    assert p["significant"].iloc[:3].all()


def test_expected_per_week_and_sparse_flag():
    x, y, _ = _world()
    p = micro_places(x, y, period_days=364, top=3, window_share=0.25, window_label="Fri-Sat night")
    assert p["expected_per_week"].iloc[0] == pytest.approx(p["count"].iloc[0] / 52)
    assert p["expected_per_window"].iloc[0] == pytest.approx(p["expected_per_week"].iloc[0] * 0.25)
    # 120 a year is > 1 a week; 40 a year is not: flagged, with the larger unit offered
    assert not p["too_sparse"].iloc[0] and p["too_sparse"].iloc[2]
    assert "LSOA" in p["suggestion"].iloc[2]


def test_units_offered_and_harm_column():
    x, y, _ = _world()
    units = np.where(x < 5_000, "E01000001", "E01000002")
    p = micro_places(x, y, period_days=365, units=units, weights=np.full(x.size, 2.0), top=2)
    assert list(p["unit"]) == ["E01000001", "E01000002"]
    assert p["unit_per_week"].iloc[0] == pytest.approx((units == "E01000001").sum() / (365 / 7))
    assert (p["harm"] == 2 * p["count"]).all()
    circles = to_circles(p)
    assert circles.geometry.area.iloc[0] == pytest.approx(np.pi * 150 ** 2, rel=0.01)


def test_configurable_and_errors():
    x, y, _ = _world()
    big = micro_places(x, y, period_days=365, radius=250, spacing=800, min_per_year=100, top=None)
    assert (big["count"] >= 100).all() and big.attrs["radius"] == 250
    assert len(micro_places(x, y, period_days=365, min_per_year=10_000)) == 0
    with pytest.raises(ArgumentError, match="spacing"):
        micro_places(x, y, period_days=365, radius=300, spacing=500)
    with pytest.raises(ArgumentError, match="period_days"):
        micro_places(x, y, period_days=0)


def test_change_against_history_is_a_poisson_test():
    x, y, _ = _world()
    rng = np.random.default_rng(5)
    # history: a year at the same places, but the second place was twice as busy
    hx = np.concatenate([rng.normal(2_000, 25, 120), rng.normal(7_000, 25, 160), rng.normal(5_000, 25, 40)])
    hy = np.concatenate([rng.normal(2_000, 25, 120), rng.normal(6_000, 25, 160), rng.normal(8_500, 25, 40)])
    p = micro_places(x, y, period_days=365, top=3, history=(hx, hy, 365.0))
    assert list(p["change"]) == ["no significant change", "down", "no significant change"]
    assert p["count_history"].iloc[1] == int((np.hypot(hx - p["x"].iloc[1], hy - p["y"].iloc[1]) <= 150).sum())

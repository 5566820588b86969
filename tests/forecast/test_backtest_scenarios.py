"""Rolling-origin backtest output layout, reopening scenario shape and backtest."""

import json

import numpy as np
import pandas as pd
import pytest
from synthworld import nte_cells, world_universe

from hotspot.errors import ArgumentError
from hotspot.forecast.backtest import rolling_origin
from hotspot.forecast.scenarios import reopening, reopening_backtest


def test_rolling_origin_json_and_chart(tmp_path, world):
    res = rolling_origin(world, world_universe("cell"), folds=3, horizon=7,
                         models=["last4", "kde", "prospective", "seasonal_naive"])
    assert len(res.folds) == 3 * 4
    assert res.folds["origin"].max() == pd.Timestamp("2021-06-24")  # horizon ends on the last day
    s = res.summary["models"]
    assert set(s) == {"last4", "kde", "prospective", "seasonal_naive"}
    for m in s.values():
        for metric in ("hit_rate", "pai", "pei"):
            assert set(m[metric]) == {"0.25", "0.5", "1", "5", "10"}
            v = m[metric]["5"]
            assert v["ci_low"] <= v["mean"] <= v["ci_high"]
        assert {"mean", "ci_low", "ci_high"} <= set(m["deviance"])
    out = res.to_json(tmp_path / "m.json")
    d = json.loads(out.read_text())
    assert d["meta"]["folds"] == 3 and len(d["folds"]) == 12
    png = res.chart(tmp_path / "c.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_rolling_origin_ci_matches_fold_values(world):
    res = rolling_origin(world, world_universe("lsoa"), folds=4, horizon=7, models=["last4"])
    v = res.folds["pai_10"].to_numpy()
    got = res.summary["models"]["last4"]["pai"]["10"]
    assert got["mean"] == pytest.approx(v.mean())
    from scipy import stats
    half = stats.t.ppf(0.975, 3) * v.std(ddof=1) / 2
    assert got["ci_high"] - got["mean"] == pytest.approx(half)


def test_rolling_origin_rejects_too_many_folds(world):
    with pytest.raises(ArgumentError, match="folds"):
        rolling_origin(world, world_universe("cell"), folds=400, models=["last4"])


def test_reopening_scenario_shape_and_nte(world):
    res = reopening(world, "2021-07-19", unit="cell", weeks=6)
    n_units = res.table["unit"].nunique()
    assert len(res.table) == n_units * 7 * 24
    assert set(res.effects["unit_type"]) == {"nte", "other"}
    assert res.meta["learned_from"] == ["2020-07-04", "2021-05-17"]
    assert res.meta["effect_source"] == "learned"
    nte = set(res.table.loc[res.table["unit_type"] == "nte", "unit"])
    truth = nte_cells()
    assert len(nte & truth) >= 0.8 * len(nte) and len(nte & truth) >= 0.5 * len(truth)
    assert np.allclose(res.table["expected_weekly"], res.table["baseline_weekly"] * res.table["ratio"])
    # baseline: the same six weeks of 2019 (weekday aligned), as a weekly rate
    sv = world[world["serious_violence"]]
    m = (sv["occurred_at"] >= "2019-07-22") & (sv["occurred_at"] < "2019-09-02")
    assert res.table["baseline_weekly"].sum() == pytest.approx(m.sum() / 6)


def test_reopening_uses_only_data_before(world):
    a = reopening(world, "2020-07-04", unit="lsoa")
    later = world.copy()
    fut = later["occurred_at"] >= "2020-07-04"
    later = later[~fut]
    b = reopening(later, "2020-07-04", unit="lsoa")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.meta["effect_source"] == "prior"


def test_reopening_backtest_table(world):
    bt = reopening_backtest(world, reopen="2020-07-04", weeks=8, unit="lsoa")
    assert list(bt["method"]) == ["scenario", "naive_prelockdown", "naive_last_weeks"]
    assert bt["observed_total"].nunique() == 1
    sv = world[world["serious_violence"]]
    m = (sv["occurred_at"] >= "2020-07-04") & (sv["occurred_at"] < "2020-08-29")
    assert bt["observed_total"].iloc[0] == m.sum()
    assert (bt["mae"] >= 0).all()


def test_reopening_effects_match_synthetic_truth(big_world):
    # the synthetic world returns to its 2019 level after each reopening; in June 2020 the NTE
    # runs at 25% and the rest at 60% of it
    learned = reopening(big_world, "2021-07-19", unit="cell").effects.set_index(["unit_type", "period"])
    assert learned.loc[("other", "day"), "ratio"] == pytest.approx(1.0, abs=0.15)
    prior = reopening(big_world, "2020-07-04", unit="cell", prior_recovery=0.5).effects.set_index(
        ["unit_type", "period"])
    assert prior.loc[("nte", "night"), "before"] == pytest.approx(0.25, abs=0.12)
    assert prior.loc[("nte", "night"), "ratio"] == pytest.approx(
        0.5 + 0.5 * prior.loc[("nte", "night"), "before"])

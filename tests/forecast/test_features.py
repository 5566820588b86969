"""Count panels, regimes and leakage-free features."""

import numpy as np
import pandas as pd
import pytest
from synthworld import world_universe

from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.features import (
    WINDOWS,
    build_features,
    build_panel,
    cell_keys,
    feature_names,
    training_frame,
    weekly_origins,
)
from hotspot.forecast.regimes import bank_holidays, daily_regimes
from hotspot.grid.spec import GridSpec
from hotspot.grid.universe import Universe


def _tiny():
    # three offences in two 250 m cells
    return pd.DataFrame({
        "occurred_at": pd.to_datetime(["2020-01-01 10:00", "2020-01-03 23:00", "2020-01-09 01:00"]),
        "easting": [100.0, 120.0, 600.0], "northing": [100.0, 200.0, 100.0],
        "serious_violence": [True, True, True], "lsoa_code": ["A", "A", "B"]})


def _cells():
    # study area: three 250 m cells in a row (the middle one never has an offence)
    return Universe.from_grid(GridSpec(x0=0, y0=0, cell=250, nx=3, ny=1))


def _areas():
    return Universe.from_ids("lsoa", ["A", "B"], [100.0, 600.0], [100.0, 100.0], [1.0, 1.0])


def test_panel_counts_and_cell_keys():
    p = build_panel(_tiny(), _cells())
    assert list(p.units) == ["0_0", "250_0", "500_0"]
    assert p.n_days == 9
    assert p.window("2020-01-01", "2020-01-10").tolist() == [2.0, 0.0, 1.0]
    assert p.window("2020-01-02", "2020-01-04").tolist() == [1.0, 0.0, 0.0]
    assert np.allclose(p.x, [125, 375, 625]) and np.allclose(p.area, 62500)
    assert p.total_area_m2 == 3 * 62500
    x0, y0 = cell_keys(np.array([-1.0, 249.9, 250.0]), np.array([0.0, 0, 0]), 250)
    assert x0.tolist() == [-250, 0, 250]


def test_panel_rejects_missing_universe_bad_unit_and_untimed():
    with pytest.raises(ArgumentError, match="universe"):
        build_panel(_tiny())                    # units never come from the offences
    with pytest.raises(ArgumentError, match="kind"):
        Universe.from_ids("ward", ["A"], [0.0], [0.0], [1.0])
    df = _tiny().assign(occurred_at=pd.NaT)
    with pytest.raises(InputError, match="timestamped"):
        build_panel(df, _cells())


def test_features_hand_counts_tiny():
    p = build_panel(_tiny(), _areas())
    X = build_features(p, "2020-01-09", horizon=7)
    # before 2020-01-09: A has 2 (one within the last 7 days: 3 Jan), B has 0
    assert X.loc["A", "c1"] == 1 and X.loc["A", "c2"] == 2 and X.loc["B", "c52"] == 0
    assert X.loc["B", "near1"] == pytest.approx(1.0)  # B's only neighbour is A
    assert list(X.columns) == feature_names()


def test_no_leakage_future_changes_do_not_change_features(world):
    origin = pd.Timestamp("2021-03-01")
    base = build_panel(world, world_universe("cell"))
    X0 = build_features(base, origin, 7)
    # scramble everything on or after the origin: shift times and move locations
    fut = world["occurred_at"] >= origin
    w2 = world.copy()
    rng = np.random.default_rng(5)
    w2.loc[fut, "occurred_at"] = w2.loc[fut, "occurred_at"] + pd.to_timedelta(
        rng.integers(-40, 40, fut.sum()), "h")
    w2.loc[fut, "occurred_at"] = w2.loc[fut, "occurred_at"].clip(lower=origin)
    w2.loc[fut, "easting"] = rng.permutation(w2.loc[fut, "easting"].to_numpy())
    extra = world[fut].head(300).assign(occurred_at=origin + pd.Timedelta(hours=1))
    w2 = pd.concat([w2, extra], ignore_index=True)
    shifted = build_panel(w2, world_universe("cell"))
    assert not np.array_equal(shifted.cum_row(shifted.n_days), base.cum_row(base.n_days))
    X1 = build_features(shifted, origin, 7)
    pd.testing.assert_frame_equal(X0, X1)


def test_window_counts_match_direct_count(world):
    p = build_panel(world, world_universe("lsoa"))
    origin = pd.Timestamp("2020-10-05")
    X = build_features(p, origin, 28)
    sv = world[world["serious_violence"]]
    for w in WINDOWS:
        m = (sv["occurred_at"] >= origin - pd.Timedelta(weeks=w)) & (sv["occurred_at"] < origin)
        direct = sv[m].groupby("lsoa_code").size().reindex(p.units, fill_value=0)
        assert np.array_equal(X[f"c{w}"].to_numpy(), direct.to_numpy())
    # the horizon Oct 5 - Nov 1 2020 is curfew, schools open; no bank holiday
    assert X["h_nte_curfew"].iloc[0] == 1.0 and X["h_schools_open"].iloc[0] == 1.0
    assert X["bank_holidays"].iloc[0] == 0


def test_training_frame_targets(world):
    p = build_panel(world, world_universe("beat"))
    origins = weekly_origins(p, until="2021-01-04", n=4, horizon=7)
    assert origins[-1] == pd.Timestamp("2020-12-28")
    X, y, w = training_frame(p, origins, 7)
    assert np.all(w == 1)
    assert len(X) == len(y) == 4 * len(p.units)
    assert y[-len(p.units):].sum() == p.window("2020-12-28", "2021-01-04").sum()
    # max_rows: a uniform sample without replacement, in stack order, taken before stacking;
    # the same rows as sampling the whole stack (the rule written out here)
    n = len(y) // 3
    Xs, ys, ws = training_frame(p, origins, 7, max_rows=n, seed=5)
    keep = np.sort(np.random.default_rng(5).choice(len(y), n, replace=False))
    assert len(Xs) == n and np.array_equal(ys, y[keep]) and np.array_equal(ws, w[keep])
    np.testing.assert_array_equal(Xs.to_numpy(), X.to_numpy()[keep])
    assert list(Xs.columns) == list(X.columns)


def test_regimes_and_bank_holidays():
    r = daily_regimes("2020-03-01", "2021-08-01")
    assert r.loc["2020-03-01", "nte_open"] == 1.0
    assert r.loc["2020-04-15", "nte_closed"] == 1.0 and r.loc["2020-04-15", "schools_open"] == 0.0
    assert r.loc["2020-10-01", "nte_curfew"] == 1.0
    assert r.loc["2021-04-20", "nte_outdoor_only"] == 1.0
    assert r.loc["2021-07-25", "nte_open"] == 1.0
    assert np.allclose(r[["nte_closed", "nte_curfew", "nte_outdoor_only", "nte_restricted",
                          "nte_open"]].sum(axis=1), 1.0)
    hol = [str(d) for d in bank_holidays(2020)]
    assert hol == ["2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25",
                   "2020-08-31", "2020-12-25", "2020-12-28"]
    assert "2021-12-27" in [str(d) for d in bank_holidays(2021)]
    assert "2021-12-28" in [str(d) for d in bank_holidays(2021)]


def test_covariates_joined_with_median_fill():
    p = build_panel(_tiny(), _areas())
    cov = pd.DataFrame({"imd_score": [30.0], "population": [1500.0]}, index=["A"])
    X = build_features(p, "2020-01-09", 7, covariates=cov)
    assert X.loc["A", "cov_imd_score"] == 30.0
    assert X.loc["B", "cov_population"] == 1500.0          # missing unit takes the median
    assert list(X.columns) == feature_names(cov)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(st.integers(60, 1200), st.sampled_from([7, 28]), st.sampled_from(["cell", "lsoa"]))
def test_property_features_equal_on_truncated_history(world, day, horizon, unit):
    full = build_panel(world, world_universe(unit))
    origin = full.start + pd.Timedelta(days=day)
    past = world[world["occurred_at"] < origin]
    trunc = build_panel(past, world_universe(unit), start=full.start, end=full.end - pd.Timedelta(days=1))
    pd.testing.assert_frame_equal(build_features(full, origin, horizon),
                                  build_features(trunc, origin, horizon))


def test_area_covariates_from_embedded_data(world):
    from hotspot.paths import data_dir

    if not (data_dir() / "covariates" / "imd2019_file7.csv").exists():
        pytest.skip("embedded covariates missing")
    from hotspot.forecast.features import COVARIATE_COLUMNS, area_covariates
    from hotspot.geography.areas import embedded_areas

    areas = embedded_areas()
    cov = area_covariates(world, areas, "lsoa")
    assert list(cov.columns) == COVARIATE_COLUMNS
    assert set(cov.index) == set(areas.lsoa["lsoa_code"].astype(str))
    assert cov["imd_score"].notna().all() and (cov["population"] > 0).all()
    with pytest.raises(ArgumentError, match="level"):
        area_covariates(world, areas, "cell")


def test_decayed_counts_equal_a_direct_sum_over_events(world):
    from hotspot.forecast.features import DECAYS, decayed_counts

    p = build_panel(world, world_universe("lsoa"))
    origin = pd.Timestamp("2020-11-16")
    got = decayed_counts(p.history(origin))
    sv = world[world["serious_violence"] & (world["occurred_at"] < origin)]
    age_days = (origin - sv["occurred_at"].dt.normalize()).dt.days.to_numpy() - 0.5
    keep = age_days < 730
    for tau in DECAYS:
        direct = pd.Series(np.exp(-age_days[keep] / tau), index=sv["lsoa_code"].to_numpy()[keep])
        direct = direct.groupby(level=0).sum().reindex(p.units, fill_value=0.0)
        np.testing.assert_allclose(got[tau], direct.to_numpy(), rtol=1e-9, atol=1e-9)

"""Baselines on tiny hand-checkable data; the learned model against last-k-weeks."""

import numpy as np
import pandas as pd
import pytest
from synthworld import world_universe  # noqa: E402

from hotspot.errors import ArgumentError
from hotspot.forecast.baselines import (
    Counting,
    ExpDecayKDE,
    GridSEPP,
    LastWeeks,
    ProspectiveHotspot,
    RetrospectiveKDE,
    SeasonalNaive,
)
from hotspot.forecast.features import build_panel
from hotspot.forecast.metrics import poisson_deviance
from hotspot.forecast.models import PoissonGBM, day_hour_split
from hotspot.grid.spec import GridSpec
from hotspot.grid.universe import Universe


def _panel():
    # cells 0_0 and 250_0 (adjacent) and 1000_0 (4 cells east); origin 2020-01-29 (Wed)
    t = pd.to_datetime(["2019-01-30 12:00", "2019-01-31 12:00",   # a year (364 d) before the horizon
                        "2020-01-02 10:00",                        # 4 weeks ago -> week index 3
                        "2020-01-27 22:00", "2020-01-28 21:00",    # last week
                        "2020-01-20 09:00", "2020-01-29 09:00"])   # 1.3 weeks ago; on the origin
    e = [10.0, 10, 10, 10, 260, 1010, 10]
    df = pd.DataFrame({"occurred_at": t, "easting": e, "northing": 10.0, "serious_violence": True})
    return build_panel(df, _strip())


def _strip():
    # a study area of five 250 m cells in a row: 0_0 ... 1000_0
    return Universe.from_grid(GridSpec(x0=0, y0=0, cell=250, nx=5, ny=1))


# universe order: 0_0, 250_0, 500_0, 750_0, 1000_0 -> indices of the three cells with offences
I0, I250, I1000 = 0, 1, 4


def test_last_weeks_and_seasonal_naive_by_hand():
    p = _panel()
    o = "2020-01-29"
    assert p.units.tolist() == ["0_0", "250_0", "500_0", "750_0", "1000_0"]
    # last 4 weeks [Jan 1, Jan 29): 0_0 has 2 (Jan 2, Jan 27), 250_0 1, 1000_0 1; event on origin excluded
    assert LastWeeks(4).fit(p).predict(o, 7).tolist() == pytest.approx([0.5, 0.25, 0, 0, 0.25])
    assert LastWeeks(1).fit(p).predict(o, 28).tolist() == pytest.approx([4.0, 4.0, 0, 0, 0.0])
    # same 7 days 364 days earlier: Jan 30 - Feb 5 2019 -> 2 in 0_0
    assert SeasonalNaive().fit(p).predict(o, 7).tolist() == [2.0, 0.0, 0, 0, 0.0]


def test_counting_and_sepp_by_hand():
    p = _panel()
    o = "2020-01-29"
    days = (pd.Timestamp(o) - p.start).days  # history before the origin, in days
    # all history: 0_0 has 4 (two in 2019, Jan 2, Jan 27), 250_0 1, 1000_0 1
    assert Counting().fit(p).predict(o, 7).tolist() == pytest.approx(
        [4 * 7 / days, 7 / days, 0, 0, 7 / days])
    pred = GridSEPP(days=400, iters=50).fit(p).predict(o, 7)
    assert pred[2] == pred[3] == 0 and np.all(pred >= 0)   # no offence ever: no intensity
    assert pred[I0] > pred[I250]


def test_prospective_weights_by_hand():
    p = _panel()
    pred = ProspectiveHotspot(radius=400, weeks=8).fit(p).predict("2020-01-29", 7)
    # risk(0_0) = own: 1 (Jan 27, week 0) + 1/(1+3) (Jan 2, week 3) + neighbour 250_0 (band 1, week 0): 1/2
    r00 = 1 + 0.25 + 0.5
    r250 = 1 + 0.5 * (1 + 0.25)       # own + 0_0 events at band 1
    r1000 = 1 / (1 + 1)               # Jan 20: 1.3 weeks ago -> week 1; 250_0 is 750 m away: outside
    r500 = 0.5 * 1                    # 250_0's Jan 28 event at band 1; 0_0 is 500 m away: outside
    r750 = 0.5 * 0.5                  # 1000_0's Jan 20 event (week 1) at band 1
    risk = np.array([r00, r250, r500, r750, r1000])
    total = 4 / 8 * 1.0               # 4 events in the last 8 weeks, mean weekly x 7/7
    assert pred == pytest.approx(risk / risk.sum() * total)


def test_kde_preserves_total_and_spreads():
    p = _panel()
    k = RetrospectiveKDE(weeks=4, bandwidth=300).fit(p)
    pred = k.predict("2020-01-29", 7)
    assert pred.sum() == pytest.approx(4 / 4)
    # 1000_0's one offence (0.25 a week) is shared with 750_0 (250 m away; 500_0 is 500 m away)
    w_nb = (1 - (250 / 300) ** 2) ** 2
    assert pred[I1000] == pytest.approx(0.25 / (1 + w_nb))
    assert pred[I0] > 0 and pred[I250] > 0
    with pytest.raises(ArgumentError, match="bandwidth"):
        RetrospectiveKDE(bandwidth=0).fit(p)


def test_baselines_do_not_read_the_origin_day():
    p = _panel()
    t = pd.to_datetime(["2019-01-30 12:00", "2019-01-31 12:00", "2020-01-02 10:00",
                        "2020-01-27 22:00", "2020-01-28 21:00", "2020-01-20 09:00"])
    past_only = build_panel(pd.DataFrame({"occurred_at": t, "easting": [10.0, 10, 10, 10, 260, 1010],
                                          "northing": 10.0}), _strip(), end="2020-01-29")
    assert past_only.cum_row(past_only.n_days).sum() < p.cum_row(p.n_days).sum()
    for m in (LastWeeks(1), SeasonalNaive(), RetrospectiveKDE(1), ProspectiveHotspot(), Counting(),
              ExpDecayKDE(30.0, 300.0), GridSEPP()):
        a = m.fit(p).predict("2020-01-29", 7)
        b = m.fit(past_only).predict("2020-01-29", 7)
        assert np.array_equal(a, b)


def test_gbm_beats_last4_on_world_with_signal(big_world):
    p = build_panel(big_world, world_universe("cell"))
    origins = [pd.Timestamp("2021-05-03") + pd.Timedelta(weeks=k) for k in range(4)]
    model = PoissonGBM(horizon=7, train_weeks=40, max_iter=80, intervals="poisson").fit(
        p, until=origins[0])
    d_gbm, d_last = [], []
    for o in origins:
        y = p.target(o, 7)
        d_gbm.append(poisson_deviance(model.predict(o, 7), y))
        d_last.append(poisson_deviance(LastWeeks(4).fit(p).predict(o, 7), y))
    assert np.mean(d_gbm) < np.mean(d_last)


def test_gbm_intervals_and_sklearn_conventions(world):
    p = build_panel(world, world_universe("lsoa"))
    m = PoissonGBM(horizon=28, train_weeks=12, max_iter=30)
    assert m.get_params()["horizon"] == 28 and not hasattr(m, "model_")
    m.fit(p, until="2021-03-01")
    # negative-binomial: trained on the first 8 origins, the last 4 held out for the dispersion
    assert m.train_end_ == "2021-03-01" and m.n_train_rows_ <= 8 * len(p.units)
    assert len(m.calibration_["held_out_origins"]) == 4 and m.alpha_ >= 0
    iv = m.predict_interval("2021-03-01")
    assert list(iv.columns) == ["expected", "q10", "q90"]
    assert (iv["q10"] <= iv["q90"]).all() and (iv["expected"] >= 0).all()
    with pytest.raises(ArgumentError, match="horizon"):
        m.predict("2021-03-01", 7)
    pois = PoissonGBM(horizon=28, train_weeks=12, max_iter=30, intervals="poisson").fit(
        p, until="2021-03-01").predict_interval("2021-03-01")
    assert (pois["q10"] <= pois["expected"] + 1).all() and (pois["q90"] >= pois["expected"] - 1).all()


def test_day_hour_split_sums_to_expected(world):
    p = build_panel(world, world_universe("lsoa"))
    exp = np.linspace(0, 3, len(p.units))
    t = day_hour_split(p, exp, "2021-03-01", top=None)
    per_unit = t[t["unit"] != "ALL"].groupby("unit")["expected"].sum().reindex(p.units)
    assert np.allclose(per_unit.to_numpy(), exp)
    assert t.loc[t["unit"] == "ALL", "expected"].sum() == pytest.approx(exp.sum())
    assert len(day_hour_split(p, exp, "2021-03-01", top=3)) == 4 * 168


@pytest.mark.parametrize("est", [LastWeeks(3), SeasonalNaive(2), RetrospectiveKDE(5, 300.0),
                                 ProspectiveHotspot(300.0, 4), PoissonGBM(horizon=28, max_iter=10)])
def test_sklearn_conventions_clone_and_params(est):
    from sklearn.base import clone

    c = clone(est)
    assert c.get_params() == est.get_params()
    assert not [k for k in vars(c) if k.endswith("_") and not k.startswith("_")]  # unfitted


def test_negbin_intervals_cover_about_80_percent(big_world):
    p = build_panel(big_world, world_universe("lsoa"))
    m = PoissonGBM(horizon=7, train_weeks=40, max_iter=60).fit(p, until="2021-04-26")
    assert m.intervals == "negbin" and m.alpha_ >= 0
    cover = []
    for k in range(4):
        o = pd.Timestamp("2021-04-26") + pd.Timedelta(weeks=k)
        iv = m.predict_interval(o)
        y = p.target(o, 7)
        cover.append(np.mean((y >= iv["q10"].to_numpy()) & (y <= iv["q90"].to_numpy())))
    assert 0.7 <= np.mean(cover) <= 0.99

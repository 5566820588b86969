"""All-history KDE with the bandwidth chosen by temporal cross-validation (baselines.CountingKDE)."""

import numpy as np
import pandas as pd
import pytest

from hotspot.forecast.baselines import BASELINES, Counting, CountingKDE
from hotspot.forecast.features import build_panel
from hotspot.grid.spec import GridSpec
from hotspot.grid.universe import Universe

N = 60  # cells per side


def _universe():
    return Universe.from_grid(GridSpec(x0=0, y0=0, cell=250, nx=N, ny=N))


def _draw(rate_per_day: np.ndarray, days: int, seed: int) -> pd.DataFrame:
    """Poisson offences per cell and day for a field of daily rates (N x N, row = y)."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(np.broadcast_to(rate_per_day.ravel(), (days, N * N)))
    d, c = np.nonzero(counts)
    d, c = np.repeat(d, counts[d, c]), np.repeat(c, counts[d, c])
    iy, ix = np.divmod(c, N)
    t = pd.Timestamp("2019-01-01") + pd.to_timedelta(d, "D") + pd.to_timedelta(12, "h")
    return pd.DataFrame({"occurred_at": t, "easting": ix * 250.0 + 125, "northing": iy * 250.0 + 125,
                         "serious_violence": True})


def _smooth_field(seed: int) -> np.ndarray:
    """Broad bumps (sd 2 cells = 500 m) of a low rate: past counts per cell are few and noisy."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:N, 0:N]
    f = np.full((N, N), 0.02)
    for cx, cy in rng.uniform(5, N - 5, (25, 2)):
        f += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 2.0 ** 2))
    return f / f.sum() * 20.0  # 20 offences a day over the whole area


def _rough_field(seed: int) -> np.ndarray:
    """Independent rates cell by cell (no spatial correlation) with many past counts each."""
    rng = np.random.default_rng(seed)
    return rng.gamma(0.5, 2.0, (N, N)) * 0.05


def test_zero_bandwidth_is_plain_counting():
    df = _draw(_rough_field(0), 200, 1)
    p = build_panel(df, _universe())
    o = "2019-06-01"
    got = CountingKDE(bandwidths=(0.0,)).fit(p).predict(o, 7)
    assert got == pytest.approx(Counting().fit(p).predict(o, 7))
    # by hand: all counts before the origin over the days before it, times 7
    before = df[df["occurred_at"] < o]
    assert got.sum() == pytest.approx(len(before) / (pd.Timestamp(o) - p.start).days * 7)


def test_cv_smooths_a_smooth_world_and_not_a_rough_one():
    o = pd.Timestamp("2020-12-01")
    days = (o - pd.Timestamp("2019-01-01")).days + 7
    smooth = CountingKDE(bandwidths=(0.0, 400.0, 800.0)).fit(build_panel(_draw(_smooth_field(2), days, 3),
                                                                       _universe()))
    smooth.predict(o, 7)
    assert smooth.bandwidth_ > 0, smooth.cv_
    rough = CountingKDE(bandwidths=(0.0, 400.0, 800.0)).fit(build_panel(_draw(_rough_field(4), days, 5),
                                                                      _universe()))
    rough.predict(o, 7)
    assert rough.bandwidth_ == 0, rough.cv_


def test_choice_and_forecast_ignore_offences_after_the_origin():
    o = pd.Timestamp("2019-09-02")
    df = _draw(_smooth_field(6), 300, 7)
    u = _universe()
    p = build_panel(df, u, start="2019-01-01", end="2019-12-31")
    later = pd.DataFrame({"occurred_at": pd.Timestamp("2019-09-03 10:00") + pd.to_timedelta(np.arange(500), "h"),
                          "easting": 125.0, "northing": 125.0, "serious_violence": True})
    q = build_panel(pd.concat([df, later], ignore_index=True), u, start="2019-01-01", end="2019-12-31")
    a, b = CountingKDE().fit(p), CountingKDE().fit(q)
    assert a.predict(o, 7) == pytest.approx(b.predict(o, 7))
    assert a.bandwidth_ == b.bandwidth_ and a.cv_ == b.cv_


def test_registered_as_a_peer():
    assert isinstance(BASELINES["counting_kde"](), CountingKDE)

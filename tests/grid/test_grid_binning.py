"""count_points equals numpy.histogram2d on the same aligned edges; weights, masks, dropped points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.grid.binning import count_points
from hotspot.grid.spec import GridSpec


def _hist(x, y, g, w=None):
    ex = g.x0 + np.arange(g.nx + 1) * g.cell
    ey = g.y0 + np.arange(g.ny + 1) * g.cell
    h, _, _ = np.histogram2d(x, y, bins=[ex, ey], weights=w)
    return h.T[::-1]  # (y descending, x)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 300), cell=st.sampled_from([10.0, 25.0, 100.0]),
       weighted=st.booleans())
def test_equals_histogram2d(seed, n, cell, weighted):
    rng = np.random.default_rng(seed)
    g = GridSpec(x0=350_000, y0=170_000, cell=cell, nx=int(rng.integers(1, 12)), ny=int(rng.integers(1, 12)))
    # points in and around the grid, some exactly on edges (integer multiples of the cell)
    x = rng.uniform(g.x0 - 2 * cell, g.x1 + 2 * cell, n)
    y = rng.uniform(g.y0 - 2 * cell, g.y1 + 2 * cell, n)
    on = rng.random(n) < 0.3
    x[on] = g.x0 + rng.integers(-1, g.nx + 2, on.sum()) * cell
    y[on] = g.y0 + rng.integers(-1, g.ny + 2, on.sum()) * cell
    w = rng.uniform(0, 3, n) if weighted else None
    da = count_points(x, y, g, weights=w)
    ref = _hist(x, y, g, w)
    np.testing.assert_allclose(da.values, ref, rtol=1e-12, atol=1e-12)
    inside = ref.sum()
    total = w.sum() if weighted else n
    assert da.attrs["dropped_weight"] == pytest.approx(total - inside, abs=1e-9)


def test_mask_gives_nan_and_counts_masked_points():
    g = GridSpec(x0=0, y0=0, cell=10, nx=4, ny=4)
    x = np.array([5.0, 15.0, 35.0, 35.0, np.nan, 100.0])
    y = np.array([5.0, 35.0, 35.0, 5.0, 1.0, 1.0])
    m = np.zeros(g.shape, dtype=bool)
    m[:, :2] = True
    da = count_points(x, y, g, mask=m)
    assert np.isnan(da.values[:, 2:]).all()
    assert da.values[3, 0] == 1 and da.values[0, 1] == 1
    assert da.attrs["masked_points"] == 2 and da.attrs["dropped"] == 2
    assert da.dtype == np.float64 and da.attrs["crs"] == "EPSG:27700"


def test_index_matches_counts():
    rng = np.random.default_rng(3)
    g = GridSpec(x0=1000, y0=2000, cell=50, nx=7, ny=5)
    x = rng.uniform(900, 1500, 200)
    y = rng.uniform(1900, 2300, 200)
    r, c = g.index(x, y)
    ok = r >= 0
    counts = np.zeros(g.shape)
    np.add.at(counts, (r[ok], c[ok]), 1)
    np.testing.assert_array_equal(counts, count_points(x, y, g).values)

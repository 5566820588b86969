"""Grid Gi*: analytic z and p against esda.G_Local, permutations in distribution, the Dataset."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError
from hotspot.hotspots.gistar import gistar, gistar_arrays, to_cells
from hotspot.schema import GI_CLASSES

X0, Y0, CELL = 358_000.0, 172_000.0, 100.0  # central Bristol, EPSG:27700


def _grid(ny, nx, seed, masked=0.15, lam=2.0, hot=True):
    rng = np.random.default_rng(seed)
    y = rng.poisson(lam, (ny, nx)).astype(float)
    if hot:  # a real-shaped cluster: a night-time economy block
        r, c = ny // 3, nx // 2
        y[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2] += rng.poisson(6, y[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2].shape)
    y[rng.random((ny, nx)) < masked] = np.nan
    return y


def _centres(ny, nx):
    xs = X0 + CELL * (np.arange(nx) + 0.5)
    ys = (Y0 + CELL * (np.arange(ny) + 0.5))[::-1]
    return np.meshgrid(xs, ys)


def _da(values):
    ny, nx = values.shape
    xx, yy = _centres(ny, nx)
    return xr.DataArray(values, dims=("y", "x"), coords={"y": yy[:, 0], "x": xx[0]},
                        attrs={"cell": CELL, "crs": "EPSG:27700"})


def _esda(values, distance, permutations=0, seed=None):
    import esda
    import libpysal

    valid = ~np.isnan(values)
    xx, yy = _centres(*values.shape)
    pts = np.column_stack([xx[valid], yy[valid]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(pts, threshold=distance, binary=True, silence_warnings=True)
        card = np.array([w.cardinalities[i] for i in w.id_order])
        g = esda.G_Local(values[valid], w, star=True, transform="B", permutations=permutations,
                         seed=seed, n_jobs=1)
    return g, card, valid


def _brute(values, distance, kind="binary"):
    """Dense O(n^2) Getis-Ord Gi* (general weights) over the valid cells."""
    valid = ~np.isnan(values)
    xx, yy = _centres(*values.shape)
    px, py, x = xx[valid], yy[valid], values[valid]
    d = np.hypot(px[:, None] - px[None, :], py[:, None] - py[None, :])
    inside = d <= distance * (1 + 1e-12)
    if kind == "binary":
        w = inside.astype(float)
    elif kind == "linear":
        w = np.where(inside, 1 - d / distance, 0.0)
    else:
        w = np.where(inside, np.exp(-0.5 * (d / (distance / 2)) ** 2), 0.0)
    n = x.size
    xbar = x.mean()
    s = np.sqrt((x ** 2).mean() - xbar ** 2)
    sw = w.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (w @ x - xbar * sw) / (s * np.sqrt((n * (w ** 2).sum(1) - sw ** 2) / (n - 1)))
    return z, valid


@pytest.mark.parametrize("seed,shape,distance,masked", [
    (0, (12, 17), 300.0, 0.0),      # exact boundary: (3, 0) cells away is at 300 m, included
    (1, (15, 20), 250.0, 0.2),      # masked cells and edges
    (2, (9, 9), 100.0, 0.3),        # rook neighbours only; some islands
    (3, (20, 13), 450.0, 0.1),
    (4, (10, 25), 141.43, 0.25),    # queen-like (diagonal at 141.42 m)
])
def test_z_and_p_equal_esda(seed, shape, distance, masked):
    values = _grid(*shape, seed=seed, masked=masked)
    res = gistar_arrays(values, CELL, distance)
    g, card, valid = _esda(values, distance)
    np.testing.assert_allclose(res["z"][valid], g.Zs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(res["p"][valid] / 2.0, g.p_norm, rtol=0, atol=1e-8)  # esda is one-sided
    np.testing.assert_array_equal(res["neighbours"][valid], card + 1)  # self included
    assert np.isnan(res["z"][~valid]).all() and np.isnan(res["p"][~valid]).all()


@settings(max_examples=40, deadline=None)
@given(ny=st.integers(3, 14), nx=st.integers(3, 14), seed=st.integers(0, 10_000),
       radius=st.sampled_from([1.0, 1.5, 2.0, 2.3, 3.0, 4.2]), masked=st.floats(0, 0.5),
       kind=st.sampled_from(["binary", "linear", "gaussian"]))
def test_matches_dense_reference(ny, nx, seed, radius, masked, kind):
    values = _grid(ny, nx, seed=seed, masked=masked, hot=False)
    valid = ~np.isnan(values)
    vv = values[valid]
    if valid.sum() < 3 or np.all(vv == vv[0]):
        return
    res = gistar_arrays(values, CELL, radius * CELL, weights=kind)
    z, _ = _brute(values, radius * CELL, kind)
    fin = np.isfinite(z)
    np.testing.assert_allclose(res["z"][valid][fin], z[fin], rtol=1e-9, atol=1e-9)
    assert np.all(np.isnan(res["z"][valid][~fin]))


def test_masked_cells_are_absent_not_zero():
    values = _grid(10, 10, seed=7, masked=0.0)
    padded = np.full((14, 16), np.nan)
    padded[2:12, 3:13] = values
    a = gistar_arrays(values, CELL, 300.0)["z"]
    b = gistar_arrays(padded, CELL, 300.0)["z"][2:12, 3:13]
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    zeroed = np.where(np.isnan(padded), 0.0, padded)
    c = gistar_arrays(zeroed, CELL, 300.0)["z"][2:12, 3:13]
    assert not np.allclose(a, c)


def test_hot_cluster_is_hot():
    values = _grid(21, 21, seed=5, masked=0.0, lam=1.0, hot=False)
    values[9:12, 9:12] += 12
    ds = gistar(_da(values), 200.0)
    assert ds["gi_class"].values[10, 10] == 3
    assert ds["z"].values[10, 10] > 3


@pytest.mark.slow  # esda compiles its Numba permutation kernel (~30 s on 2 cores)
def test_permutations_agree_with_esda_in_distribution():
    values = _grid(24, 24, seed=11, masked=0.1)
    res = gistar_arrays(values, CELL, 250.0, permutations=999, seed=3)
    g, _card, valid = _esda(values, 250.0, permutations=999, seed=3)
    ours = res["p_sim"][valid]
    assert np.corrcoef(ours, g.p_sim)[0, 1] > 0.95
    assert abs((ours < 0.05).mean() - (g.p_sim < 0.05).mean()) < 0.04
    assert ours.min() >= 1 / 1000 and ours.max() <= 0.5 + 1e-12  # folded, one-sided
    assert np.isnan(res["p_sim"][~valid]).all()


def test_permutations_seeded():
    values = _grid(12, 12, seed=2)
    a = gistar_arrays(values, CELL, 200.0, permutations=199, seed=9)["p_sim"]
    b = gistar_arrays(values, CELL, 200.0, permutations=199, seed=9)["p_sim"]
    c = gistar_arrays(values, CELL, 200.0, permutations=199, seed=10)["p_sim"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.nan_to_num(a), np.nan_to_num(c))


def test_sparse_zero_neighbourhoods_are_not_cold_spots():
    # most cells empty: a cell whose whole disk is empty ties with most permutations; esda's
    # folded p_sim calls it extreme, the tie-aware p_perm used for the classes does not
    rng = np.random.default_rng(8)
    values = np.zeros((30, 30))
    idx = rng.choice(900, 60, replace=False)
    values.flat[idx] = rng.integers(1, 3, 60)
    ds = gistar(_da(values), 100.0, permutations=199, seed=2, fdr="none")
    res = gistar_arrays(values, CELL, 100.0, permutations=199, seed=2)
    sums = gistar_arrays(values, CELL, 100.0)
    zero_disk = np.isclose(sums["z"], np.nanmin(sums["z"]))
    assert zero_disk.sum() > 100
    assert np.allclose(res["p_sim"][zero_disk], 1 / 200)  # esda-compatible definition
    assert (res["p_perm"][zero_disk] > 0.10).all()
    assert (ds["gi_class"].values[zero_disk] == 0).all()
    assert (ds["gi_class"].values > 0).any()  # unadjusted: the occupied cells still show up


def test_dataset_and_cells():
    values = _grid(15, 18, seed=4, masked=0.2)
    with pytest.warns(RuntimeWarning, match="too coarse"):  # 99 permutations cannot survive BY
        ds = gistar(_da(values), 300.0, permutations=99, seed=1, fdr="bh_dependence")
    for name in ("count", "z", "p", "p_sim", "p_adjusted", "neighbours", "gi_class"):
        assert ds[name].dims == ("y", "x")
    assert ds["gi_class"].dtype == np.int8
    assert ds.attrs["fdr"] == "bh_dependence" and ds.attrs["permutations"] == 99
    valid = ~np.isnan(values)
    assert ds.attrs["n_cells"] == valid.sum()
    q = ds["p_adjusted"].values[valid]
    assert np.all(q >= ds["p_perm"].values[valid] - 1e-15)
    assert np.all(ds["p_perm"].values[valid] >= np.minimum(1, 2 * ds["p_sim"].values[valid]) - 1e-15)
    assert (ds["gi_class"].values[~valid] == 0).all()
    cells = to_cells(ds)
    assert len(cells) == valid.sum()
    assert cells.crs.to_epsg() == 27700
    np.testing.assert_allclose(cells.area, CELL * CELL)
    assert set(cells["class"]).issubset(GI_CLASSES)
    assert (cells["class_label"] == cells["class"].map(GI_CLASSES)).all()
    # each polygon is centred on its cell's coordinates
    r, c = np.nonzero(valid)
    np.testing.assert_allclose(cells.geometry.centroid.x, ds["x"].values[c])
    np.testing.assert_allclose(cells.geometry.centroid.y, ds["y"].values[r])
    np.testing.assert_allclose(cells["count"], values[valid])


@pytest.mark.parametrize("kwargs,name", [
    ({"distance": -5}, "distance"), ({"distance": "far"}, "distance"),
    ({"distance": 300, "weights": "cubic"}, "weights"), ({"distance": 300, "fdr": "holm"}, "fdr"),
    ({"distance": 300, "permutations": -1}, "permutations"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ArgumentError, match=name):
        gistar(_da(_grid(5, 5, seed=0)), **kwargs)


def test_rejects_cube_and_negative_counts():
    cube = xr.DataArray(np.ones((2, 3, 3)), dims=("time", "y", "x"))
    with pytest.raises(ArgumentError, match="counts"):
        gistar(cube, 300)
    neg = _grid(5, 5, seed=0, masked=0)
    neg[0, 0] = -1
    with pytest.raises(ArgumentError, match="non-negative"):
        gistar(_da(neg), 300)


def _offences_gpkg(path, n=400, seed=0):
    """A small geocoded offences GeoPackage: a cluster in central Bristol plus background."""
    import geopandas as gpd
    import pandas as pd

    from hotspot.geography.geocode import write_offences

    rng = np.random.default_rng(seed)
    hot = rng.normal([X0 + 1500, Y0 + 1500], 80, (n // 2, 2))
    bg = rng.uniform([X0, Y0], [X0 + 3000, Y0 + 3000], (n - n // 2, 2))
    xy = np.vstack([hot, bg])
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    gdf = gpd.GeoDataFrame({
        "offence_id": [f"T{i:05d}" for i in range(n)], "occurred_at": when,
        "month": when.strftime("%Y-%m"), "serious_violence": True, "easting": xy[:, 0],
        "northing": xy[:, 1], "lsoa_code": "X01000001", "beat_code": "XB000001",
        "la_code": "X06000001", "geocode_method": "within",
    }, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    write_offences(gdf, path)
    return path


def test_cli_gistar(tmp_path, capsys):
    import geopandas as gpd

    from hotspot.cli import main

    src = _offences_gpkg(tmp_path / "offences.gpkg")
    out = tmp_path / "gistar.gpkg"
    rc = main(["gistar", "--embedded", str(src), "--cell", "100", "--distance", "300",
               "--fdr", "bh", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "hot spot 99%" in text and "offences 400" in text
    cells = gpd.read_file(out, layer="cells")
    assert {"count", "z", "p", "p_adjusted", "class", "class_label"} <= set(cells.columns)
    assert cells["count"].sum() == 400
    assert cells.crs.to_epsg() == 27700
    top = cells.loc[cells["count"].idxmax()]
    assert top["class"] == 3 and top["class_label"] == GI_CLASSES[3]
    rc = main(["gistar", "--embedded", str(src), "--cell", "100", "--distance", "300",
               "--permutations", "999", "--seed", "1", "--out", str(out)])
    assert rc == 0
    cells = gpd.read_file(out, layer="cells")
    assert cells.loc[cells["count"].idxmax(), "p_sim"] == pytest.approx(1 / 1000)
    assert (cells["p_adjusted"] >= cells["p_perm"] - 1e-12).all()
    # a date window with no offences is a clear input error (exit code 2)
    rc = main(["gistar", "--embedded", str(src), "--cell", "100", "--from", "2030-01-01",
               "--out", str(tmp_path / "none.gpkg")])
    assert rc == 2


def test_too_few_permutations_for_fdr_warns():
    values = _grid(20, 20, seed=3, masked=0.0, hot=False)  # no real cluster, 400 tests
    with pytest.warns(RuntimeWarning, match="permutations"):
        ds = gistar(_da(values), 200.0, permutations=19, seed=0)
    assert (ds["gi_class"].values == 0).all()


@pytest.mark.parametrize("kind", ["binary", "gaussian", "linear"])
def test_permutation_kernel_matches_python_reference(kind):
    """The Numba kernel against a plain NumPy loop over the same draws (exact counts)."""
    from hotspot.hotspots.gistar import _stencil_weights
    from hotspot.kernels.gistar import conditional_permutation_counts, stencil_offsets

    values = _grid(9, 11, seed=12, masked=0.2)
    valid = ~np.isnan(values)
    n = int(valid.sum())
    oy, ox, dist = stencil_offsets(2.5)
    w = _stencil_weights(dist, 2.5, kind)
    rng = np.random.default_rng(0)
    ids = np.array([rng.choice(n - 1, oy.size - 1, replace=False) for _ in range(50)])
    larger, smaller, k = conditional_permutation_counts(values, valid, oy, ox, w, ids)
    rows, cols = np.nonzero(valid)  # row-major rank order
    yv = values[valid]
    for i, (r, c) in enumerate(zip(rows, cols)):
        nb = [(wt, values[r + a, c + b]) for a, b, wt in zip(oy, ox, w)
              if (a or b) and 0 <= r + a < 9 and 0 <= c + b < 11 and valid[r + a, c + b]]
        wl = np.array([t[0] for t in nb])
        obs = float(sum(t[0] * t[1] for t in nb))
        others = np.delete(yv, i)
        sims = np.array([float(np.sum(wl * others[ids[p, :len(nb)]])) for p in range(50)])
        assert k[r, c] == len(nb)
        tol = 1e-10 * max(1.0, abs(obs))
        assert larger[r, c] == np.sum(sims >= obs - tol)
        assert smaller[r, c] == np.sum(sims <= obs + tol)
    assert (larger[~valid] == -1).all()


def test_binary_permutation_kernel_matches_python_reference():
    """The O(1) binary kernel against a plain loop over the same draws (exact counts)."""
    from hotspot.kernels.gistar import conditional_permutation_counts_binary, stencil_offsets

    values = _grid(9, 11, seed=13, masked=0.2)
    valid = ~np.isnan(values)
    n = int(valid.sum())
    oy, ox, _d = stencil_offsets(2.5)
    rng = np.random.default_rng(1)
    ids = np.array([rng.choice(n, oy.size, replace=False) for _ in range(60)])
    larger, smaller, k = conditional_permutation_counts_binary(values, valid, oy, ox, ids)
    rows, cols = np.nonzero(valid)
    yv = values[valid]
    for i, (r, c) in enumerate(zip(rows, cols)):
        nbv = [values[r + a, c + b] for a, b in zip(oy, ox)
               if (a or b) and 0 <= r + a < 9 and 0 <= c + b < 11 and valid[r + a, c + b]]
        obs, kk = float(sum(nbv)), len(nbv)
        sims = []
        for p in range(60):
            draw = [q for q in ids[p] if q != i][:kk]  # first k draws other than the cell itself
            sims.append(float(yv[draw].sum()))
        sims = np.array(sims)
        assert k[r, c] == kk
        assert larger[r, c] == np.sum(sims >= obs - 1e-10 * max(1, obs))
        assert smaller[r, c] == np.sum(sims <= obs + 1e-10 * max(1, obs))


def test_on_count_points_grid_with_mask():
    from shapely.geometry import Point

    from hotspot.grid.binning import count_points
    from hotspot.grid.spec import GridSpec

    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal([X0 + 1000, Y0 + 1000], 60, (150, 2)),
                    rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], (150, 2))])
    spec = GridSpec.from_bounds((X0, Y0, X0 + 2000, Y0 + 2000), cell=100)
    area = Point(X0 + 1000, Y0 + 1000).buffer(900)
    counts = count_points(xy[:, 0], xy[:, 1], spec, mask=area)
    ds = gistar(counts, 300.0)
    valid = ~np.isnan(counts.values)
    assert 0 < valid.sum() < counts.size
    z, _ = _brute(counts.values, 300.0)
    np.testing.assert_allclose(ds["z"].values[valid], z, atol=1e-9)
    r, c = np.unravel_index(np.nanargmax(counts.values), counts.shape)
    assert ds["gi_class"].values[r, c] == 3
    assert len(to_cells(ds)) == valid.sum()

"""Exact KDE: equals a direct double loop, kernels integrate to 1, edge loss, masks, rates."""

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from hotspot.errors import ArgumentError
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.kde import bandwidth_rule, kde, rate_surface

KERNELS = ["quartic", "gaussian", "epanechnikov", "uniform", "triweight"]


def _k(name, u, t=3.0):
    """Kernel K(u) written out independently of the library (2-D, integrates to 1)."""
    inside = u < (t if name == "gaussian" else 1.0)
    if name == "quartic":
        v = 3 / math.pi * (1 - u**2) ** 2
    elif name == "epanechnikov":
        v = 2 / math.pi * (1 - u**2)
    elif name == "uniform":
        v = np.full_like(u, 1 / math.pi)
    elif name == "triweight":
        v = 4 / math.pi * (1 - u**2) ** 3
    else:
        v = np.exp(-0.5 * u**2) / (2 * math.pi * (1 - math.exp(-0.5 * t * t)))
    return np.where(inside, v, 0.0)


def _direct(x, y, w, g, h, name, t=3.0):
    xx, yy = np.meshgrid(g.x, g.y)
    out = np.zeros(g.shape)
    for px, py, pw in zip(x, y, w):
        d = np.hypot(xx - px, yy - py)
        out += pw * _k(name, d / h, t) / h**2
    return out * 1e6  # per km2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 60), kernel=st.sampled_from(KERNELS),
       h=st.floats(30, 400), cell=st.sampled_from([20.0, 50.0, 100.0]), weighted=st.booleans(),
       t=st.floats(1.0, 4.0))
def test_equals_direct_double_loop(seed, n, kernel, h, cell, weighted, t):
    rng = np.random.default_rng(seed)
    g = GridSpec(x0=350_000, y0=170_000, cell=cell, nx=int(rng.integers(1, 25)), ny=int(rng.integers(1, 25)))
    # points inside, around and far from the grid
    x = rng.uniform(g.x0 - 2 * h, g.x1 + 2 * h, n)
    y = rng.uniform(g.y0 - 2 * h, g.y1 + 2 * h, n)
    w = rng.uniform(0, 5, n) if weighted else np.ones(n)
    da = kde(x, y, g, bandwidth=h, kernel=kernel, weights=w if weighted else None, truncate=t)
    ref = _direct(x, y, w, g, h, kernel, t)
    scale = max(np.abs(ref).max(), 1e-300)
    assert np.max(np.abs(da.values - ref)) <= 1e-10 * scale
    assert da.attrs["bandwidth"] == h and da.attrs["kernel"] == kernel


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernels_integrate_to_one(kernel):
    # analytically (radial integral) and on a fine lattice through the library
    t = 3.0
    radius = t if kernel == "gaussian" else 1.0
    val, _ = integrate.quad(lambda r: 2 * math.pi * r * float(_k(kernel, np.array([r]), t)[0]), 0, radius,
                            points=[radius * 0.999])
    assert val == pytest.approx(1.0, abs=1e-8)
    g = GridSpec(x0=0, y0=0, cell=1, nx=200, ny=200)
    da = kde([100.3], [99.6], g, bandwidth=30.0, kernel=kernel, units="per_cell", truncate=t)
    tol = 2e-3 if kernel == "uniform" else 1e-4  # the uniform kernel's jump converges slowly
    assert float(da.sum()) == pytest.approx(1.0, abs=tol)
    assert da.attrs["edge_loss"] == 0.0


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_edge_loss_corner_and_side(kernel):
    g = GridSpec(x0=0, y0=0, cell=10, nx=60, ny=60)
    corner = kde([0.0], [0.0], g, bandwidth=55.0, kernel=kernel)
    side = kde([300.0], [0.0], g, bandwidth=55.0, kernel=kernel)
    middle = kde([300.0], [300.0], g, bandwidth=55.0, kernel=kernel)
    # cell centres are symmetric about grid lines, so the discrete shares are exact
    assert corner.attrs["edge_loss"] == pytest.approx(0.75, abs=1e-12)
    assert side.attrs["edge_loss"] == pytest.approx(0.5, abs=1e-12)
    assert middle.attrs["edge_loss"] == 0.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), kernel=st.sampled_from(KERNELS), units=st.sampled_from(["per_km2", "per_cell"]))
def test_sum_times_area_is_mass_minus_edge_loss(seed, kernel, units):
    rng = np.random.default_rng(seed)
    g = GridSpec(x0=350_000, y0=170_000, cell=25, nx=40, ny=30)
    n = 50
    x = rng.uniform(g.x0 - 200, g.x1 + 200, n)
    y = rng.uniform(g.y0 - 200, g.y1 + 200, n)
    da = kde(x, y, g, bandwidth=150.0, kernel=kernel, units=units)
    total = float(da.sum()) * (g.cell_area / 1e6 if units == "per_km2" else 1.0)
    mass = da.attrs["kernel_mass"]
    assert total == pytest.approx(mass * (1 - da.attrs["edge_loss"]), rel=1e-10)
    # the discrete lattice mass is the count up to a small discretisation error (h = 6 cells)
    assert mass == pytest.approx(n, rel=5e-3 if kernel == "uniform" else 5e-4)
    assert 0.0 < da.attrs["edge_loss"] < 1.0


def test_mask_gives_nan_and_counts_as_edge_loss():
    g = GridSpec(x0=0, y0=0, cell=10, nx=40, ny=40)
    x, y = np.array([200.0, 120.0, 305.0]), np.array([200.0, 310.0, 90.0])
    full = kde(x, y, g, bandwidth=60.0)
    west = shapely.box(0, 0, 200, 400)
    da = kde(x, y, g, bandwidth=60.0, mask=west)
    inside = g.mask(west)
    assert np.isnan(da.values[~inside]).all() and np.isfinite(da.values[inside]).all()
    np.testing.assert_array_equal(da.values[inside], full.values[inside])
    assert da.attrs["edge_loss"] > full.attrs["edge_loss"]
    kept = np.nansum(da.values) * g.cell_area / 1e6
    assert kept == pytest.approx(da.attrs["kernel_mass"] * (1 - da.attrs["edge_loss"]), rel=1e-12)


def test_units_relationships_and_nonfinite_points():
    g = GridSpec(x0=0, y0=0, cell=50, nx=20, ny=20)
    x = np.array([500.0, 510.0, np.nan, 300.0])
    y = np.array([500.0, 480.0, 1.0, 700.0])
    a = kde(x, y, g, bandwidth=120.0, units="per_km2")
    b = kde(x, y, g, bandwidth=120.0, units="per_cell")
    c = kde(x, y, g, bandwidth=120.0, units="density")
    np.testing.assert_allclose(b.values, a.values * g.cell_area / 1e6, rtol=1e-12)
    np.testing.assert_allclose(c.values, a.values / 1e6 / 3, rtol=1e-12)
    assert a.attrs["dropped"] == 1 and a.attrs["total_weight"] == 3


def test_bandwidth_rule_matches_formula():
    rng = np.random.default_rng(7)
    x = rng.normal(360_000, 2_000, 400)
    y = rng.normal(170_000, 1_000, 400)
    h, rule = bandwidth_rule(x, y)
    d = np.hypot(x - x.mean(), y - y.mean())
    sd = math.sqrt(np.mean(d**2))
    dm = np.median(d)
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * 400 ** -0.2
    assert h == pytest.approx(expected, rel=5e-3)  # median of an even sample: lower middle value
    da = kde(x, y, GridSpec.from_points(x, y, 200), bandwidth=None)
    assert da.attrs["bandwidth"] == h and "ArcGIS" in da.attrs["bandwidth_rule"]


def test_bad_arguments_name_the_argument():
    g = GridSpec(x0=0, y0=0, cell=50, nx=4, ny=4)
    with pytest.raises(ArgumentError, match="kernel"):
        kde([1.0], [1.0], g, bandwidth=100, kernel="cosine")
    with pytest.raises(ArgumentError, match="bandwidth"):
        kde([1.0], [1.0], g, bandwidth=-1)
    with pytest.raises(ArgumentError, match="units"):
        kde([1.0], [1.0], g, bandwidth=100, units="per_m2")
    with pytest.raises(ArgumentError, match="weights"):
        kde([1.0], [1.0], g, bandwidth=100, weights=[-1.0])


def test_rate_surface_dual_kde():
    g = GridSpec(x0=0, y0=0, cell=50, nx=40, ny=40)
    rng = np.random.default_rng(2)
    px, py = rng.uniform(0, 2000, 30), rng.uniform(0, 1000, 30)  # people only in the south half
    pop = rng.integers(500, 2000, 30).astype(float)
    ox, oy = rng.uniform(0, 2000, 200), rng.uniform(0, 2000, 200)
    r = rate_surface((ox, oy), (px, py, pop), g, bandwidth=300.0, per=1000, min_population=50)
    off = kde(ox, oy, g, bandwidth=300.0)
    popd = kde(px, py, g, bandwidth=300.0, weights=pop)
    ok = popd.values >= 50
    np.testing.assert_allclose(r.values[ok], off.values[ok] / popd.values[ok] * 1000, rtol=1e-12)
    assert np.isnan(r.values[~ok]).all() and (~ok).any() and ok.any()
    assert r.attrs["guarded_cells"] == int((~ok).sum())


def test_rate_surface_from_polygons():
    import geopandas as gpd

    g = GridSpec(x0=0, y0=0, cell=100, nx=10, ny=10)
    areas = gpd.GeoDataFrame({"population": [1500.0, 1500.0]},
                             geometry=[shapely.box(0, 0, 500, 1000), shapely.box(500, 0, 1000, 1000)],
                             crs="EPSG:27700")
    r = rate_surface((np.array([250.0]), np.array([500.0])), areas, g, bandwidth=400.0, min_population=0)
    assert np.nanmax(r.values) > 0 and "representative point" in r.attrs["population_method"]


def _geocoded_gpkg(path, n=300, seed=5):
    import geopandas as gpd
    import pandas as pd

    from hotspot.geography.geocode import write_offences

    rng = np.random.default_rng(seed)
    x = rng.normal(359_000, 600, n)
    y = rng.normal(172_500, 600, n)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, n), unit="D")
    df = pd.DataFrame({
        "offence_id": [f"X{i:05d}" for i in range(n)], "occurred_at": when,
        "month": when.strftime("%Y-%m"), "time_precision": "exact",
        "crime_type": "Violence and sexual offences", "offence_subtype": "", "knife": False,
        "domestic": False, "serious_violence": rng.random(n) < 0.4, "sv_category": "",
        "easting": x, "northing": y, "location": "", "source_file": "t.csv",
        "source_line": np.arange(n) + 2, "lsoa_code": "X01000001", "beat_code": "XB000001",
        "la_code": "X06000001", "geocode_method": "within"})
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs="EPSG:27700")
    write_offences(gdf, path)
    return df


@pytest.mark.parametrize("suffix", [".tif", ".nc"])
def test_cli_kde_writes_grid_with_filters(tmp_path, suffix, capsys):
    from hotspot.cli import main
    from hotspot.grid.io import read_geotiff, read_netcdf

    src = tmp_path / "off.gpkg"
    df = _geocoded_gpkg(src)
    out = tmp_path / f"kde{suffix}"
    rc = main(["kde", "--embedded", str(src), "--cell", "100", "--bandwidth", "250",
               "--from", "2024-03-01", "--to", "2024-08-31", "--out", str(out)])
    assert rc == 0 and out.exists()
    text = capsys.readouterr().out
    assert "cell 100 m (given)" in text and "bandwidth 250.0 m (given)" in text
    keep = (df["occurred_at"] >= "2024-03-01") & (df["occurred_at"] < "2024-09-01") & df["serious_violence"]
    da = read_geotiff(out) if suffix == ".tif" else read_netcdf(out)["kde"]
    assert int(da.attrs["offences"]) == int(keep.sum())
    mass = float(np.nansum(da.values)) * 100 * 100 / 1e6
    assert mass == pytest.approx(keep.sum() * (1 - float(da.attrs["edge_loss"])), rel=2e-3)


def test_cli_kde_bad_kernel_exit_code(tmp_path):
    from hotspot.cli import main

    src = tmp_path / "off.gpkg"
    _geocoded_gpkg(src, n=20)
    assert main(["kde", "--embedded", str(src), "--kernel", "cosine", "--out",
                 str(tmp_path / "k.tif")]) == 2


@pytest.mark.slow
def test_cli_kde_on_embedded_data_force_mask(tmp_path):
    """End to end on the embedded synthetic extract (skipped when data/ has not been generated)."""
    from hotspot.cli import main
    from hotspot.geography.areas import embedded_areas
    from hotspot.grid.io import read_geotiff
    from hotspot.grid.spec import GridSpec
    from hotspot.paths import data_dir

    src = data_dir() / "offences_extract.csv.gz"
    if not src.exists() or not (data_dir() / "boundaries.gpkg").exists():
        pytest.skip("embedded data set not generated (run `make data`)")
    out = tmp_path / "kde.tif"
    assert main(["kde", "--embedded", str(src), "--cell", "200", "--bandwidth", "400", "--out", str(out)]) == 0
    da = read_geotiff(out)
    spec = GridSpec.from_dataarray(da)
    inside = spec.mask(embedded_areas().force)
    assert np.isnan(da.values[~inside]).all() and np.isfinite(da.values[inside]).all()
    mass = float(np.nansum(da.values)) * spec.cell_area / 1e6
    assert mass == pytest.approx(float(da.attrs["kernel_mass"]) * (1 - float(da.attrs["edge_loss"])), rel=1e-5)
    assert 0 < float(da.attrs["edge_loss"]) < 0.2


def test_result_identical_for_any_thread_count():
    import numba

    rng = np.random.default_rng(11)
    g = GridSpec(x0=0, y0=0, cell=20, nx=60, ny=50)
    x, y = rng.uniform(-100, 1300, 3000), rng.uniform(-100, 1100, 3000)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kde(x, y, g, bandwidth=90.0, kernel="gaussian").values
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = kde(x, y, g, bandwidth=90.0, kernel="gaussian").values
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)  # each cell sums its points in the same order


@pytest.mark.slow
def test_cli_rate_on_embedded_data(tmp_path):
    from hotspot.cli import main
    from hotspot.grid.io import read_netcdf
    from hotspot.paths import data_dir

    src = data_dir() / "offences_extract.csv.gz"
    if not src.exists() or not (data_dir() / "boundaries.gpkg").exists():
        pytest.skip("embedded data set not generated (run `make data`)")
    out = tmp_path / "rate.nc"
    assert main(["kde", "--embedded", str(src), "--cell", "250", "--bandwidth", "600", "--rate", "--out", str(out)]) == 0

    ds = read_netcdf(out)
    v = ds["rate"].values
    assert np.isfinite(v).any() and (v[np.isfinite(v)] >= 0).all()
    assert int(ds["rate"].attrs["guarded_cells"]) > 0  # rural cells below the population guard


@pytest.mark.parametrize("t", [0.5, 3.0, 17.9, 20.0])  # 17.9 / 20: the no-recurrence exp path
def test_gaussian_truncation_paths_equal_direct(t):
    rng = np.random.default_rng(int(t * 10))
    g = GridSpec(x0=0, y0=0, cell=10, nx=30, ny=25)
    x, y = rng.uniform(-50, 350, 40), rng.uniform(-50, 300, 40)
    da = kde(x, y, g, bandwidth=12.0, kernel="gaussian", truncate=t)
    ref = _direct(x, y, np.ones(40), g, 12.0, "gaussian", t)
    assert np.max(np.abs(da.values - ref)) <= 1e-10 * ref.max()
    assert da.attrs["truncate"] == t and da.attrs["support_radius"] == pytest.approx(12.0 * t)

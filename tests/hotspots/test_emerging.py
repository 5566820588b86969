"""Emerging hot spot analysis: Mann-Kendall, pattern rules, end-to-end categories on built cubes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.stats import kendalltau, norm

from hotspot.errors import ArgumentError, InputError
from hotspot.hotspots.emerging import (
    category_counts,
    classify_patterns,
    emerging_hotspots,
    mann_kendall,
    to_cells,
)
from hotspot.kernels.emerging import disk_offsets, spacetime_gistar
from hotspot.schema import EMERGING_CATEGORIES

# ---- Mann-Kendall ---------------------------------------------------------------------------


def test_mann_kendall_hand_computed_no_ties():
    # x = 1..5: every pair concordant, S = 10, Var = 5*4*15/18, z = (S - 1)/sqrt(Var)
    r = mann_kendall([1, 2, 3, 4, 5])
    var = 5 * 4 * 15 / 18
    assert r["s"] == 10
    assert r["var"] == pytest.approx(var)
    assert r["z"] == pytest.approx(9 / np.sqrt(var))
    assert r["p"] == pytest.approx(2 * norm.sf(9 / np.sqrt(var)))


def test_mann_kendall_hand_computed_with_ties():
    # x = 1,1,2,3: pairs give S = 5; one tie group of 2: Var = (4*3*13 - 2*1*9)/18 = 138/18
    r = mann_kendall([1, 1, 2, 3])
    assert r["s"] == 5
    assert r["var"] == pytest.approx(138 / 18)
    assert r["z"] == pytest.approx(4 / np.sqrt(138 / 18))


def test_mann_kendall_published_worked_example():
    # Little, J. "A Mann-Kendall Example ('By Hand')", College of the Holy Cross:
    # https://mathcs.holycross.edu/~little/Montserrat/MannKendallByHand.txt
    # 14 values with one tied pair: S = 54, V = 14*13*33/18 - 2*1*9/18, Z = 2.9058,
    # one-sided p about 0.0018 (two-sided twice that)
    x = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]
    r = mann_kendall(x)
    assert r["s"] == 54
    assert r["var"] == pytest.approx(14 * 13 * 33 / 18 - 2 * 1 * 9 / 18)
    assert r["z"] == pytest.approx(2.9058, abs=5e-5)
    assert r["p"] / 2 == pytest.approx(0.0018, abs=5e-5)


def test_mann_kendall_decreasing_and_constant():
    assert mann_kendall([5, 4, 3, 2, 1])["z"] < 0
    r = mann_kendall([2.0, 2.0, 2.0, 2.0])
    assert r["s"] == 0 and r["z"] == 0
    assert np.isnan(mann_kendall([1.0, 2.0])["z"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=4, max_size=40, unique=True))
def test_mann_kendall_matches_scipy_kendalltau(values):
    n = len(values)
    r = mann_kendall(values)
    tau, p_scipy = kendalltau(np.arange(n), values, method="asymptotic")
    assert r["s"] == pytest.approx(tau * n * (n - 1) / 2, abs=1e-6)
    # without ties the MK variance is the tau-b asymptotic variance, so the uncorrected z agrees
    z_unc = r["s"] / np.sqrt(r["var"])
    assert 2 * norm.sf(abs(z_unc)) == pytest.approx(p_scipy, rel=1e-6, abs=1e-12)
    # the continuity correction only makes the test more conservative
    assert r["p"] >= p_scipy - 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=3, max_size=30))
def test_mann_kendall_reversal_antisymmetric(values):
    a, b = mann_kendall(values), mann_kendall(values[::-1])
    assert a["s"] == -b["s"]
    assert a["var"] == pytest.approx(b["var"])


# ---- pattern rules on hand-built significance series -----------------------------------------

H, C, N = "H", "C", "."
CASES = [
    # series (oldest -> final), trend sign (+1 significant rise, -1 significant fall, 0 none), expected
    ("........H", 0, "new hot spot"),
    ("CC......H", 0, "new hot spot"),
    (".....HHHH", 0, "consecutive hot spot"),
    ("HHHHHHHHHH", +1, "intensifying hot spot"),
    ("HHHHHHHHHH", 0, "persistent hot spot"),
    ("HHHHHHHHHH", -1, "diminishing hot spot"),
    (".H..HH..H", 0, "sporadic hot spot"),
    ("H...HHHH", 0, "sporadic hot spot"),
    ("HHHH.HHHHH", +1, "intensifying hot spot"),  # 9/10 = 90% including the final step
    (".HC.H..HH", 0, "oscillating hot spot"),
    ("HHHHHHHHH.", 0, "historical hot spot"),
    ("HHHHHHHHHC", 0, "new cold spot"),   # the final state wins over history
    ("CCCCCCCCCH", 0, "new hot spot"),
    ("CCCCCHCCCH", 0, "oscillating hot spot"),
    ("........C", 0, "new cold spot"),
    ("......CCC", 0, "consecutive cold spot"),
    ("CCCCCCCCCC", -1, "intensifying cold spot"),
    ("CCCCCCCCCC", 0, "persistent cold spot"),
    ("CCCCCCCCCC", +1, "diminishing cold spot"),
    ("C..C.C..C", 0, "sporadic cold spot"),
    ("H..C.C..C", 0, "oscillating cold spot"),
    ("CCCCCCCCC.", 0, "historical cold spot"),
    ("..........", 0, "no pattern detected"),
    ("H.H.H.H...", 0, "no pattern detected"),     # not hot now and under 90% hot
    ("HHHHHHHH..", 0, "no pattern detected"),     # 80% hot, final not hot
]


@pytest.mark.parametrize("series,trend,expected", CASES)
def test_classify_patterns_rules(series, trend, expected):
    hot = np.array([c == H for c in series])[:, None]
    cold = np.array([c == C for c in series])[:, None]
    tz = np.array([3.0 * trend])
    tp = np.array([0.001 if trend else 0.8])
    code = classify_patterns(hot, cold, tz, tp)
    assert EMERGING_CATEGORIES[code[0]] == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([H, C, N]), min_size=3, max_size=30), st.sampled_from([-1, 0, 1]))
@example(list("HHHHHHHHHC"), 0)
def test_classify_patterns_hot_cold_mirror(series, trend):
    hot = np.array([c == H for c in series])[:, None]
    cold = np.array([c == C for c in series])[:, None]
    tp = np.array([0.001 if trend else 0.8])
    code = int(classify_patterns(hot, cold, np.array([float(trend)]), tp)[0])
    mirror = int(classify_patterns(cold, hot, np.array([-float(trend)]), tp)[0])
    if code == 16:
        assert mirror == 16
    else:
        assert mirror == (code + 8) % 16
    # the final step decides the family: hot now -> a hot category; never hot -> no hot category
    if hot[-1, 0]:
        assert code < 8
    if not hot.any():
        assert code >= 8


def test_classify_patterns_consecutive_needs_two_steps_and_no_earlier_hot():
    # run of 2 after an earlier hot step: sporadic, not consecutive
    hot = np.array([c == H for c in "H....HH"])[:, None]
    code = classify_patterns(hot, np.zeros_like(hot), np.zeros(1), np.ones(1))
    assert EMERGING_CATEGORIES[code[0]] == "sporadic hot spot"


def test_classify_patterns_shape_errors():
    with pytest.raises(ArgumentError, match="trend_z"):
        classify_patterns(np.zeros((3, 2), bool), np.zeros((3, 2), bool), np.zeros(3), np.zeros(3))


# ---- end to end on hand-built cubes ----------------------------------------------------------

T, NY, NX, CELL = 10, 15, 15, 100.0
BLOCK = (slice(6, 9), slice(6, 9))  # 3 x 3 block centred on (7, 7)


def _cube(values: np.ndarray) -> xr.DataArray:
    y = 10_000 - (np.arange(NY) + 0.5) * CELL
    x = 20_000 + (np.arange(NX) + 0.5) * CELL
    time = pd.date_range("2024-01-01", periods=values.shape[0], freq="W-MON")
    return xr.DataArray(values.astype(float), dims=("time", "y", "x"),
                        coords={"time": time, "y": y, "x": x}, attrs={"cell": CELL, "crs": "EPSG:27700"})


def _built(block_by_step: list[float], background: float = 3.0) -> xr.DataArray:
    v = np.full((len(block_by_step), NY, NX), background)
    v[:, 0::4, 0::3] += 1.0  # a fixed spatial texture, identical every step
    for t, b in enumerate(block_by_step):
        if b is not None:
            v[(t,) + BLOCK] = b
    return _cube(v)


def _centre_category(cube: xr.DataArray, **kw) -> str:
    kw.setdefault("time_lag", 0)
    ds = emerging_hotspots(cube, 150.0, **kw)
    return str(ds["category"].values[7, 7])


HOT, COLD = 20.0, 0.0
E2E = [
    ([None] * 9 + [HOT], "new hot spot"),
    ([None] * 7 + [HOT] * 3, "consecutive hot spot"),
    ([HOT] * 10, "persistent hot spot"),
    ([12.0 + 2 * k for k in range(10)], "intensifying hot spot"),
    ([30.0 - 2 * k for k in range(10)], "diminishing hot spot"),
    ([None, None, HOT, None, None, HOT, None, None, None, HOT], "sporadic hot spot"),
    ([None, COLD, None, None, HOT, None, None, None, None, HOT], "oscillating hot spot"),
    ([HOT] * 9 + [None], "historical hot spot"),
    ([None] * 9 + [COLD], "new cold spot"),
    ([None] * 7 + [COLD] * 3, "consecutive cold spot"),
    ([COLD] * 10, "persistent cold spot"),
    ([None, None, COLD, None, None, COLD, None, None, None, COLD], "sporadic cold spot"),
    ([COLD] * 9 + [None], "historical cold spot"),
    ([None] * 10, "no pattern detected"),
]


@pytest.mark.parametrize("block,expected", E2E)
def test_emerging_categories_on_built_cubes(block, expected):
    assert _centre_category(_built(block)) == expected


def test_intensifying_cold_spot_on_built_cube():
    # background 6 so a falling block (5 -> 0) is cold at every step and increasingly so
    # (fractional values: a rule test on the analytic Gi* p-values; 45 offences where 54 were
    # expected is not a significant deficit for the exact Poisson test, rightly)
    cube = _built([5.0 - 5.0 * k / 9 for k in range(10)], background=6.0)
    assert _centre_category(cube, inference="analytic", fdr="bh") == "intensifying cold spot"


def test_new_hot_spot_with_time_lag():
    # the final-step burst is in the neighbourhood of the final step only
    assert _centre_category(_built([None] * 9 + [40.0]), time_lag=1) == "new hot spot"


def test_emerging_is_pure_and_outputs_consistent():
    rng = np.random.default_rng(7)
    v = rng.poisson(2.0, size=(12, NY, NX)).astype(float)
    v[:, 0, :] = np.nan  # outside the study area
    cube = _cube(v)
    a = emerging_hotspots(cube, 250.0)
    b = emerging_hotspots(cube.copy(deep=True), 250.0)
    xr.testing.assert_identical(a, b)
    assert (a["category"].values[0] == "").all() and (a["category_code"].values[0] == -1).all()
    inside = a["category_code"].values[1:]
    assert inside.min() >= 0
    assert (a["n_hot_steps"].values[1:] == a["hot"].values[:, 1:].sum(axis=0)).all()
    # at alpha = 0.1 a hot bin is exactly a bin of Gi* class >= 1
    np.testing.assert_array_equal(a["hot"].values, a["gi_class"].values >= 1)
    np.testing.assert_array_equal(a["cold"].values, a["gi_class"].values <= -1)
    np.testing.assert_array_equal(a["final_z"].values, a["z"].values[-1])
    counts = category_counts(a)
    assert sum(counts.values()) == (NY - 1) * NX
    cells = to_cells(a)
    assert len(cells) == (NY - 1) * NX and cells.crs.to_epsg() == 27700
    assert set(cells["category"]) <= set(EMERGING_CATEGORIES)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=1, max_size=40), min_size=1, max_size=5))
def test_bh_per_step_matches_scipy(rows):
    from scipy.stats import false_discovery_control

    from hotspot.kernels.emerging import bh_rows

    width = max(len(r) for r in rows)
    p = np.full((len(rows), width), np.nan)
    for k, r in enumerate(rows):
        p[k, :len(r)] = r
    q = bh_rows(p)
    for k, r in enumerate(rows):
        np.testing.assert_allclose(q[k, :len(r)], false_discovery_control(np.array(r), method="bh"),
                                   rtol=1e-12, atol=1e-15)
        assert np.isnan(q[k, len(r):]).all()


def test_spacetime_gistar_matches_direct_formula():
    rng = np.random.default_rng(3)
    v = rng.poisson(3.0, size=(4, 6, 7)).astype(float)
    dr, dc = disk_offsets(1.0)  # self + 4 rook neighbours
    z = spacetime_gistar(v, dr, dc, 1)
    n = v.size
    mean, sd = v.mean(), v.std()
    t, i, j = 2, 3, 3  # interior bin: 5 cells x 2 steps
    s = sum(v[tt, i + a, j + b] for tt in (1, 2) for a, b in zip(dr, dc))
    w = 10
    expect = (s - mean * w) / (sd * np.sqrt((n * w - w * w) / (n - 1)))
    assert z[t, i, j] == pytest.approx(expect)
    # first step: no previous step, only the 5 spatial neighbours at t = 0
    s0 = sum(v[0, i + a, j + b] for a, b in zip(dr, dc))
    assert z[0, i, j] == pytest.approx((s0 - mean * 5) / (sd * np.sqrt((n * 5 - 25) / (n - 1))))


def test_fdr_options_order_significance():
    rng = np.random.default_rng(11)
    v = rng.poisson(2.0, size=(8, NY, NX)).astype(float)
    v[:, 5:9, 5:9] += rng.poisson(2.0, size=(8, 4, 4))
    cube = _cube(v)
    n = {f: int(emerging_hotspots(cube, 150.0, fdr=f, min_steps=8)["hot"].sum())
         for f in ("none", "bh", "bh_dependence")}
    assert n["none"] >= n["bh"] >= n["bh_dependence"]
    assert n["none"] > 0


def test_emerging_argument_errors():
    cube = _built([None] * 10)
    with pytest.raises(ArgumentError, match="distance"):
        emerging_hotspots(cube, -1)
    with pytest.raises(ArgumentError, match="time_lag"):
        emerging_hotspots(cube, 150, time_lag=-1)
    with pytest.raises(ArgumentError, match="fdr"):
        emerging_hotspots(cube, 150, fdr="holm")
    with pytest.raises(ArgumentError, match="cube"):
        emerging_hotspots(cube.transpose("y", "x", "time"), 150)
    with pytest.raises(ArgumentError, match="3 time steps"):
        emerging_hotspots(cube.isel(time=slice(0, 2)), 150)
    # Esri's minimum of 10 steps: refused with the fix named, unless lowered explicitly
    with pytest.raises(InputError, match="fewer than the 10") as err:
        emerging_hotspots(cube.isel(time=slice(0, 9)), 150)
    assert "--step" in str(err.value) and not isinstance(err.value, ArgumentError)
    assert emerging_hotspots(cube.isel(time=slice(0, 9)), 150, min_steps=9).attrs["min_steps"] == 9


# ---- CLI ------------------------------------------------------------------------------------


def test_cli_emerging(tmp_path, monkeypatch):
    import types

    import geopandas as gpd
    from shapely.geometry import box

    from hotspot import api, cli
    from hotspot.cli import main
    from hotspot.geography.areas import Areas
    from hotspot.grid.study_area import StudyArea

    rng = np.random.default_rng(5)
    n = 3000
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 16 * 7, n), unit="D")
    x = rng.uniform(358_000, 361_000, n)
    y = rng.uniform(172_000, 175_000, n)
    late = t > pd.Timestamp("2024-04-01")  # a burst in the last weeks near one corner
    x[late[:n]] = np.where(rng.random(late.sum()) < 0.6, rng.uniform(358_000, 358_500, late.sum()),
                           x[late])
    off = pd.DataFrame({"easting": x, "northing": y, "occurred_at": t, "month": t.strftime("%Y-%m"),
                        "serious_violence": rng.random(n) < 0.8})
    force = gpd.GeoDataFrame({"name": ["test"]}, geometry=[box(358_000, 172_000, 361_000, 175_000)],
                             crs="EPSG:27700")
    lsoa = gpd.GeoDataFrame({"lsoa_code": ["T01"], "lsoa_name": ["test"]}, geometry=force.geometry,
                            crs="EPSG:27700")
    study = StudyArea.from_areas(Areas(lsoa=lsoa, beat=None, la=None, force=force))
    monkeypatch.setattr(cli, "_study", lambda *a, **k: study)
    monkeypatch.setattr(api, "load_offences",
                        lambda *a, **k: types.SimpleNamespace(offences=off, quarantine=None, report={}))
    out = tmp_path / "emerging.gpkg"
    cube_path = tmp_path / "cube.nc"
    code = main(["emerging", "--embedded", str(tmp_path / "in.csv"), "--cell", "250", "--distance", "500",
                 "--out", str(out), "--cube", str(cube_path)])
    assert code == 0
    cells = gpd.read_file(out, layer="emerging")
    assert len(cells) == 12 * 12
    assert set(cells["category"]) <= set(EMERGING_CATEGORIES)
    assert cells["category"].str.contains("hot spot").any()
    assert main(["emerging", "--embedded", "in.csv", "--patterns-only", "--out", str(tmp_path / "p.gpkg")]) == 0
    only = gpd.read_file(tmp_path / "p.gpkg", layer="emerging")
    assert len(only) == (cells["category"] != "no pattern detected").sum()
    with xr.open_dataset(cube_path) as ds:
        assert float(ds["count"].sum()) == int(off["serious_violence"].sum())
    # weekly steps are refused for month-only data with exit code 2
    off.loc[:, "occurred_at"] = pd.NaT
    assert main(["emerging", "--embedded", "x.csv", "--step", "week", "--out", str(tmp_path / "b.gpkg")]) == 2
    # four monthly steps are fewer than the 10 Esri requires: exit 2, unless --min-steps lowers it
    assert main(["emerging", "--embedded", "x.csv", "--step", "month", "--out", str(tmp_path / "b.gpkg")]) == 2
    assert main(["emerging", "--embedded", "x.csv", "--step", "month", "--min-steps", "3",
                 "--out", str(tmp_path / "b.gpkg")]) == 0


@pytest.mark.slow
def test_emerging_on_embedded_extract():
    """End to end on the embedded synthetic extract (skipped when data/ has not been generated)."""
    from hotspot.paths import data_dir

    path = data_dir() / "offences_extract.csv.gz"
    if not path.exists():
        pytest.skip("embedded data set not generated (python -m hotspot.synth --out data)")
    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.cube import space_time_cube
    from hotspot.grid.spec import GridSpec

    areas = embedded_areas()
    off = load_offences(path, areas=areas).offences
    sv = off[off["serious_violence"]]
    spec = GridSpec.from_bounds(areas.force, 500)
    cube = space_time_cube(sv, spec, step="month", mask=areas.force)
    assert float(cube.sum()) + cube.attrs["masked_points"] + cube.attrs["outside_grid"] == len(sv)
    ds = emerging_hotspots(cube, 1000.0)
    counts = category_counts(ds)
    assert sum(counts.values()) == int(np.isfinite(cube.values[0]).sum())
    assert sum(v for k, v in counts.items() if "hot spot" in k) > 0

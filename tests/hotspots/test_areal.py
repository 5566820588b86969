"""Area-level Gi* and local Moran's I (libpysal + esda) on small LSOA-shaped layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from hotspot.errors import ArgumentError, InputError
from hotspot.hotspots.areal import IslandWarning, areal_gistar, local_moran
from hotspot.hotspots.gistar import gistar_arrays

X0, Y0, SIDE = 358_000.0, 172_000.0, 1000.0


def _layer(ny=7, nx=8, seed=0):
    """ny x nx square 'LSOAs' of 1 km, row 0 northern, with a violence cluster and IMD gradient."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, 2.0, (ny, nx))
    rate[1:3, 1:3] += 15.0  # hot corner (north-west)
    imd = rng.normal(20, 3, (ny, nx))
    imd[1:3, 1:3] += 20.0
    geoms, codes = [], []
    for r in range(ny):
        for c in range(nx):
            x0, y0 = X0 + c * SIDE, Y0 + (ny - 1 - r) * SIDE
            geoms.append(box(x0, y0, x0 + SIDE, y0 + SIDE))
            codes.append(f"X0100{r * nx + c:04d}")
    gdf = gpd.GeoDataFrame({"lsoa_code": codes, "sv_rate": rate.ravel(), "imd_score": imd.ravel()},
                           geometry=geoms, crs="EPSG:27700")
    return gdf, rate


def test_queen_gistar_equals_grid_gistar():
    # queen contiguity on a square lattice = distance band of sqrt(2) cells, self included
    gdf, rate = _layer()
    out = areal_gistar(gdf, "sv_rate", weights="queen", permutations=0)
    grid = gistar_arrays(rate, SIDE, SIDE * 1.4143)
    np.testing.assert_allclose(out["z"].to_numpy(), grid["z"].ravel(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(out["p"].to_numpy(), grid["p"].ravel(), rtol=0, atol=1e-8)
    assert out.loc[9, "class"] > 0  # inside the hot corner
    assert {"z", "p", "p_adjusted", "class", "class_label"} <= set(out.columns)
    assert "p_sim" not in out.columns
    assert len(out) == len(gdf) and out.crs == gdf.crs


@pytest.mark.slow  # esda compiles its Numba permutation kernel on first use
def test_distance_gistar_with_permutations():
    gdf, rate = _layer(seed=1)
    out = areal_gistar(gdf, "sv_rate", weights="distance", distance=1000.0, permutations=99, seed=4)
    grid = gistar_arrays(rate, SIDE, 1000.0)
    np.testing.assert_allclose(out["z"].to_numpy(), grid["z"].ravel(), atol=1e-8)
    assert out["p_sim"].between(0.01 - 1e-6, 0.5 + 1e-6).all()  # esda stores float32
    assert (out["p_adjusted"] >= out["p_perm"] - 1e-12).all()
    assert (out["p_perm"] >= np.minimum(1, 2 * out["p_sim"]) - 1e-6).all()
    again = areal_gistar(gdf, "sv_rate", weights="distance", distance=1000.0, permutations=99, seed=4)
    np.testing.assert_array_equal(out["p_sim"], again["p_sim"])


def test_islands_warn():
    gdf, _ = _layer(4, 4)
    far = gpd.GeoDataFrame({"lsoa_code": ["X01009999"], "sv_rate": [3.0], "imd_score": [20.0]},
                           geometry=[box(370_000, 180_000, 371_000, 181_000)], crs="EPSG:27700")
    both = gpd.GeoDataFrame(gpd.pd.concat([gdf, far], ignore_index=True), geometry="geometry",
                            crs="EPSG:27700")
    with pytest.warns(IslandWarning, match="1 of 17 areas"):
        out = areal_gistar(both, "sv_rate", permutations=0)
    assert np.isfinite(out["z"]).all()


def test_local_moran_univariate_and_bivariate():
    gdf, _ = _layer(seed=2)
    uni = local_moran(gdf, "sv_rate", permutations=199, seed=1, fdr="none")
    assert set(uni["lisa"]) <= {"HH", "LL", "HL", "LH", "ns"}
    assert uni.loc[9, "lisa"] == "HH" and uni.loc[9, "I"] > 0
    sig = uni["p_adjusted"] <= 0.05
    assert (uni.loc[~sig, "lisa"] == "ns").all()
    bv = local_moran(gdf, "sv_rate", other="imd_score", permutations=199, seed=1, fdr="none")
    assert bv.loc[9, "quadrant"] == 1  # high violence surrounded by high deprivation
    assert not np.allclose(bv["I"], uni["I"])


def test_errors_name_the_problem():
    gdf, _ = _layer(3, 3)
    with pytest.raises(ArgumentError, match="column"):
        areal_gistar(gdf, "nope")
    with pytest.raises(ArgumentError, match="EPSG:27700"):
        areal_gistar(gdf.to_crs("EPSG:4326"), "sv_rate")
    with pytest.raises(ArgumentError, match="distance"):
        areal_gistar(gdf, "sv_rate", weights="distance")
    bad = gdf.copy()
    bad.loc[2, "sv_rate"] = np.nan
    with pytest.raises(InputError, match="sv_rate"):
        areal_gistar(bad, "sv_rate")
    with pytest.raises(ArgumentError, match="other"):
        local_moran(gdf, "sv_rate", other="missing")

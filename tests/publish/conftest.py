"""Small, real-shaped fixtures for the publish stage (built here; no embedded data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

X0, Y0 = 356000.0, 171000.0  # central Bristol, EPSG:27700
EVIL = "<img src=x onerror=alert(1)><script>window.pwned=1</script>${alert(2)}`{{7*7}}"


def _squares(n, size, x0=X0, y0=Y0):
    from shapely.geometry import box

    return [box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size)
            for j in range(n) for i in range(n)]


@pytest.fixture(scope="session")
def areas():
    import geopandas as gpd

    from hotspot.geography.areas import Areas

    lsoa_geoms = _squares(4, 1000.0)
    lsoa = gpd.GeoDataFrame({
        "lsoa_code": [f"X0100{i:04d}" for i in range(16)],
        "lsoa_name": [f"Bristol {i:03d}A" for i in range(15)] + [EVIL],
        "beat_code": [f"XB00000{(i % 4) // 2 + 2 * (i // 8)}" for i in range(16)],
        "la_code": "X06000001", "population": 1500, "households": 650,
    }, geometry=lsoa_geoms, crs="EPSG:27700")
    beat = lsoa.dissolve("beat_code").reset_index()[["beat_code", "geometry"]]
    beat["beat_name"] = ["Bristol Central", "Redcliffe", "St Pauls", EVIL][: len(beat)]
    beat["la_code"] = "X06000001"
    la = gpd.GeoDataFrame({"la_code": ["X06000001"], "la_name": ["Bristol, City of"],
                           "population": [24000], "households": [10400]},
                          geometry=[lsoa.union_all()], crs="EPSG:27700")
    force = gpd.GeoDataFrame({"name": ["Avon and Somerset"]}, geometry=[lsoa.union_all()], crs="EPSG:27700")
    return Areas(lsoa=lsoa, beat=beat, la=la, force=force, source="fixture")


@pytest.fixture(scope="session")
def lsoa_stats(areas):
    rng = np.random.default_rng(1)
    n = len(areas.lsoa)
    return pd.DataFrame({"lsoa_code": areas.lsoa["lsoa_code"], "imd_decile": rng.integers(1, 11, n),
                         "uc_rate": rng.uniform(5, 40, n).round(1), "sv_rate": rng.uniform(0, 12, n).round(2)})


@pytest.fixture(scope="session")
def gistar_cells():
    import geopandas as gpd

    from hotspot.schema import GI_CLASSES

    geoms = _squares(16, 250.0)
    rng = np.random.default_rng(2)
    cls = rng.choice([-3, -2, -1, 0, 0, 0, 1, 2, 3], len(geoms))
    return gpd.GeoDataFrame({"count": rng.integers(0, 30, len(geoms)).astype(float),
                             "z": cls * 1.2 + rng.normal(0, .1, len(geoms)), "p": rng.uniform(0, .1, len(geoms)),
                             "p_adjusted": rng.uniform(0, .2, len(geoms)), "class": cls,
                             "class_label": [GI_CLASSES[int(c)] for c in cls]},
                            geometry=geoms, crs="EPSG:27700")


@pytest.fixture(scope="session")
def kde_surface():
    import xarray as xr

    cell = 100.0
    x = X0 + cell / 2 + cell * np.arange(40)
    y = (Y0 + cell / 2 + cell * np.arange(40))[::-1]
    xx, yy = np.meshgrid(x, y)
    z = np.exp(-((xx - X0 - 1500) ** 2 + (yy - Y0 - 2500) ** 2) / (2 * 400.0 ** 2)) * 80
    return xr.DataArray(z, dims=("y", "x"), coords={"x": x, "y": y},
                        attrs={"crs": "EPSG:27700", "cell": cell, "units": "per_km2", "bandwidth": 400.0})


@pytest.fixture(scope="session")
def emerging_cells(gistar_cells):
    from hotspot.schema import EMERGING_CATEGORIES

    e = gistar_cells[["geometry"]].copy()
    e["category"] = [EMERGING_CATEGORIES[i % len(EMERGING_CATEGORIES)] for i in range(len(e))]
    return e


@pytest.fixture(scope="session")
def forecast_units(areas):
    f = areas.beat[["beat_code", "beat_name", "geometry"]].rename(columns={"beat_name": "name"}).copy()
    f["expected"] = [4.0, 9.5, 2.25, 6.0][: len(f)]
    f["q10"] = f["expected"] * 0.5
    f["q90"] = f["expected"] * 1.8
    return f


@pytest.fixture(scope="session")
def top_hotspots():
    return pd.DataFrame({
        "rank": [1, 2, 3], "name": [EVIL, "Broadmead", "Stokes Croft"], "count": [31, 22, 17],
        "count_last": [25, 24, 9], "trend": ["up", "down", "up"],
        "peak_window": ["Fri 22:00-01:00", "Sat 21:00-02:00", "Sat 23:00-03:00"],
        "main_types": ["Violence and sexual offences; Robbery", "Public order", EVIL],
        "imd_decile": [1, 3, 2], "x": [X0 + 1500, X0 + 2600, X0 + 700], "y": [Y0 + 2500, Y0 + 900, Y0 + 3300],
    })

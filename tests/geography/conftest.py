"""Small real-shaped boundary fixtures: a 2 x 2 block of 1 km LSOAs in central Bristol (BNG)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from hotspot.geography.areas import Areas

X0, Y0 = 358000.0, 172000.0  # Bristol city centre, metres EPSG:27700


@pytest.fixture
def areas() -> Areas:
    cells = [  # code, beat, la, minx, miny
        ("X01000004", "XB000002", "X06000001", X0 + 1000, Y0 + 1000),
        ("X01000001", "XB000001", "X06000001", X0, Y0),
        ("X01000002", "XB000001", "X06000001", X0 + 1000, Y0),
        ("X01000003", "XB000002", "X06000001", X0, Y0 + 1000),
    ]
    lsoa = gpd.GeoDataFrame(
        {"lsoa_code": [c[0] for c in cells], "lsoa_name": [f"Bristol 00{i}A" for i in range(4)],
         "beat_code": [c[1] for c in cells], "la_code": [c[2] for c in cells],
         "population": [1500, 1600, 1700, 1800]},
        geometry=[box(c[3], c[4], c[3] + 1000, c[4] + 1000) for c in cells], crs="EPSG:27700",
    ).sort_values("lsoa_code").reset_index(drop=True)
    beat = lsoa.dissolve("beat_code", as_index=False)[["beat_code", "geometry"]]
    la = lsoa.dissolve("la_code", as_index=False)[["la_code", "geometry"]]
    la["la_name"] = "Bristol, City of"
    force = gpd.GeoDataFrame({"name": ["test"]}, geometry=[la.union_all()], crs="EPSG:27700")
    return Areas(lsoa=lsoa, beat=beat, la=la, force=force, source="fixture")

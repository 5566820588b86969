"""read_offences feeds geography.geocode.load_offences: counts reconcile end to end."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from ingest_fixtures import extract_row, policeuk_row
from shapely.geometry import box

from hotspot.crs import to_wgs84
from hotspot.geography.areas import Areas
from hotspot.geography.geocode import load_offences

X0, Y0 = 358000.0, 172000.0  # central Bristol, BNG metres


@pytest.fixture
def areas() -> Areas:
    lsoa = gpd.GeoDataFrame({"lsoa_code": ["X01000001", "X01000002"], "lsoa_name": ["Bristol 001A", "Bristol 001B"],
                             "beat_code": ["XB000001", "XB000001"], "la_code": ["X06000001", "X06000001"],
                             "population": [1500, 1600]},
                            geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                            crs="EPSG:27700")
    beat = lsoa.dissolve("beat_code", as_index=False)[["beat_code", "geometry"]]
    la = lsoa.dissolve("la_code", as_index=False)[["la_code", "geometry"]]
    force = gpd.GeoDataFrame({"name": ["test"]}, geometry=[la.union_all()], crs="EPSG:27700")
    return Areas(lsoa=lsoa, beat=beat, la=la, force=force, source="fixture")


def test_load_offences_with_extract_and_policeuk(areas, write_extract, write_policeuk):
    lon, lat = to_wgs84([X0 + 1500], [Y0 + 500])
    e = write_extract([
        extract_row(id="A", easting=str(X0 + 500), northing=str(Y0 + 500)),
        extract_row(id="B", easting="", northing="", postcode="BS1 4DJ"),
        extract_row(id="C", easting="", northing="", postcode="ZZ9 9ZZ"),
        extract_row(id="D", easting=str(X0 + 50000), northing=str(Y0)),
        extract_row(id="E", occurred_at="not a date"),
    ])
    p = write_policeuk([policeuk_row(crime_id="P1", lon=f"{lon[0]:.6f}", lat=f"{lat[0]:.6f}"),
                        policeuk_row(crime_id="P2", lon="", lat="")])
    lookup = pd.DataFrame({"easting": [X0 + 1200.0], "northing": [Y0 + 300.0]},
                          index=pd.Index(["BS14DJ"], name="postcode_key"))
    res = load_offences([e, p], areas=areas, postcodes=lookup, now="2021-12-31")
    assert list(res.offences["offence_id"]) == ["A", "B", "P1"]
    assert list(res.offences["lsoa_code"]) == ["X01000001", "X01000002", "X01000002"]
    assert list(res.offences["geocode_method"]) == ["within", "postcode", "within"]
    assert sorted(res.quarantine["reason"]) == ["missing_coordinates", "outside_study_area",
                                                "unknown_postcode", "unparseable_date"]
    t = res.report["totals"]
    assert t["rows_read"] == 7 and t["accepted"] == 3 and t["quarantined"] == 4
    assert res.report["files"][str(e)]["by_reason"] == {"outside_study_area": 1, "unknown_postcode": 1,
                                                        "unparseable_date": 1}

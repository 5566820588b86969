import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotspot.geography.geocode import geocode, locate, normalise_postcode
from tests.geography.conftest import X0, Y0


def _offences(points, postcodes=None):
    n = len(points)
    return pd.DataFrame({
        "offence_id": [f"id{i}" for i in range(n)],
        "easting": [p[0] for p in points], "northing": [p[1] for p in points],
        "postcode": postcodes if postcodes is not None else [None] * n,
        "source_file": "f.csv", "source_line": np.arange(2, n + 2),
    })


def test_points_inside_take_their_lsoa_beat_and_la(areas):
    acc, q = geocode(_offences([(X0 + 500, Y0 + 500), (X0 + 1500, Y0 + 1500)]), areas)
    assert list(acc["lsoa_code"]) == ["X01000001", "X01000004"]
    assert list(acc["beat_code"]) == ["XB000001", "XB000002"]
    assert list(acc["la_code"]) == ["X06000001"] * 2
    assert list(acc["geocode_method"]) == ["within", "within"]
    assert acc.crs.to_epsg() == 27700 and len(q) == 0


def test_shared_boundary_and_corner_are_deterministic(areas):
    # on the edge between 001 and 002; on the corner of all four: the smallest code wins
    pts = [(X0 + 1000, Y0 + 500), (X0 + 1000, Y0 + 1000), (X0 + 500, Y0 + 1000)]
    for _ in range(3):
        acc, _ = geocode(_offences(pts), areas)
        assert list(acc["lsoa_code"]) == ["X01000001", "X01000001", "X01000001"]
    acc, _ = geocode(_offences([(X0 + 1500, Y0 + 1000)]), areas)
    assert acc["lsoa_code"].iloc[0] == "X01000002"


def test_tolerance_takes_nearest_then_quarantines(areas):
    pts = [(X0 - 30, Y0 + 500), (X0 - 80, Y0 + 500), (X0 + 2030, Y0 + 1900)]
    acc, q = geocode(_offences(pts), areas, tolerance=50)
    assert list(acc["lsoa_code"]) == ["X01000001", "X01000004"]
    assert list(acc["geocode_method"]) == ["nearest", "nearest"]
    assert list(q["reason"]) == ["outside_study_area"]
    assert q["source_line"].iloc[0] == 3 and "50 m" in q["detail"].iloc[0]
    acc, q = geocode(_offences(pts), areas, tolerance=100)
    assert len(acc) == 3 and len(q) == 0
    acc, q = geocode(_offences(pts), areas, tolerance=0)
    assert len(acc) == 0 and len(q) == 3


def test_postcode_fallback_and_its_failures(areas):
    lookup = pd.DataFrame({"easting": [X0 + 1500.0], "northing": [Y0 + 200.0]},
                          index=pd.Index(["BS14DJ"], name="postcode_key"))
    df = _offences([(np.nan, np.nan)] * 3, postcodes=["bs1 4dj", "BS9 9ZZ", None])
    acc, q = geocode(df, areas, postcodes=lookup)
    assert list(acc["lsoa_code"]) == ["X01000002"] and list(acc["geocode_method"]) == ["postcode"]
    assert acc["easting"].iloc[0] == X0 + 1500
    assert list(q["reason"]) == ["unknown_postcode", "missing_coordinates"]
    assert "BS9 9ZZ" in q["detail"].iloc[0]


def test_normalise_postcode():
    s = normalise_postcode(pd.Series([" bs1  4dj", "", None, "TA1 1AA"]))
    assert s.iloc[0] == "BS14DJ" and pd.isna(s.iloc[1]) and pd.isna(s.iloc[2]) and s.iloc[3] == "TA11AA"


def test_beat_and_la_from_separate_layers_when_not_nested(areas):
    from hotspot.geography.areas import Areas

    flat = Areas(lsoa=areas.lsoa.drop(columns=["beat_code", "la_code"]), beat=areas.beat, la=areas.la,
                 force=areas.force)
    acc, _ = geocode(_offences([(X0 + 500, Y0 + 1500)]), flat)
    assert acc["beat_code"].iloc[0] == "XB000002" and acc["la_code"].iloc[0] == "X06000001"


def test_locate_rejects_bad_tolerance(areas):
    from hotspot.errors import ArgumentError

    with pytest.raises(ArgumentError, match="tolerance"):
        locate(np.array([1.0]), np.array([1.0]), areas.lsoa.geometry, tolerance=-1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.floats(X0 - 300, X0 + 2300), st.floats(Y0 - 300, Y0 + 2300)),
                min_size=1, max_size=60),
       st.floats(0, 200))
def test_every_point_is_accepted_or_quarantined_and_placed_correctly(areas, pts, tol):
    acc, q = geocode(_offences(pts), areas, tolerance=tol)
    assert len(acc) + len(q) == len(pts)
    assert set(acc["offence_id"]).isdisjoint(set(q["offence_id"]))
    poly = areas.lsoa.set_index("lsoa_code").geometry
    for code, geom, method in zip(acc["lsoa_code"], acc.geometry, acc["geocode_method"]):
        d = poly[code].distance(geom)
        assert d <= (tol + 1e-6 if method == "nearest" else 1e-9)
    for x, y in zip(q["easting"].astype(float), q["northing"].astype(float)):
        assert areas.force.geometry.iloc[0].distance(__import__("shapely").Point(x, y)) > tol - 1e-6

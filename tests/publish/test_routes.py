"""Walking routes: selection, ordering, timing, GPX/GeoJSON/table outputs, CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.geography.crs import to_bng, to_wgs84
from hotspot.publish import routes

NS = {"g": routes.GPX_NS}
X0, Y0 = 358000.0, 173000.0
LON0, LAT0 = (float(v[0]) for v in to_wgs84(np.array([X0]), np.array([Y0])))
T0 = dt.datetime(2026, 11, 27, 18, 0)


def _square(side=500.0):
    """Four corners of a square, listed in a crossing order; start at the first corner."""
    pts = [(X0 + side, Y0), (X0, Y0 + side), (X0 + side, Y0 + side), (X0 + 2 * side, Y0 + side)]
    return pd.DataFrame({"x": [p[0] for p in pts], "y": [p[1] for p in pts],
                         "expected": [4.0, 3.0, 2.0, 1.0], "name": list("ABCD")})


def test_window_parsing():
    w = routes._parse_window("Fri 18:00-23:00")
    assert (w.weekday, w.start, w.end, w.hours) == (4, dt.time(18), dt.time(23), 5.0)
    assert routes._parse_window("sat 22:00-02:00").hours == 4.0
    assert w.next_start(dt.datetime(2026, 11, 25, 9)) == dt.datetime(2026, 11, 27, 18)
    with pytest.raises(Exception, match="window"):
        routes._parse_window("Funday 18:00")


def test_two_opt_finds_the_best_loop_on_a_known_instance():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (8, 2))
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    best = min(routes.tour_length(p, dist) for p in itertools.permutations(range(1, 8)))
    got = routes.tour_length(routes.order_stops(range(1, 8), dist), dist)
    assert got <= best * 1.05  # 2-opt is a heuristic; on 7 points it is (near) optimal
    assert got >= best - 1e-9


def test_square_loop_is_the_perimeter():
    cand = _square()
    r = routes.plan_route(cand, (LAT0, LON0), max_walk_m=10_000, detour=1.0, start_time=T0, dwell_min=0)
    assert len(r.stops) == 4
    # start at (X0,Y0); loop visits in perimeter order, no crossing: length = 2*500*sqrt2 + 2*500 + ... check vs brute force
    xy = np.vstack([[r.start_xy], cand[["x", "y"]].to_numpy()])
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    best = min(routes.tour_length(p, dist) for p in itertools.permutations(range(1, 5)))
    assert r.total_m == pytest.approx(best, rel=1e-6)


def test_greedy_selection_respects_max_walk_and_priority():
    cand = pd.DataFrame({"x": [X0 + 300, X0 + 4000, X0 - 200], "y": [Y0, Y0, Y0 + 100],
                         "expected": [10.0, 9.0, 1.0], "name": ["near", "far", "close-low"]})
    r = routes.plan_route(cand, (LAT0, LON0), max_walk_m=2000, detour=1.3, start_time=T0)
    assert list(r.stops["name"]) and "far" not in set(r.stops["name"])
    assert r.total_m <= 2000 + 1e-6
    assert set(r.skipped["name"]) == {"far"}
    assert r.stops["expected"].max() == 10.0
    r1 = routes.plan_route(cand, (LAT0, LON0), max_walk_m=20_000, stops=1, start_time=T0)
    assert list(r1.stops["name"]) == ["near"]


def test_arrival_times():
    cand = pd.DataFrame({"x": [X0 + 450.0], "y": [Y0], "expected": [3.0], "name": ["one"]})
    r = routes.plan_route(cand, (LAT0, LON0), detour=1.0, speed_kmh=4.5, dwell_min=15, start_time=T0)
    leg = r.stops["leg_m"].iloc[0]
    assert r.stops["arrival"].iloc[0] == T0 + dt.timedelta(seconds=leg / (4500 / 3600))
    assert r.stops["departure"].iloc[0] - r.stops["arrival"].iloc[0] == dt.timedelta(minutes=15)
    assert r.end_time == r.stops["departure"].iloc[0] + dt.timedelta(seconds=leg / (4500 / 3600))
    assert r.total_m == pytest.approx(2 * leg)


def test_graph_shortest_paths_change_the_order():
    nx = pytest.importorskip("networkx")
    # a street graph where the direct line to B is blocked: path goes round via C
    g = nx.Graph()
    nodes = {"S": (X0, Y0), "A": (X0 + 1000, Y0), "B": (X0, Y0 + 1000), "C": (X0 + 1000, Y0 + 1000)}
    for n, (x, y) in nodes.items():
        g.add_node(n, x=x, y=y)
    g.add_edge("S", "A", length=1000)
    g.add_edge("A", "C", length=1000)
    g.add_edge("C", "B", length=1000)
    cand = pd.DataFrame({"x": [nodes["B"][0], nodes["A"][0]], "y": [nodes["B"][1], nodes["A"][1]],
                         "expected": [5.0, 1.0], "name": ["B", "A"]})
    r = routes.plan_route(cand, (LAT0, LON0), max_walk_m=10_000, graph=g, start_time=T0)
    assert r.total_m == pytest.approx(6000, abs=1.0)  # S-A-C-B and back the same way
    assert list(r.stops["name"]) == ["A", "B"]
    assert len(r.legs[1]) >= 3  # the leg A->B follows the street through C


def _check_gpx(data: bytes) -> ET.Element:
    """Structural GPX 1.1 check mirroring the XSD sequences (no validator is installed): namespace,
    version and creator attributes, gpx/wpt/rte/trk child order, lat/lon ranges, UTC xsd:dateTime."""
    root = ET.fromstring(data)
    assert root.tag == f"{{{routes.GPX_NS}}}gpx"
    assert root.get("version") == "1.1" and root.get("creator")
    order = ["metadata", "wpt", "rte", "trk", "extensions"]
    seen = [c.tag.split("}")[1] for c in root]
    assert seen == sorted(seen, key=order.index), seen
    for p in root.iter():
        tag = p.tag.split("}")[1]
        if tag in ("wpt", "rtept", "trkpt"):
            assert -90 <= float(p.get("lat")) <= 90 and -180 <= float(p.get("lon")) < 180
            kids = [c.tag.split("}")[1] for c in p]
            wpt_order = ["ele", "time", "magvar", "geoidheight", "name", "cmt", "desc"]
            assert kids == sorted(kids, key=wpt_order.index)
        if tag == "time":
            assert p.text.endswith("Z")  # GPX times are UTC
            dt.datetime.fromisoformat(p.text.replace("Z", "+00:00"))
    return root


def test_gpx_geojson_and_table(tmp_path):
    r = routes.plan_route(_square(), (LAT0, LON0), max_walk_m=10_000, start_time=T0)
    path = routes.write_gpx(r, tmp_path / "r.gpx")
    root = _check_gpx(path.read_bytes())
    assert len(root.findall("g:wpt", NS)) == 4
    assert len(root.findall("g:rte/g:rtept", NS)) == 6  # start + 4 + finish
    assert [c.tag.split("}")[1] for c in root.find("g:rte", NS)][0] == "name"  # name before rtept
    # 18:00 on 27 Nov (GMT) is 18:00Z
    assert root.find("g:rte/g:rtept/g:time", NS).text == "2026-11-27T18:00:00Z"
    trk = root.findall("g:trk/g:trkseg/g:trkpt", NS)
    lon, lat = float(trk[0].get("lon")), float(trk[0].get("lat"))
    x, y = to_bng(np.array([lon]), np.array([lat]))
    assert abs(x[0] - X0) < 1 and abs(y[0] - Y0) < 1
    gj = json.loads(routes.write_geojson(r, tmp_path / "r.geojson").read_text())
    assert [f["geometry"]["type"] for f in gj["features"]] == ["LineString"] + ["Point"] * 4
    tab = pd.read_csv(routes.write_table(r, tmp_path / "r.csv"))
    assert list(tab["stop"]) == [1, 2, 3, 4]
    page = routes.write_table(r, tmp_path / "r.html").read_text()
    assert page.count("OFFICIAL-SENSITIVE") == 2 and "<table>" in page


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000), st.floats(0.1, 50)),
                min_size=1, max_size=12),
       st.floats(500, 20_000), st.integers(1, 8))
def test_route_properties(points, max_walk, n_stops):
    cand = pd.DataFrame({"x": [X0 + p[0] for p in points], "y": [Y0 + p[1] for p in points],
                         "expected": [p[2] for p in points]})
    r = routes.plan_route(cand, (LAT0, LON0), max_walk_m=max_walk, stops=n_stops, start_time=T0)
    assert r.total_m <= max_walk + 1e-6
    assert len(r.stops) <= n_stops
    assert len(r.stops) + len(r.skipped) == len(cand)
    assert r.stops["arrival"].is_monotonic_increasing
    if len(r.stops):
        assert r.stops["cumulative_m"].iloc[-1] <= r.total_m + 1e-6
        # the highest-expected candidate reachable alone is always taken first
        first_ok = cand.sort_values("expected", ascending=False, kind="mergesort").iloc[0]
        d = 2 * 1.3 * np.hypot(first_ok["x"] - r.start_xy[0], first_ok["y"] - r.start_xy[1])
        if d <= max_walk:
            assert first_ok["expected"] in set(r.stops["expected"])


def test_bad_arguments():
    from hotspot.errors import ArgumentError

    cand = _square()
    with pytest.raises(ArgumentError, match="start"):
        routes.plan_route(cand, (-2.6, 151.4))
    with pytest.raises(ArgumentError, match="detour"):
        routes.plan_route(cand, (LAT0, LON0), detour=0.5)
    with pytest.raises(ArgumentError, match="candidates"):
        routes.plan_route(cand.drop(columns="expected"), (LAT0, LON0))


@pytest.mark.parametrize("kind", ["point", "polygon"])
def test_cli_route(tmp_path, kind):
    import geopandas as gpd
    from shapely.geometry import Point

    from hotspot.cli import main

    cand = _square()
    geom = [Point(x, y) if kind == "point" else Point(x, y).buffer(100) for x, y in zip(cand.x, cand.y)]
    col = "expected" if kind == "point" else "count"
    gdf = gpd.GeoDataFrame({col: cand["expected"], "name": cand["name"]}, geometry=geom, crs="EPSG:27700")
    src = tmp_path / f"{kind}.gpkg"
    gdf.to_file(src, engine="pyogrio")
    out = tmp_path / "route.gpx"
    code = main(["route", str(src), "--start", f"{LAT0},{LON0}", "--window", "Fri 18:00-23:00",
                 "--max-walk", "5km", "--stops", "3", "--after", "2026-11-25", "--out", str(out)])
    assert code == 0
    root = _check_gpx(out.read_bytes())
    assert len(root.findall("g:wpt", NS)) == 3
    assert "Fri" in pd.read_csv(out.with_suffix(".csv"))["arrive"].iloc[0]
    assert out.with_suffix(".geojson").exists() and out.with_suffix(".html").exists()
    assert main(["route", str(src), "--start", "x", "--window", "Fri 18:00-23:00", "--out", str(out)]) == 2

"""Walking routes: selection, ordering, timing, GPX/GeoJSON/table outputs, CLI."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EVIL
from hotspot.crs import to_bng, to_wgs84
from hotspot.publish import routes

NS = {"g": routes.GPX_NS}
GPX_XSD = Path(__file__).parent / "data" / "gpx11.xsd"  # see data/README.md for its source
X0, Y0 = 358000.0, 173000.0
LON0, LAT0 = (float(v[0]) for v in to_wgs84(np.array([X0]), np.array([Y0])))
T0 = dt.datetime(2026, 11, 27, 18, 0)


def _square(side=500.0):
    """Four corners of a square, listed in a crossing order; start at the first corner."""
    pts = [(X0 + side, Y0), (X0, Y0 + side), (X0 + side, Y0 + side), (X0 + 2 * side, Y0 + side)]
    return pd.DataFrame({"x": [p[0] for p in pts], "y": [p[1] for p in pts],
                         "expected": [4.0, 3.0, 2.0, 1.0], "name": list("ABCD")})


def test_window_parsing():
    w = routes.parse_window("Fri 18:00-23:00")
    assert (w.weekday, w.start, w.end, w.hours) == (4, dt.time(18), dt.time(23), 5.0)
    assert routes.parse_window("sat 22:00-02:00").hours == 4.0
    assert w.next_start(dt.datetime(2026, 11, 25, 9)) == dt.datetime(2026, 11, 27, 18)
    with pytest.raises(Exception, match="window|Funday"):
        routes.parse_window("Funday 18:00")


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


@pytest.fixture(scope="module")
def gpx_schema():
    """The official GPX 1.1 XML Schema, loaded with :mod:`xmlschema` (the ``test`` extra)."""
    import xmlschema

    return xmlschema.XMLSchema(GPX_XSD)


def _gpx_errors(schema, data: bytes) -> list[str]:
    """Reasons ``data`` is not a valid GPX 1.1 document (empty when it is)."""
    return [f"{e.path}: {e.reason}" for e in schema.iter_errors(data.decode("utf-8"))]


def _check_gpx(data: bytes) -> ET.Element:
    """Validate against the GPX 1.1 XSD, then check what the schema allows but we promise: a
    non-empty creator and UTC (``...Z``) times."""
    import xmlschema

    assert not _gpx_errors(xmlschema.XMLSchema(GPX_XSD), data)
    root = ET.fromstring(data)
    assert root.tag == f"{{{routes.GPX_NS}}}gpx" and root.get("creator")
    for p in root.iter(f"{{{routes.GPX_NS}}}time"):
        assert p.text.endswith("Z")  # GPX times are UTC; xsd:dateTime would also take local times
        dt.datetime.fromisoformat(p.text.replace("Z", "+00:00"))
    return root


def test_xsd_is_the_gpx_1_1_schema(gpx_schema):
    assert gpx_schema.target_namespace == routes.GPX_NS
    assert {"gpxType", "metadataType", "wptType", "rteType", "trkType", "extensionsType", "trksegType",
            "copyrightType", "linkType", "emailType", "personType", "ptType", "ptsegType", "boundsType",
            "latitudeType", "longitudeType", "degreesType", "fixType", "dgpsStationType"} <= set(gpx_schema.types)
    assert list(gpx_schema.elements) == ["gpx"]


@pytest.mark.parametrize("case", ["square", "one stop", "no stop", "street graph", "awkward names"])
def test_gpx_is_valid_against_the_gpx_1_1_schema(gpx_schema, case):
    cand = _square()
    kw = {"max_walk_m": 10_000}
    if case == "one stop":
        kw["stops"] = 1
    elif case == "no stop":
        cand = cand.assign(x=cand["x"] + 50_000)  # nothing within reach: the walk is start -> start
    elif case == "street graph":
        nx = pytest.importorskip("networkx")
        g = nx.grid_2d_graph(5, 5)
        nx.set_node_attributes(g, {n: X0 + 250 * n[0] for n in g}, "x")
        nx.set_node_attributes(g, {n: Y0 + 250 * n[1] for n in g}, "y")
        kw["graph"] = g
    elif case == "awkward names":
        cand["name"] = [EVIL, "Caf\u00e9 & \"bar\"", "tab\there\x0bvt\x00nul", "ctrl\x1b\x7f"]
    r = routes.plan_route(cand, (LAT0, LON0), start_time=T0, **kw)
    data = routes.route_to_gpx(r, name="Route <b>&</b>\x0c")
    assert not _gpx_errors(gpx_schema, data)
    root = _check_gpx(data)
    n = {"square": 4, "one stop": 1, "no stop": 0, "street graph": 4, "awkward names": 4}[case]
    assert len(root.findall("g:wpt", NS)) == n
    assert len(root.findall("g:rte/g:rtept", NS)) == n + 2
    if case == "awkward names":
        names = [e.text for e in root.findall("g:wpt/g:name", NS)]
        assert f"{list(r.stops['name']).index(EVIL) + 1}. {EVIL}" in names  # text kept, escaped by XML
        assert any(t.endswith(". tab\therevtnul") for t in names)  # XML-illegal characters dropped


_GOOD_GPX = f"""<?xml version="1.0" encoding="UTF-8"?>
<gpx xmlns="{routes.GPX_NS}" version="1.1" creator="test">
  <metadata><name>ok</name><time>2026-11-27T18:00:00Z</time></metadata>
  <wpt lat="51.45" lon="-2.59"><time>2026-11-27T18:10:00Z</time><name>1. A</name></wpt>
  <rte><name>r</name><rtept lat="51.45" lon="-2.59"/></rte>
  <trk><name>t</name><trkseg><trkpt lat="51.45" lon="-2.59"/></trkseg></trk>
</gpx>"""


@pytest.mark.parametrize("broken, where", [
    ("wpt after rte", "/gpx:"), ("lat 95", "/gpx/wpt:"), ("lon 180", "/gpx/trk/trkseg/trkpt:"),
    ("no version", "/gpx:"), ("version 1.0", "/gpx:"), ("name before time", "/gpx/wpt:"),
    ("local date", "/gpx/wpt/time:"), ("unknown element", "/gpx/rte:")])
def test_schema_rejects_broken_gpx(gpx_schema, broken, where):
    assert not _gpx_errors(gpx_schema, _GOOD_GPX.encode())
    wpt = '<wpt lat="51.45" lon="-2.59"><time>2026-11-27T18:10:00Z</time><name>1. A</name></wpt>'
    bad = {
        "wpt after rte": _GOOD_GPX.replace(f"  {wpt}\n", "").replace("</rte>", f"</rte>{wpt}"),
        "lat 95": _GOOD_GPX.replace('wpt lat="51.45"', 'wpt lat="95.0"'),
        "lon 180": _GOOD_GPX.replace('trkpt lat="51.45" lon="-2.59"', 'trkpt lat="51.45" lon="180"'),
        "no version": _GOOD_GPX.replace(' version="1.1"', ""),
        "version 1.0": _GOOD_GPX.replace('version="1.1"', 'version="1.0"'),
        "name before time": _GOOD_GPX.replace("<time>2026-11-27T18:10:00Z</time><name>1. A</name>",
                                              "<name>1. A</name><time>2026-11-27T18:10:00Z</time>"),
        "local date": _GOOD_GPX.replace("2026-11-27T18:10:00Z", "27/11/2026 18:10"),
        "unknown element": _GOOD_GPX.replace("<name>r</name>", "<name>r</name><speed>3</speed>"),
    }[broken]
    assert bad != _GOOD_GPX
    errors = _gpx_errors(gpx_schema, bad.encode())
    assert errors and errors[0].startswith(where), errors


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


@pytest.mark.parametrize("graph", [False, True])
def test_route_from_geojson_round_trip(tmp_path, graph):
    kw = {}
    if graph:
        nx = pytest.importorskip("networkx")
        g = nx.grid_2d_graph(5, 5)  # legs follow the streets: several vertices per leg
        nx.set_node_attributes(g, {n: X0 + 250 * n[0] for n in g}, "x")
        nx.set_node_attributes(g, {n: Y0 + 250 * n[1] for n in g}, "y")
        kw["graph"] = g
    r = routes.plan_route(_square(), (LAT0, LON0), max_walk_m=10_000, start_time=T0, **kw)
    back = routes.route_from_geojson(routes.write_geojson(r, tmp_path / "r.geojson"))
    assert list(back.stops["order"]) == list(r.stops["order"])
    assert list(back.stops["name"]) == list(r.stops["name"])
    np.testing.assert_allclose(back.stops[["lon", "lat"]], r.stops[["lon", "lat"]], atol=1e-6, rtol=0)
    np.testing.assert_allclose(back.stops[["x", "y"]], r.stops[["x", "y"]], atol=0.05, rtol=0)
    assert list(back.stops["arrival"]) == list(r.stops["arrival"])
    assert list(back.stops["departure"]) == list(r.stops["departure"])
    assert (back.start_time, back.end_time) == (r.start_time, r.end_time)
    assert back.total_m == pytest.approx(r.total_m, abs=0.05)
    assert len(back.legs) == len(r.legs)
    for got, want in zip(back.legs, r.legs):
        np.testing.assert_allclose(got, want, atol=0.05, rtol=0)  # metres; 7 decimal degrees ~ 1 cm
    assert np.hypot(*np.subtract(back.start_xy, r.start_xy)) < 0.05
    pd.testing.assert_frame_equal(routes.route_table(back), routes.route_table(r), check_dtype=False)


def test_route_from_geojson_without_leg_vertices(tmp_path):
    """Files written before ``leg_vertices`` and ``leg_m`` were stored still give the same loop."""
    r = routes.plan_route(_square(), (LAT0, LON0), max_walk_m=10_000, start_time=T0)
    gj = routes.route_geojson(r)
    for f in gj["features"]:
        for key in ("leg_vertices", "leg_m", "cumulative_m"):
            f["properties"].pop(key, None)
    (tmp_path / "old.geojson").write_text(json.dumps(gj))
    back = routes.route_from_geojson(tmp_path / "old.geojson")
    assert [len(leg) for leg in back.legs] == [len(leg) for leg in r.legs]
    np.testing.assert_allclose(np.vstack(back.legs), np.vstack(r.legs), atol=0.05, rtol=0)
    assert back.stops["leg_m"].isna().all() and list(back.stops["name"]) == list(r.stops["name"])


def test_route_from_geojson_bad_input(tmp_path):
    from hotspot.errors import InputError

    with pytest.raises(InputError, match="not found"):
        routes.route_from_geojson(tmp_path / "missing.geojson")
    (tmp_path / "a.geojson").write_text("{not json")
    with pytest.raises(InputError, match="GeoJSON"):
        routes.route_from_geojson(tmp_path / "a.geojson")
    (tmp_path / "b.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(InputError, match="route line"):
        routes.route_from_geojson(tmp_path / "b.geojson")


def test_rebuilt_route_draws_on_a_folium_map(tmp_path):
    import folium

    cand = _square()
    cand["name"] = [EVIL, "Castle Park", "Broad & Wine", "Stokes Croft"]
    r = routes.plan_route(cand, (LAT0, LON0), max_walk_m=10_000, start_time=T0)
    back = routes.route_from_geojson(routes.write_geojson(r, tmp_path / "r.geojson"))
    m = folium.Map(location=(LAT0, LON0), zoom_start=15, tiles=None)
    routes.route_layer(back, name="Route ${x}").add_to(m)
    page = m.get_root().render()
    for order in range(1, 5):  # folium writes the DivIcon html as a JSON string
        assert (f"\\u003cdiv class=\\u0027hs-route-stop\\u0027 data-order=\\u0027{order}\\u0027"
                f"\\u003e{order}\\u003c/div\\u003e") in page
    assert page.count("L.marker(") == 4 and page.count("L.polyline(") == 1
    assert "Castle Park" in page and "Stokes Croft" in page
    assert "Broad &amp; Wine" in page and "Broad & Wine" not in page
    for lat, lon in back.stops[["lat", "lon"]].itertuples(index=False):
        assert f"[{lat!r}, {lon!r}]" in page  # each marker at its stop
    # text from the file reaches the page only escaped (HTML and folium's JS template literals)
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    assert "${alert(2)}" not in page and "${x}" not in page and "{{7*7}}" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


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


def _street_grid(step=250.0, n=9):
    """A Manhattan street grid (lines every ``step`` m) around the square's corners, in BNG."""
    import geopandas as gpd
    from shapely.geometry import LineString

    xs = X0 - step + np.arange(n) * step
    ys = Y0 - step + np.arange(n) * step
    lines = [LineString([(x, ys[0]), (x, ys[-1])]) for x in xs] + \
        [LineString([(xs[0], y), (xs[-1], y)]) for y in ys]
    return gpd.GeoDataFrame({"name": [f"street {i}" for i in range(len(lines))]}, geometry=lines,
                            crs="EPSG:27700")


def _noded(lines):
    """Split lines at their crossings (street data shares a vertex where streets meet)."""
    import geopandas as gpd
    from shapely.ops import unary_union

    return gpd.GeoDataFrame(geometry=list(unary_union(lines.geometry).geoms), crs=lines.crs)


def test_read_street_network_reprojects_and_snaps(tmp_path):
    noded = _noded(_street_grid())
    path = tmp_path / "streets.geojson"
    noded.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    g = routes.read_street_network(path)
    assert g.number_of_nodes() == 81 and g.number_of_edges() == 2 * 9 * 8
    lengths = np.array([d["length"] for _, _, d in g.edges(data=True)])
    np.testing.assert_allclose(lengths, 250.0, atol=0.6)  # WGS84 round trip and 0.5 m snapping


def test_route_along_streets_is_manhattan(tmp_path):
    from hotspot.cli import main

    grid = _noded(_street_grid())
    net = tmp_path / "streets.gpkg"
    grid.to_file(net, engine="pyogrio")
    g = routes.read_street_network(net)
    cand = _square()
    r = routes.plan_route(cand, (LAT0, LON0), graph=g, stops=4, max_walk_m=10_000)
    # start (X0,Y0) and the four corners are all street nodes: every leg is a Manhattan distance
    pts = [(X0, Y0)] + list(zip(r.stops["x"], r.stops["y"])) + [(X0, Y0)]
    manhattan = sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(pts[:-1], pts[1:]))
    assert r.total_m == pytest.approx(manhattan, abs=2.0)
    out = tmp_path / "r.gpx"
    src = tmp_path / "cand.gpkg"
    import geopandas as gpd

    gpd.GeoDataFrame(cand[["expected", "name"]], geometry=gpd.points_from_xy(cand.x, cand.y),
                     crs="EPSG:27700").to_file(src, engine="pyogrio")
    assert main(["route", str(src), "--start", f"{LAT0},{LON0}", "--window", "Fri 18:00-23:00", "--stops", "4",
                 "--network", str(net), "--after", "2026-11-25", "--out", str(out)]) == 0
    _check_gpx(out.read_bytes())
    assert main(["route", str(src), "--start", f"{LAT0},{LON0}", "--window", "Fri 18:00-23:00",
                 "--network", str(tmp_path / "missing.gpkg"), "--out", str(out)]) == 2

"""Youth-work and patrol walking routes through the hotspots expected to be busiest.

``plan_route`` picks the candidates with the highest expected violence in a time window that fit
into a walking loop from a start point, orders them (nearest neighbour then 2-opt), and times the
walk. Distances are straight lines multiplied by a detour factor, or shortest paths on a
:mod:`networkx` street graph when one is given. Writers produce GPX 1.1 (written with
:mod:`xml.etree`, no gpxpy), GeoJSON, a printable table (CSV or HTML) and a Folium layer;
:func:`route_from_geojson` reads the GeoJSON back into a :class:`Route` for the tasking map.

References
----------
Rosenkrantz, D. J., Stearns, R. E. and Lewis, P. M. (1977). An analysis of several heuristics for
the traveling salesman problem. SIAM Journal on Computing 6(3), 563-581.
Croes, G. A. (1958). A method for solving traveling-salesman problems. Operations Research 6(6),
791-812.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from hotspot.crs import to_bng, to_wgs84
from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.profile import parse_window as _pw
from hotspot.io import write_bytes, write_csv, write_text
from hotspot.publish.assets import esc
from hotspot.schema import BNG

GPX_NS = "http://www.topografix.com/GPX/1/1"
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass
class Window:
    """A weekly time window such as ``Fri 18:00-23:00`` (``end`` may pass midnight)."""

    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time

    @property
    def hours(self) -> float:
        """Length of the window in hours."""
        s = self.start.hour + self.start.minute / 60
        e = self.end.hour + self.end.minute / 60
        return (e - s) % 24 or 24.0

    def next_start(self, after: dt.datetime) -> dt.datetime:
        """The first start of this window at or after ``after``."""
        day = after.date() + dt.timedelta(days=(self.weekday - after.weekday()) % 7)
        cand = dt.datetime.combine(day, self.start)
        return cand if cand >= after else cand + dt.timedelta(days=7)


def parse_window(text: str) -> Window:
    """Parse a window string (``"Fri 18:00-23:00"``) with :func:`hotspot.forecast.profile.parse_window`."""
    w = _pw(text)
    return Window(int(w.day), dt.time(int(w.start)), dt.time(int(w.end)))


@dataclass
class Route:
    """A planned walking loop.

    Attributes
    ----------
    stops : DataFrame
        One row per visited hotspot in walking order: ``order, name, x, y, lon, lat, expected,
        leg_m, cumulative_m, arrival, departure``.
    legs : list of ndarray
        BNG coordinates (n, 2) of each leg: start -> stop 1, ..., last stop -> start.
    start_xy : tuple of float
        Start point in BNG metres.
    total_m : float
        Length of the loop in metres (including the walk back to the start).
    start_time, end_time : datetime
        Departure from and return to the start.
    skipped : DataFrame
        Candidates not visited, with the reason.
    """

    stops: pd.DataFrame
    legs: list[np.ndarray]
    start_xy: tuple[float, float]
    total_m: float
    start_time: dt.datetime
    end_time: dt.datetime
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict = field(default_factory=dict)


# ---- distances ---------------------------------------------------------------------------------

def _straight_matrix(xy: np.ndarray, detour: float) -> np.ndarray:
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return d * detour


def _graph_matrix(xy: np.ndarray, graph, weight: str = "length") -> tuple[np.ndarray, list]:
    """Shortest-path distances between the graph nodes nearest to each point.

    Nodes need ``x`` and ``y`` attributes in BNG metres; edges a ``length`` (metres; Euclidean
    length of the edge when missing). The walk from a point to its nearest node is added.
    """

    nodes = list(graph.nodes)
    if not nodes:
        raise ArgumentError("graph", "an empty graph", "a networkx graph with nodes")
    try:
        nxy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], dtype=float)
    except KeyError:
        raise ArgumentError("graph", "nodes without x/y", "nodes with 'x' and 'y' attributes in "
                            "EPSG:27700 metres") from None
    near_i = np.argmin(np.hypot(xy[:, None, 0] - nxy[None, :, 0], xy[:, None, 1] - nxy[None, :, 1]), axis=1)
    snap = np.hypot(xy[:, 0] - nxy[near_i, 0], xy[:, 1] - nxy[near_i, 1])

    def w(u, v, d):
        if weight in d:
            return d[weight]
        a, b = graph.nodes[u], graph.nodes[v]
        return float(np.hypot(a["x"] - b["x"], a["y"] - b["y"]))

    n = len(xy)
    mat = np.full((n, n), np.inf)
    paths: list[list[Any]] = [[None] * n for _ in range(n)]
    for i in range(n):
        src = nodes[near_i[i]]
        dist, path = nx.single_source_dijkstra(graph, src, weight=w)
        for j in range(n):
            tgt = nodes[near_i[j]]
            if tgt in dist:
                mat[i, j] = dist[tgt] + snap[i] + snap[j] if i != j else 0.0
                paths[i][j] = [tuple(xy[i])] + [(graph.nodes[p]["x"], graph.nodes[p]["y"])
                                                 for p in path[tgt]] + [tuple(xy[j])]
    return mat, paths


#: OSM ``highway`` values a walker cannot use.
NOT_WALKABLE = frozenset({"motorway", "motorway_link", "trunk_link", "construction", "proposed", "raceway",
                          "bus_guideway", "abandoned"})


def read_street_network(path: str | Path, *, layer: str | None = None, snap_m: float = 0.5):
    """Read a street network into a :mod:`networkx` graph for :func:`plan_route`.

    Parameters
    ----------
    path : str or Path
        Street centre lines as GeoPackage, GeoJSON or shapefile (any CRS, reprojected to BNG), an
        OpenStreetMap extract (``.osm.pbf`` or ``.osm``; read by GDAL's OSM driver, layer
        ``lines``, roads not open to walkers removed), or a GraphML file whose nodes carry ``x``
        and ``y`` in EPSG:27700 metres.
    layer : str, optional
        Layer to read (default: ``lines`` for OSM, else the first).
    snap_m : float
        Line ends closer than this share a node (rounding to a grid of this size).

    Returns
    -------
    networkx.Graph
        Undirected; nodes with ``x``, ``y``; edges with ``length`` in metres (shortest kept).
    """

    path = Path(path)
    if not path.exists():
        raise InputError("street network file not found", path=path)
    name = path.name.lower()
    if name.endswith(".graphml"):
        g = nx.read_graphml(path)
        for n, d in g.nodes(data=True):
            try:
                d["x"], d["y"] = float(d["x"]), float(d["y"])
            except (KeyError, ValueError):
                raise InputError(f"node {n!r} has no numeric x/y (EPSG:27700 metres)", path=path) from None
        for _, _, d in g.edges(data=True):
            if "length" in d:
                d["length"] = float(d["length"])
        return nx.Graph(g)
    osm = name.endswith((".osm.pbf", ".pbf", ".osm"))
    try:
        lines = gpd.read_file(path, layer=layer or ("lines" if osm else None), engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
        raise InputError(f"cannot read the street network ({exc})", path=path) from None
    if lines.crs is None:
        raise InputError("street network has no CRS; save it with one (e.g. EPSG:27700)", path=path)
    if osm and "highway" in lines.columns:
        lines = lines[lines["highway"].notna() & ~lines["highway"].isin(NOT_WALKABLE)]
    lines = lines.to_crs(BNG).explode(index_parts=False)
    lines = lines[lines.geom_type == "LineString"]
    if lines.empty:
        raise InputError("street network has no line geometries", path=path)
    g = nx.Graph()
    for geom in lines.geometry:
        xy = np.round(shapely.get_coordinates(geom) / snap_m) * snap_m
        seg = np.hypot(*np.diff(xy, axis=0).T)
        for (a, b), length in zip(zip(map(tuple, xy[:-1]), map(tuple, xy[1:])), seg):
            if a == b:
                continue
            for node in (a, b):
                if node not in g:
                    g.add_node(node, x=node[0], y=node[1])
            if not g.has_edge(a, b) or g.edges[a, b]["length"] > length:
                g.add_edge(a, b, length=float(length))
    return g


# ---- ordering ----------------------------------------------------------------------------------

def tour_length(order: Sequence[int], dist: np.ndarray) -> float:
    """Length of the closed loop ``0 -> order... -> 0`` (index 0 is the start)."""
    seq = [0, *order, 0]
    return float(sum(dist[a, b] for a, b in zip(seq[:-1], seq[1:])))


def nearest_neighbour(idx: Sequence[int], dist: np.ndarray) -> list[int]:
    """Order ``idx`` by repeatedly walking to the nearest unvisited point, starting from 0."""
    left = list(idx)
    order: list[int] = []
    cur = 0
    while left:
        nxt = min(left, key=lambda j: (dist[cur, j], j))
        order.append(nxt)
        left.remove(nxt)
        cur = nxt
    return order


def two_opt(order: Sequence[int], dist: np.ndarray, max_rounds: int = 100) -> list[int]:
    """Improve a loop from the start (index 0) by reversing segments while it gets shorter.

    References
    ----------
    Croes, G. A. (1958). A method for solving traveling-salesman problems. Operations Research 6(6).
    """
    seq = [0, *order, 0]
    best = tour_length(order, dist)
    for _ in range(max_rounds):
        improved = False
        for i in range(1, len(seq) - 2):
            for k in range(i + 1, len(seq) - 1):
                a, b, c, d = seq[i - 1], seq[i], seq[k], seq[k + 1]
                delta = dist[a, c] + dist[b, d] - dist[a, b] - dist[c, d]
                if delta < -1e-9:
                    seq[i:k + 1] = seq[i:k + 1][::-1]
                    best += delta
                    improved = True
        if not improved:
            break
    return seq[1:-1]


def order_stops(idx: Sequence[int], dist: np.ndarray) -> list[int]:
    """Nearest neighbour then 2-opt ordering of ``idx`` as a loop from index 0."""
    return two_opt(nearest_neighbour(idx, dist), dist)


# ---- planning ----------------------------------------------------------------------------------

def _start_xy(start) -> tuple[float, float]:

    try:
        lat, lon = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ArgumentError("start", start, "a (lat, lon) pair in WGS84 degrees") from None
    if not (49.0 <= lat <= 61.5 and -9.0 <= lon <= 2.5):
        raise ArgumentError("start", start, "(lat, lon) in degrees inside Great Britain "
                            "(lat 49 to 61.5, lon -9 to 2.5); did you swap them?")
    x, y = to_bng(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


def _candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame(candidates).copy()
    if "expected" not in df.columns and "count" in df.columns:
        df["expected"] = df["count"]
    missing = [c for c in ("x", "y", "expected") if c not in df.columns]
    if missing:
        raise ArgumentError("candidates", f"columns {list(df.columns)}",
                            f"a table with x, y (BNG metres), expected (or count); missing {missing}")
    if "name" not in df.columns:
        df["name"] = [f"Hotspot {i + 1}" for i in range(len(df))]
    df["expected"] = pd.to_numeric(df["expected"], errors="coerce")
    df = df[np.isfinite(df["x"]) & np.isfinite(df["y"]) & df["expected"].notna()]
    return df.sort_values("expected", ascending=False, kind="mergesort").reset_index(drop=True)


def plan_route(candidates: pd.DataFrame, start: tuple[float, float], *, max_walk_m: float = 5000.0,
               stops: int = 8, detour: float = 1.3, graph=None, speed_kmh: float = 4.5,
               dwell_min: float = 15.0, start_time: dt.datetime | None = None,
               max_candidates: int = 60) -> Route:
    """Plan a walking loop from ``start`` through the hotspots expected to be busiest.

    Candidates are taken in decreasing ``expected`` order; each is kept if the best loop found
    through the kept ones plus it (nearest neighbour + 2-opt) is still within ``max_walk_m``
    (greedy with a feasibility check), until ``stops`` are kept.

    Parameters
    ----------
    candidates : DataFrame
        ``x, y`` (EPSG:27700 metres), ``expected`` (expected offences in the window; ``count`` is
        used when there is no ``expected``), ``name``.
    start : (lat, lon)
        Start and end of the loop, WGS84 degrees.
    max_walk_m : float
        Longest loop, metres (walking distance, so including the detour factor).
    stops : int
        Most hotspots to visit.
    detour : float
        Ratio of walking to straight-line distance (ignored when ``graph`` is given).
    graph : networkx.Graph, optional
        Street graph; nodes with ``x, y`` (BNG), edges with ``length`` (metres).
    speed_kmh, dwell_min : float
        Walking speed and time spent at each stop.
    start_time : datetime, optional
        Departure time (default: now, to the minute).
    max_candidates : int
        Only the top ``max_candidates`` by expected are considered (bounds the run time).

    Returns
    -------
    Route
    """
    if not max_walk_m > 0:
        raise ArgumentError("max_walk_m", max_walk_m, "a positive distance in metres")
    if int(stops) < 1:
        raise ArgumentError("stops", stops, "at least 1")
    if not detour >= 1:
        raise ArgumentError("detour", detour, "a factor >= 1 (walking is never shorter than a straight line)")
    if not speed_kmh > 0:
        raise ArgumentError("speed_kmh", speed_kmh, "a positive walking speed")
    if dwell_min < 0:
        raise ArgumentError("dwell_min", dwell_min, "minutes >= 0")
    sxy = _start_xy(start)
    cand = _candidates(candidates).head(max_candidates)
    xy = np.vstack([[sxy], cand[["x", "y"]].to_numpy(float)]) if len(cand) else np.array([sxy])
    if graph is not None:
        dist, paths = _graph_matrix(xy, graph)
    else:
        dist, paths = _straight_matrix(xy, detour), None

    kept: list[int] = []
    order: list[int] = []
    reasons = {}
    for i in range(1, len(xy)):
        if len(kept) >= int(stops):
            reasons[i] = "stop limit reached"
            continue
        if not np.isfinite(dist[0, i]) or not np.isfinite(dist[i, 0]):
            reasons[i] = "not reachable on the street graph"
            continue
        trial = order_stops(kept + [i], dist)
        if tour_length(trial, dist) <= max_walk_m + 1e-6:
            kept.append(i)
            order = trial
        else:
            reasons[i] = "loop would exceed the maximum walk"

    start_time = start_time or dt.datetime.now().replace(second=0, microsecond=0)
    speed = speed_kmh * 1000 / 3600  # m/s
    seq = [0, *order, 0]
    rows, legs = [], []
    t = start_time
    cum = 0.0
    for k, (a, b) in enumerate(zip(seq[:-1], seq[1:])):
        leg = float(dist[a, b])
        cum += leg
        t = t + dt.timedelta(seconds=leg / speed)
        legs.append(np.asarray(paths[a][b], dtype=float) if paths is not None else xy[[a, b]])
        if b != 0:
            r = cand.iloc[b - 1]
            rows.append({"order": k + 1, "name": str(r["name"]), "x": float(r["x"]), "y": float(r["y"]),
                         "expected": float(r["expected"]), "leg_m": leg, "cumulative_m": cum,
                         "arrival": t, "departure": t + dt.timedelta(minutes=dwell_min)})
            t = t + dt.timedelta(minutes=dwell_min)
    stops_df = pd.DataFrame(rows, columns=["order", "name", "x", "y", "expected", "leg_m", "cumulative_m",
                                           "arrival", "departure"])
    if len(stops_df):

        lon, lat = to_wgs84(stops_df["x"].to_numpy(), stops_df["y"].to_numpy())
        stops_df.insert(4, "lon", lon)
        stops_df.insert(5, "lat", lat)
    else:
        stops_df.insert(4, "lon", pd.Series(dtype=float))
        stops_df.insert(5, "lat", pd.Series(dtype=float))
    skipped = cand.iloc[[i - 1 for i in sorted(reasons)]][["name", "x", "y", "expected"]].copy()
    skipped["reason"] = [reasons[i] for i in sorted(reasons)]
    return Route(stops=stops_df, legs=legs, start_xy=sxy, total_m=float(cum), start_time=start_time,
                 end_time=t, skipped=skipped.reset_index(drop=True),
                 params={"max_walk_m": max_walk_m, "stops": int(stops), "detour": detour,
                         "graph": graph is not None, "speed_kmh": speed_kmh, "dwell_min": dwell_min,
                         "start_latlon": tuple(float(v) for v in start)})


# ---- outputs -----------------------------------------------------------------------------------

def _lonlat(xy: np.ndarray) -> np.ndarray:

    lon, lat = to_wgs84(np.asarray(xy)[:, 0], np.asarray(xy)[:, 1])
    return np.column_stack([lon, lat])


def _iso(t: dt.datetime) -> str:
    """ISO 8601 local time (naive times are Europe/London wall-clock), for GeoJSON and tables."""
    return pd.Timestamp(t).isoformat()


def _gpx_time(t: dt.datetime) -> str:
    """GPX times are UTC (``...Z``); naive times are Europe/London wall-clock times."""
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        ts = ts.tz_localize("Europe/London", ambiguous=False, nonexistent="shift_forward")
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


#: Characters XML 1.0 does not allow in a document (C0 controls other than tab, LF and CR; lone
#: surrogates; U+FFFE and U+FFFF). ElementTree writes them as they are, so the file would not parse.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: object) -> str:
    """``value`` as text that may appear in an XML 1.0 document (illegal characters dropped).

    Parameters
    ----------
    value : object
        Any value; converted with :func:`str`.

    Returns
    -------
    str
        The text without the characters XML 1.0 forbids (e.g. a vertical tab or NUL in a place
        name), which would otherwise make the GPX file unreadable.
    """
    return _XML_ILLEGAL.sub("", str(value))


def route_to_gpx(route: Route, *, name: str = "Youth-work route") -> bytes:
    """GPX 1.1 bytes: one ``wpt`` per stop, a ``rte`` (start, stops, start) and a ``trk`` of the legs.

    The document follows the GPX 1.1 schema (http://www.topografix.com/GPX/1/1/gpx.xsd): children
    in schema order, UTC ``xsd:dateTime`` times and text free of characters XML 1.0 forbids.
    """
    ET.register_namespace("", GPX_NS)
    q = lambda tag: f"{{{GPX_NS}}}{tag}"  # noqa: E731
    name = _xml_text(name)
    root = ET.Element(q("gpx"), {"version": "1.1", "creator": "hotspot"})
    meta = ET.SubElement(root, q("metadata"))
    ET.SubElement(meta, q("name")).text = name
    ET.SubElement(meta, q("time")).text = _gpx_time(route.start_time)
    start_ll = _lonlat(np.array([route.start_xy]))[0]

    def pt(parent, tag, lon, lat, when=None, label=None, desc=None):
        e = ET.SubElement(parent, q(tag), {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"})
        if when is not None:
            ET.SubElement(e, q("time")).text = _gpx_time(when)
        if label is not None:
            ET.SubElement(e, q("name")).text = _xml_text(label)
        if desc is not None:
            ET.SubElement(e, q("desc")).text = _xml_text(desc)
        return e

    for r in route.stops.itertuples():
        pt(root, "wpt", r.lon, r.lat, r.arrival, f"{r.order}. {r.name}",
           f"expected {r.expected:.1f}; arrive {r.arrival:%H:%M}, leave {r.departure:%H:%M}")
    rte = ET.SubElement(root, q("rte"))
    ET.SubElement(rte, q("name")).text = name
    pt(rte, "rtept", start_ll[0], start_ll[1], route.start_time, "Start")
    for r in route.stops.itertuples():
        pt(rte, "rtept", r.lon, r.lat, r.arrival, f"{r.order}. {r.name}")
    pt(rte, "rtept", start_ll[0], start_ll[1], route.end_time, "Finish")
    trk = ET.SubElement(root, q("trk"))
    ET.SubElement(trk, q("name")).text = name
    seg = ET.SubElement(trk, q("trkseg"))
    coords = np.vstack(route.legs) if route.legs else np.array([route.start_xy])
    for lon, lat in _lonlat(coords):
        pt(seg, "trkpt", lon, lat)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_gpx(route: Route, path: str | Path, **kwargs) -> Path:
    """Write the route as GPX 1.1 (atomic)."""

    return write_bytes(path, route_to_gpx(route, **kwargs))


def route_geojson(route: Route) -> dict:
    """The route as a WGS84 GeoJSON FeatureCollection: the loop line and one point per stop.

    The line carries ``total_m``, ``start``, ``end`` and ``leg_vertices`` (vertices in each leg, so
    the legs can be cut apart again); each stop ``order``, ``name``, ``expected``, ``leg_m``,
    ``cumulative_m``, ``arrival`` and ``departure``. :func:`route_from_geojson` reads it back.
    """
    feats = []
    if route.legs:
        line = _lonlat(np.vstack(route.legs))
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line.round(7).tolist()},
                      "properties": {"kind": "route", "total_m": round(route.total_m, 1),
                                     "start": _iso(route.start_time), "end": _iso(route.end_time),
                                     "leg_vertices": [len(leg) for leg in route.legs]}})
    for r in route.stops.itertuples():
        feats.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [round(r.lon, 7), round(r.lat, 7)]},
                      "properties": {"kind": "stop", "order": int(r.order), "name": r.name,
                                     "expected": round(float(r.expected), 3),
                                     "leg_m": round(float(r.leg_m), 1),
                                     "cumulative_m": round(float(r.cumulative_m), 1),
                                     "arrival": _iso(r.arrival), "departure": _iso(r.departure)}})
    return {"type": "FeatureCollection", "features": feats}


def write_geojson(route: Route, path: str | Path) -> Path:
    """Write :func:`route_geojson` (atomic)."""

    return write_text(path, json.dumps(route_geojson(route), indent=1))


def _split_legs(line: np.ndarray, stops: np.ndarray, tol: float = 1e-7) -> list[np.ndarray]:
    """Cut the loop line of :func:`route_geojson` back into its legs (files without ``leg_vertices``).

    The line is the legs joined end to end (start -> stop 1, ..., last stop -> start), so leg ``k``
    ends at the first vertex from the current position that lies on stop ``k``. On a street graph
    a stop can coincide with a street node just before it; the cut then falls one vertex early,
    which changes neither the drawn line nor its length.

    Parameters
    ----------
    line : ndarray (n, 2)
        Vertices of the loop, in walking order.
    stops : ndarray (m, 2)
        Stop positions in walking order, same coordinates as ``line``.
    tol : float
        Largest coordinate difference counted as the same point.

    Returns
    -------
    list of ndarray
        ``m + 1`` legs whose concatenation is ``line``; the whole line as one leg when a stop is not
        found on it.
    """
    legs, pos = [], 0
    for sxy in stops:
        hit = np.flatnonzero(np.all(np.abs(line[pos:] - sxy) <= tol, axis=1))
        if not len(hit):
            return [line]
        end = pos + int(hit[0]) + 1
        legs.append(line[pos:end])
        pos = end
    return [*legs, line[pos:]] if pos < len(line) else [line]


def _features(doc: Any, path: Path) -> tuple[dict | None, list[dict]]:
    """The route line feature (or None) and the stop features of a route GeoJSON document."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError("not a GeoJSON FeatureCollection; pass the route.geojson written by "
                         "'hotspot route' or the cycle", path=path)
    feats = [f for f in doc.get("features") or [] if isinstance(f, dict)]
    kind = lambda f: (f.get("properties") or {}).get("kind")  # noqa: E731
    lines = [f for f in feats if kind(f) == "route" and (f.get("geometry") or {}).get("type") == "LineString"]
    stops = [f for f in feats if kind(f) == "stop" and (f.get("geometry") or {}).get("type") == "Point"]
    return (lines[0] if lines else None), stops


def _stop_frame(stops: list[dict]) -> pd.DataFrame:
    """The ``Route.stops`` table from stop features (sorted by ``order``; BNG x/y recomputed)."""

    cols = ["order", "name", "x", "y", "lon", "lat", "expected", "leg_m", "cumulative_m",
            "arrival", "departure"]
    if not stops:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    props = [f.get("properties") or {} for f in stops]
    lonlat = np.array([f["geometry"]["coordinates"][:2] for f in stops], dtype=float)
    x, y = to_bng(lonlat[:, 0], lonlat[:, 1])
    num = lambda key: [float(p[key]) if p.get(key) is not None else np.nan for p in props]  # noqa: E731
    df = pd.DataFrame({
        "order": [int(p["order"]) for p in props], "name": [str(p.get("name", "")) for p in props],
        "x": x, "y": y, "lon": lonlat[:, 0], "lat": lonlat[:, 1], "expected": num("expected"),
        "leg_m": num("leg_m"), "cumulative_m": num("cumulative_m"),
        "arrival": [pd.Timestamp(p["arrival"]) for p in props],
        "departure": [pd.Timestamp(p["departure"]) for p in props],
    }, columns=cols)
    return df.sort_values("order", kind="mergesort").reset_index(drop=True)


def route_from_geojson(path: str | Path) -> Route:
    """Rebuild a :class:`Route` from the GeoJSON written by :func:`write_geojson`.

    Enough of the route comes back to draw it (:func:`route_layer`) and print its table
    (:func:`route_table`): stops in walking order with names, positions, expected counts and
    times, the legs, the start point, the length and the start and end times.

    Parameters
    ----------
    path : str or Path
        A route GeoJSON: one ``LineString`` feature with ``kind: route`` (the loop, from the start
        and back) and one ``Point`` feature per stop with ``kind: stop``.

    Returns
    -------
    Route
        ``stops`` as in :func:`plan_route` (BNG ``x, y`` recomputed from lon/lat, so within a few
        millimetres of the planned ones; ``leg_m`` and ``cumulative_m`` are NaN in files written
        before they were stored), ``legs`` in BNG metres (cut by ``leg_vertices``, or at the stops
        in older files), an empty ``skipped`` table and ``params = {"source": "geojson"}``.
        Planning parameters are not in the file.

    Raises
    ------
    InputError
        If the file is missing, is not a GeoJSON FeatureCollection, or has no route line with
        its ``start``, ``end`` and ``total_m`` properties.
    """

    path = Path(path)
    if not path.exists():
        raise InputError("file not found; pass the route.geojson written by 'hotspot route' or the cycle",
                         path=path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"could not read as GeoJSON ({exc})", path=path) from None
    line_f, stop_fs = _features(doc, path)
    props = (line_f or {}).get("properties") or {}
    if line_f is None or len(line_f["geometry"].get("coordinates") or []) < 2 or not (
            props.get("start") and props.get("end") and props.get("total_m") is not None):
        raise InputError("no route line (a LineString feature with kind 'route', start, end and "
                         "total_m); pass the route.geojson written by 'hotspot route' or the cycle",
                         path=path)
    stops = _stop_frame(stop_fs)
    line = np.asarray(line_f["geometry"]["coordinates"], dtype=float)[:, :2]
    to_xy = lambda ll: np.column_stack(to_bng(ll[:, 0], ll[:, 1]))  # noqa: E731
    sizes = props.get("leg_vertices")
    if sizes and sum(sizes) == len(line) and min(sizes) > 0:
        parts = np.split(line, np.cumsum(sizes)[:-1])
    else:
        parts = _split_legs(line, stops[["lon", "lat"]].to_numpy(float))
    legs = [to_xy(leg) for leg in parts]
    return Route(stops=stops, legs=legs, start_xy=(float(legs[0][0, 0]), float(legs[0][0, 1])),
                 total_m=float(props["total_m"]), start_time=pd.Timestamp(props["start"]).to_pydatetime(),
                 end_time=pd.Timestamp(props["end"]).to_pydatetime(),
                 skipped=pd.DataFrame(columns=["name", "x", "y", "expected", "reason"]),
                 params={"source": "geojson"})


def route_table(route: Route) -> pd.DataFrame:
    """Printable table: order, name, arrival/departure (HH:MM), leg and cumulative km, expected."""
    t = route.stops
    return pd.DataFrame({
        "stop": t["order"], "hotspot": t["name"],
        "arrive": [f"{a:%a %H:%M}" for a in t["arrival"]],
        "leave": [f"{d:%H:%M}" for d in t["departure"]],
        "leg_km": (t["leg_m"] / 1000).round(2), "cumulative_km": (t["cumulative_m"] / 1000).round(2),
        "expected": t["expected"].round(2),
    })


def route_table_html(route: Route, *, title: str = "Youth-work route",
                     handling: str = "OFFICIAL-SENSITIVE") -> str:
    """A printable, self-contained HTML page with the stop table (all text escaped)."""
    tab = route_table(route)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in tab.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in tab.itertuples(index=False))
    h = html.escape(handling)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:3px 8px}.h{font-weight:bold;text-align:center}"
            "@media print{@page{size:A4;margin:12mm}}</style></head><body>"
            f"<div class='h'>{h}</div><h1>{html.escape(title)}</h1>"
            f"<p>Start {route.start_time:%a %d %b %Y %H:%M}, back by {route.end_time:%H:%M}; "
            f"{route.total_m / 1000:.2f} km, {len(tab)} stops.</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<div class='h'>{h}</div></body></html>")


def write_table(route: Route, path: str | Path, **kwargs) -> Path:
    """Write the stop table as CSV (``.csv``) or printable HTML (``.html``), atomically."""

    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        return write_text(path, route_table_html(route, **kwargs))
    return write_csv(path, route_table(route))


def route_layer(route: Route, name: str = "Route"):
    """A :class:`folium.FeatureGroup` with the loop and numbered stops (escaped popups)."""


    fg = folium.FeatureGroup(name=esc(name), show=True)
    if route.legs:
        line = _lonlat(np.vstack(route.legs))
        folium.PolyLine([(lat, lon) for lon, lat in line], color="#6a3d9a", weight=4, opacity=0.8,
                        tooltip=esc(f"{name}: {route.total_m / 1000:.2f} km")).add_to(fg)
    for r in route.stops.itertuples():
        label = esc(f"{r.order}. {r.name}")
        popup = (f"<b>{label}</b><br>arrive {r.arrival:%H:%M}, leave {r.departure:%H:%M}"
                 f"<br>expected {r.expected:.1f}")
        folium.Marker((r.lat, r.lon), tooltip=label, popup=folium.Popup(popup, max_width=260),
                      icon=folium.DivIcon(html=f"<div class='hs-route-stop' data-order='{int(r.order)}'>{int(r.order)}</div>",
                                          icon_size=(22, 22), icon_anchor=(11, 11))).add_to(fg)
    return fg


def read_candidates(path: str | Path, *, layer: str | None = None) -> pd.DataFrame:
    """Read route candidates from a GeoPackage/GeoJSON of points or polygons.

    Polygons are represented by a point on the surface. Needs an ``expected`` or ``count`` column;
    the name is taken from ``name``, ``beat_name``, ``lsoa_name`` or the row number.
    """

    path = Path(path)
    if not path.exists():
        raise InputError("file not found; pass a GeoPackage of forecast units or hotspots", path=path)
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"could not read as a vector file ({exc}); pass a GeoPackage or GeoJSON",
                         path=path) from None
    if gdf.crs is None:
        raise InputError("layer has no CRS; set it to EPSG:27700", path=path)
    gdf = gdf.to_crs(BNG)
    col = "expected" if "expected" in gdf.columns else "count" if "count" in gdf.columns else None
    if col is None:
        raise InputError(f"needs an 'expected' or 'count' column; found {list(gdf.columns)}", path=path,
                         column="expected")
    pts = gdf.geometry.representative_point()
    name = next((c for c in ("name", "beat_name", "lsoa_name", "unit") if c in gdf.columns), None)
    return pd.DataFrame({"x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
                         "expected": pd.to_numeric(gdf[col], errors="coerce").to_numpy(),
                         "name": gdf[name].astype(str).to_numpy() if name
                         else [f"Hotspot {i + 1}" for i in range(len(gdf))]})

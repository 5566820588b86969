"""Synthetic boundaries: force outline, local authorities, LSOAs (Voronoi) and beats.

All geometry is snapped to a 1 m grid (``grid_size=1``) so shared edges are identical and the
layers nest exactly: LSOA within beat within LA within force.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon

from hotspot.errors import HotspotError
from hotspot.schema import BNG
from hotspot.synth import places as P

GRID = 1.0


def force_polygon() -> Polygon:
    """The hand-made force outline (EPSG:27700, 1 m grid)."""
    return shapely.set_precision(Polygon(P.FORCE_OUTLINE), GRID)


def la_polygons(force: Polygon) -> dict[str, Polygon]:
    """Split the force outline into the five local authorities.

    Bristol is drawn by hand; South Gloucestershire, BaNES and North Somerset are hand-made regions
    intersected with what is left; Somerset is the remainder.

    Returns
    -------
    dict
        LA name -> Polygon, in :data:`places.LA_TABLE` order.
    """
    out: dict[str, shapely.Geometry] = {}
    taken = shapely.set_precision(Polygon(P.BRISTOL), GRID).intersection(force, grid_size=GRID)
    out["Bristol, City of"] = taken
    for name, ring in P.REGIONS.items():
        geom = force.intersection(Polygon(ring), grid_size=GRID).difference(taken, grid_size=GRID)
        out[name] = geom
        taken = taken.union(geom, grid_size=GRID)
    out["Somerset"] = force.difference(taken, grid_size=GRID)
    for name, geom in out.items():
        geom = _largest_polygon(geom)
        if geom.is_empty or not geom.is_valid:
            raise HotspotError(f"synthetic LA polygon {name!r} is empty or invalid")
        out[name] = geom
    return {name: out[name] for _, name, _ in P.LA_TABLE}


def _largest_polygon(geom) -> Polygon:
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area) if parts else Polygon()


def density_grid(force: Polygon, cell: float = 125.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residential density (people per cell) on a regular grid inside the force.

    A rural floor plus a Gaussian bump per place in :data:`places.PLACES` (weight in thousands
    of residents, spread in metres).

    Returns
    -------
    x, y, density : ndarray
        Cell centres inside the force and the relative density there.
    """
    minx, miny, maxx, maxy = force.bounds
    xs = np.arange(np.floor(minx / cell) * cell + cell / 2, maxx, cell)
    ys = np.arange(np.floor(miny / cell) * cell + cell / 2, maxy, cell)
    mx, my = np.meshgrid(xs, ys)
    gx, gy = mx.ravel(), my.ravel()
    inside = shapely.contains_xy(force, gx, gy)
    gx, gy = gx[inside], gy[inside]
    dens = np.full(gx.size, 60e-6 * cell * cell)  # ~60 residents per km2 everywhere
    for _, _, px, py, pop, sd in P.PLACES:
        if pop <= 0:
            continue
        d2 = (gx - px) ** 2 + (gy - py) ** 2
        dens += pop * 1000.0 * cell * cell / (2 * np.pi * sd * sd) * np.exp(-d2 / (2 * sd * sd))
    return gx, gy, dens


def lloyd(px: np.ndarray, py: np.ndarray, w: np.ndarray, n: int, rng: np.random.Generator,
          iterations: int = 30) -> np.ndarray:
    """Weighted Lloyd relaxation (k-means) of ``n`` seeds over weighted points.

    Seeds start at points drawn with probability proportional to ``sqrt(w)`` and move to the
    weighted mean of their Voronoi region. With weights ``density**2`` the final seed density is
    roughly proportional to ``density`` (equal-population cells).

    Returns
    -------
    ndarray, shape (n, 2)
    """
    pts = np.column_stack([px, py])
    p0 = np.sqrt(w) / np.sqrt(w).sum()
    idx = rng.choice(px.size, size=n, replace=False, p=p0)
    seeds = pts[idx] + rng.uniform(-1, 1, size=(n, 2))
    for _ in range(iterations):
        _, lab = cKDTree(seeds).query(pts)
        sw = np.bincount(lab, weights=w, minlength=n)
        sx = np.bincount(lab, weights=w * px, minlength=n)
        sy = np.bincount(lab, weights=w * py, minlength=n)
        ok = sw > 0
        seeds[ok, 0] = sx[ok] / sw[ok]
        seeds[ok, 1] = sy[ok] / sw[ok]
    return np.round(seeds, 1)


def voronoi_cells(seeds: np.ndarray, boundary: Polygon) -> list[Polygon]:
    """Voronoi cells of ``seeds`` clipped to ``boundary``; every cell a single Polygon.

    Parts of a cell cut off by a concave boundary are merged into the neighbouring cell that
    shares the longest edge with them, so the result still tiles ``boundary`` exactly.
    """
    env = boundary.envelope.buffer(5000)
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=env, ordered=True)
    cells = list(shapely.get_parts(vor))
    if len(cells) != len(seeds):
        raise HotspotError("Voronoi diagram lost seeds; seeds must be distinct")
    clipped = [shapely.intersection(c, boundary, grid_size=GRID) for c in cells]
    return _repair_multiparts(clipped, seeds)


def _repair_multiparts(geoms: list, seeds: np.ndarray) -> list[Polygon]:
    geoms = [shapely.make_valid(g) for g in geoms]
    main: list[Polygon] = []
    orphans: list[Polygon] = []
    for g, s in zip(geoms, seeds):
        parts = [p for p in shapely.get_parts(g) if isinstance(p, Polygon) and p.area > 0]
        if not parts:
            main.append(Polygon())
            continue
        seed_pt = shapely.Point(*s)
        parts.sort(key=lambda p: (-(p.contains(seed_pt)), -p.area))
        main.append(parts[0])
        orphans.extend(parts[1:])
    for _ in range(20):
        if not orphans:
            break
        left = []
        tree = shapely.STRtree(main)
        for o in sorted(orphans, key=lambda g: -g.area):
            cand = tree.query(o, predicate="intersects")
            best, best_len = -1, 0.0
            for c in sorted(cand):
                ln = shapely.intersection(o.boundary, main[c].boundary).length
                if ln > best_len + 1e-9:
                    best, best_len = int(c), ln
            if best < 0:
                left.append(o)
                continue
            merged = shapely.union(main[best], o, grid_size=GRID)
            parts = [p for p in shapely.get_parts(merged) if isinstance(p, Polygon)]
            main[best] = max(parts, key=lambda p: p.area)
            left.extend(p for p in parts if p is not main[best] and p.area > 0)
            tree = shapely.STRtree(main)
        orphans = left
    if orphans:
        raise HotspotError(f"{len(orphans)} Voronoi fragments could not be merged into a neighbour")
    return main


def lsoa_layer(las: dict[str, Polygon], n_per_la: dict[str, int], rng: np.random.Generator,
               cell: float = 125.0, progress=None) -> gpd.GeoDataFrame:
    """Build the LSOA polygons: density-weighted Lloyd seeds, Voronoi, clipped to each LA.

    Returns
    -------
    GeoDataFrame
        ``LAD19NM``, ``seed_x``, ``seed_y``, geometry (unordered, no codes yet).
    """
    force = shapely.union_all(list(las.values()), grid_size=GRID)
    gx, gy, dens = density_grid(force, cell)
    rows = []
    for name, poly in las.items():
        inside = shapely.contains_xy(poly, gx, gy)
        px, py, w = gx[inside], gy[inside], dens[inside]
        seeds = lloyd(px, py, w * w, n_per_la[name], rng)
        cells = voronoi_cells(seeds, poly)
        for (sx, sy), c in zip(seeds, cells):
            rows.append((name, float(sx), float(sy), c))
        if progress is not None:
            progress.update(1)
    gdf = gpd.GeoDataFrame(rows, columns=["LAD19NM", "seed_x", "seed_y", "geometry"], crs=BNG)
    # a seed whose own cell was clipped away keeps a representative point of its cell instead
    rp = shapely.point_on_surface(gdf.geometry.values)
    bad = ~shapely.contains_xy(gdf.geometry.values, gdf["seed_x"].to_numpy(), gdf["seed_y"].to_numpy())
    gdf.loc[bad, "seed_x"] = shapely.get_x(rp[bad])
    gdf.loc[bad, "seed_y"] = shapely.get_y(rp[bad])
    return gdf


def adjacency(geoms: np.ndarray) -> list[set[int]]:
    """Rook-style adjacency (shared edge of positive length) between polygons."""
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    nb: list[set[int]] = [set() for _ in range(len(geoms))]
    for i, j in zip(a, b):
        if i < j:
            if shapely.intersection(geoms[i].boundary, geoms[j].boundary).length > 0:
                nb[i].add(int(j))
                nb[j].add(int(i))
    return nb


def _components(members: list[int], nb: list[set[int]]) -> list[list[int]]:
    mset, seen, comps = set(members), set(), []
    for m in sorted(members):
        if m in seen:
            continue
        stack, comp = [m], []
        seen.add(m)
        while stack:
            k = stack.pop()
            comp.append(k)
            for n in nb[k]:
                if n in mset and n not in seen:
                    seen.add(n)
                    stack.append(n)
        comps.append(sorted(comp))
    return comps


def beat_labels(lsoa: gpd.GeoDataFrame, n_beats: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """Group LSOAs into contiguous beats within each LA (Lloyd on centroids, then repair).

    Returns
    -------
    ndarray of int
        Beat label per LSOA row (unique across LAs).
    """
    cx = shapely.get_x(shapely.centroid(lsoa.geometry.values))
    cy = shapely.get_y(shapely.centroid(lsoa.geometry.values))
    nb = adjacency(lsoa.geometry.values)
    labels = np.full(len(lsoa), -1, dtype=np.int64)
    offset = 0
    for name, k in n_beats.items():
        idx = np.flatnonzero(lsoa["LAD19NM"].to_numpy() == name)
        w = lsoa["population"].to_numpy()[idx].astype(float)
        seeds = lloyd(cx[idx], cy[idx], w, k, rng, iterations=40)
        _, lab = cKDTree(seeds).query(np.column_stack([cx[idx], cy[idx]]))
        labels[idx] = lab + offset
        offset += k
    # contiguity repair: move detached pieces to the neighbouring beat they touch most
    for _ in range(30):
        changed = False
        for b in np.unique(labels):
            members = [int(i) for i in np.flatnonzero(labels == b)]
            comps = _components(members, nb)
            if len(comps) <= 1:
                continue
            comps.sort(key=lambda c: -len(c))
            for comp in comps[1:]:
                votes: dict[int, int] = {}
                for m in comp:
                    for n in nb[m]:
                        if labels[n] != b and lsoa["LAD19NM"].iat[n] == lsoa["LAD19NM"].iat[m]:
                            votes[int(labels[n])] = votes.get(int(labels[n]), 0) + 1
                if votes:
                    target = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                    labels[comp] = target
                    changed = True
        if not changed:
            break
    # relabel densely
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def nearest_place_names(x: np.ndarray, y: np.ndarray, la: np.ndarray) -> list[str]:
    """Unique beat names: nearest named place in the same LA, with compass suffixes for repeats."""
    names = []
    pl = pd.DataFrame(P.PLACES, columns=["name", "la", "x", "y", "pop", "sd"])
    for xi, yi, li in zip(x, y, la):
        cand = pl[pl["la"] == li]
        d = np.hypot(cand["x"] - xi, cand["y"] - yi)
        j = int(np.argmin(d.to_numpy()))
        names.append((cand["name"].iat[j], xi - cand["x"].iat[j], yi - cand["y"].iat[j]))
    base = [n for n, _, _ in names]
    counts = pd.Series(base).value_counts()
    out = []
    for n, dx, dy in names:
        if counts[n] == 1:
            out.append(n)
            continue
        ang = np.degrees(np.arctan2(dy, dx)) % 360
        compass = ["East", "North East", "North", "North West", "West", "South West", "South",
                   "South East"][int(((ang + 22.5) % 360) // 45)]
        central = n if n.endswith(("Central", "Centre")) else f"{n} Central"
        out.append(f"{n} {compass}" if np.hypot(dx, dy) > 700 else central)
    # any remaining duplicates get a numeral
    seen: dict[str, int] = {}
    final = []
    dup = pd.Series(out).value_counts()
    for n in out:
        if dup[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            final.append(f"{n} {seen[n]}")
        else:
            final.append(n)
    return final

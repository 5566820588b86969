"""Geocode 1,000,000 points against ~35,000 polygons (a national LSOA count).

Prints points per second and peak memory for ``hotspot.geography.geocode.geocode`` (all three
codes, nearest-within-tolerance and output GeoDataFrame included) beside plain
``geopandas.sjoin(predicate="within")`` on the same data, each in a fresh process so peak RSS
is its own. Goal: 1,000,000 points in under 20 s on the 2-core machine, peak memory under 4 GB.

Run: ``.venv/bin/python benchmarks/bench_geocode.py [--points N] [--polygons M]``
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time


def _world(n_poly: int, n_pts: int, seed: int = 0):
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    # England and Wales' BNG extent; denser seeds in "towns" like real LSOAs
    bounds = (140_000.0, 10_000.0, 660_000.0, 660_000.0)
    towns = rng.uniform(bounds[:2], bounds[2:], size=(300, 2))
    k = int(n_poly * 0.7)
    seeds = np.vstack([towns[rng.integers(0, 300, k)] + rng.normal(0, 4000, (k, 2)),
                       rng.uniform(bounds[:2], bounds[2:], size=(n_poly - k, 2))])
    seeds = np.clip(seeds, bounds[:2], bounds[2:])
    env = shapely.box(*bounds)
    vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=env))
    vor = shapely.intersection(vor, env)
    codes = [f"X{i:08d}" for i in range(len(vor))]
    lsoa = gpd.GeoDataFrame({"lsoa_code": codes, "beat_code": [c[:7] for c in codes],
                             "la_code": [c[:5] for c in codes]}, geometry=vor, crs="EPSG:27700")
    lsoa = lsoa.sort_values("lsoa_code").reset_index(drop=True)
    pts = np.vstack([towns[rng.integers(0, 300, n_pts)] + rng.normal(0, 3000, (n_pts, 2))])
    df = pd.DataFrame({"offence_id": np.arange(n_pts).astype(str), "easting": pts[:, 0],
                       "northing": pts[:, 1], "source_file": "bench", "source_line": np.arange(n_pts)})
    return lsoa, df


def _run(method: str, n_poly: int, n_pts: int, q) -> None:
    import geopandas as gpd

    from hotspot.geography.areas import Areas
    from hotspot.geography.geocode import geocode

    lsoa, df = _world(n_poly, n_pts)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if method == "hotspot":
        areas = Areas(lsoa=lsoa, beat=None, la=None, force=lsoa.iloc[:0])
        acc, quar = geocode(df, areas, tolerance=50.0)
        placed = len(acc)
    else:
        pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["easting"], df["northing"]),
                               crs="EPSG:27700")
        out = gpd.sjoin(pts, lsoa, how="left", predicate="within")
        placed = int(out["lsoa_code"].notna().sum())
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    q.put((method, dt, placed, peak / 1024, (peak - base) / 1024, len(lsoa)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--polygons", type=int, default=35_000)
    a = ap.parse_args(argv)
    ctx = mp.get_context("spawn")
    res = {}
    for method in ("hotspot", "geopandas.sjoin"):
        q = ctx.Queue()
        p = ctx.Process(target=_run, args=(method, a.polygons, a.points, q))
        p.start()
        res[method] = q.get()
        p.join()
    print(f"geocode: {a.points:,} points against {res['hotspot'][5]:,} polygons (EPSG:27700)")
    print(f"{'method':<18}{'seconds':>9}{'points/s':>14}{'placed':>11}{'peak RSS MB':>13}")
    for m, (_, dt, placed, peak, _, _) in res.items():
        print(f"{m:<18}{dt:>9.2f}{a.points / dt:>14,.0f}{placed:>11,}{peak:>13,.0f}")
    ratio = res["hotspot"][1] / res["geopandas.sjoin"][1]
    print(f"ratio hotspot / geopandas.sjoin time: {ratio:.2f} "
          "(hotspot also does nearest-within-50 m, deterministic ties and builds the output layer)")
    ok = res["hotspot"][1] < 20 and res["hotspot"][3] < 4096
    print(f"goal (< 20 s, < 4 GB): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

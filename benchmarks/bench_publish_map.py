"""Force-scale offline tasking map: build time, file size, and ratio to plain folium ``Map.save``.

Uses the embedded boundaries (data/boundaries.gpkg) and a synthetic 250 m Gi* grid over the force.
Run: .venv/bin/python benchmarks/bench_publish_map.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from hotspot.geography.areas import embedded_areas
from hotspot.publish.maps import render_map, tasking_map
from hotspot.schema import GI_CLASSES


def main(cell: float = 250.0, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    areas = embedded_areas()
    x0, y0, x1, y1 = areas.bounds
    xs, ys = np.arange(x0, x1, cell), np.arange(y0, y1, cell)
    xx, yy = np.meshgrid(xs, ys)
    n = xx.size
    cls = rng.choice([-3, -2, -1, 0, 1, 2, 3], n, p=[.02, .03, .05, .8, .05, .03, .02])
    cells = gpd.GeoDataFrame({"count": rng.poisson(3, n).astype(float), "z": rng.normal(size=n),
                              "p": rng.uniform(size=n), "p_adjusted": rng.uniform(size=n), "class": cls,
                              "class_label": [GI_CLASSES[int(c)] for c in cls]},
                             geometry=[box(a, b, a + cell, b + cell) for a, b in zip(xx.ravel(), yy.ravel())],
                             crs="EPSG:27700")
    stats = pd.DataFrame({"lsoa_code": areas.lsoa["lsoa_code"], "imd_decile": rng.integers(1, 11, len(areas.lsoa)),
                          "uc_rate": rng.uniform(5, 40, len(areas.lsoa))})
    t = time.perf_counter()
    m = tasking_map(gistar=cells, areas=areas, lsoa_stats=stats)
    page = render_map(m)
    ours = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m.save(str(Path(d) / "plain.html"))  # folium's own (CDN-referencing) writer, same map object
        plain = time.perf_counter() - t
    print(f"cells {n:,} ({(cls != 0).sum():,} significant), LSOAs {len(areas.lsoa):,}, beats "
          f"{0 if areas.beat is None else len(areas.beat):,}")
    print(f"build+render offline map: {ours:.2f} s; size {len(page.encode()) / 1e6:.2f} MB")
    print(f"folium Map.save (render only, CDN refs): {plain:.2f} s; ratio ours/plain = {ours / plain:.1f}")


if __name__ == "__main__":
    main()

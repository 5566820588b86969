"""A national-scale synthetic extract (England and Wales extent) for scale-out benchmarks.

``hotspot synth --national --out national`` writes:

* ``boundaries.gpkg``: about 35,000 LSOA-like Voronoi polygons over a coarse England and Wales outline
  (layer ``lsoa`` with ``LSOA11CD, beat_code, LAD19CD, force_code, population``; layer ``force``
  with the outline), grouped into about 3,500 beats, 330 local authorities and 43 forces;
* ``offences/extract-YYYY-MM.csv.gz``: one timestamped extract per month (the embedded extract's
  columns), about 6 million offences a year in all, concentrated in about 400 towns, with the
  day-of-week x hour shape of the VRU reference.

Like the embedded data this is synthetic: nothing describes real places or people. It is generated
in chunks so memory stays well under 2 GB.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from hotspot.io import atomic_path, write_json
from hotspot.progress import bar
from hotspot.schema import BNG
from hotspot.synth.offences import OTHER_TYPES, SV_TYPES, reference_day_hour

#: A coarse outline of England and Wales in BNG metres (hand-made; not a real boundary).
OUTLINE = [
    (135000, 25000), (200000, 60000), (260000, 80000), (330000, 80000), (400000, 80000), (460000, 95000),
    (540000, 100000), (620000, 130000), (655000, 170000), (640000, 230000), (600000, 260000),
    (560000, 300000), (620000, 300000), (630000, 340000), (555000, 360000), (530000, 400000),
    (510000, 450000), (460000, 520000), (420000, 560000), (400000, 600000), (380000, 640000),
    (330000, 640000), (320000, 560000), (330000, 520000), (300000, 480000), (340000, 420000),
    (330000, 390000), (250000, 380000), (230000, 340000), (240000, 300000), (190000, 270000),
    (160000, 230000), (200000, 210000), (280000, 190000), (250000, 170000), (190000, 100000),
]


def outline() -> shapely.Polygon:
    return shapely.Polygon(OUTLINE)


def _points_in(poly, n, rng, bounds):
    out = np.empty((0, 2))
    while len(out) < n:
        p = rng.uniform(bounds[:2], bounds[2:], size=(n * 2, 2))
        p = p[shapely.contains_xy(poly, p[:, 0], p[:, 1])]
        out = np.vstack([out, p])
    return out[:n]


def national_world(rng: np.random.Generator, n_lsoa: int = 35000, n_towns: int = 400):
    """Towns, LSOA polygons and their beat / LA / force grouping."""
    poly = outline()
    b = poly.bounds
    towns = _points_in(poly, n_towns, rng, b)
    weight = rng.pareto(1.2, n_towns) + 1.0
    weight /= weight.sum()
    k = int(n_lsoa * 0.75)
    pick = rng.choice(n_towns, size=k, p=weight)
    spread = 2500 + 9000 * np.sqrt(weight[pick] / weight.max())
    seeds = towns[pick] + rng.normal(0, 1, (k, 2)) * spread[:, None]
    seeds = np.vstack([seeds, _points_in(poly, n_lsoa - k, rng, b)])
    inside = shapely.contains_xy(poly, seeds[:, 0], seeds[:, 1])
    seeds = np.round(seeds[inside])
    seeds = np.unique(seeds, axis=0)
    vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=shapely.box(*b).buffer(10000),
                                                     ordered=True))
    geoms = shapely.intersection(vor, poly, grid_size=1.0)
    geoms = np.array([g if g.geom_type == "Polygon" else max(shapely.get_parts(g), key=lambda q: q.area)
                      for g in geoms], dtype=object)
    n = len(seeds)

    def group(m):
        centres = seeds[rng.choice(n, size=m, replace=False)]
        return cKDTree(centres).query(seeds)[1]

    beat = group(3500)
    la = group(330)
    force = group(43)
    codes = np.array([f"X01{i + 1:06d}" for i in range(n)])
    lsoa = gpd.GeoDataFrame({
        "LSOA11CD": codes, "LSOA11NM": [f"Synthetic {i + 1:06d}" for i in range(n)],
        "beat_code": [f"XB{v + 1:06d}" for v in beat], "LAD19CD": [f"X06{v + 1:06d}" for v in la],
        "force_code": [f"XF{v + 1:02d}" for v in force],
        "population": rng.integers(1000, 3000, n),
    }, geometry=geoms, crs=BNG)
    return lsoa, towns, weight, seeds


def generate_national(out: str | Path, *, year: int = 2019, n: int = 6_000_000, seed: int = 1,
                      n_lsoa: int = 35000) -> dict:
    """Write the national boundaries and monthly extracts; returns a summary."""

    os.environ["OGR_CURRENT_DATE"] = f"{year}-12-31T00:00:00Z"
    out = Path(out)
    (out / "offences").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lsoa, towns, weight, seeds = national_world(rng, n_lsoa=n_lsoa)
    with atomic_path(out / "boundaries.gpkg") as tmp:
        lsoa.to_file(tmp, layer="lsoa", driver="GPKG", engine="pyogrio")
        gpd.GeoDataFrame({"name": ["England and Wales (synthetic)"]}, geometry=[outline()], crs=BNG).to_file(
            tmp, layer="force", driver="GPKG", engine="pyogrio")
    ref = reference_day_hour()
    dow_w = ref.sum(axis=1)
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    day_p = dow_w[days.dayofweek] / dow_w[days.dayofweek].sum()
    per_day = rng.multinomial(n, day_p)
    hour_p = ref / ref.sum(axis=1, keepdims=True)
    poly = outline()
    types = [(s * 0.6, c, st, True) for s, c, st, *_ in SV_TYPES] + [(s * 0.4, c, st, False) for s, c, st, _ in OTHER_TYPES]
    tp = np.array([t[0] for t in types])
    tp /= tp.sum()
    files = []
    seq = 0
    with bar(total=12, desc="national extract", unit="month") as pb:
        for month in range(1, 13):
            m = days.month == month
            k = per_day[m]
            total = int(k.sum())
            day = np.repeat(days[m].to_numpy(), k)
            dow = pd.DatetimeIndex(day).dayofweek.to_numpy()
            cum = hour_p.cumsum(axis=1)
            u = rng.random(total)
            hour = (u[:, None] > cum[dow]).sum(axis=1).clip(0, 23)
            minute = rng.integers(0, 60, total)
            t = day + (hour * 60 + minute).astype("timedelta64[m]")
            in_town = rng.random(total) < 0.6
            xy = np.empty((total, 2))
            nt = int(in_town.sum())
            tw = rng.choice(len(towns), size=nt, p=weight)
            xy[in_town] = towns[tw] + rng.normal(0, 1800, (nt, 2))
            ns = total - nt
            xy[~in_town] = seeds[rng.integers(0, len(seeds), ns)] + rng.normal(0, 300, (ns, 2))
            bad = ~shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
            xy[bad] = seeds[rng.integers(0, len(seeds), int(bad.sum()))]
            ti = rng.choice(len(types), size=total, p=tp)
            ids = np.char.add(f"N{year % 100:02d}", np.char.zfill((np.arange(total) + seq + 1).astype(str), 9))
            seq += total
            order = np.argsort(t, kind="stable")
            df = pd.DataFrame({
                "id": ids, "occurred_at": pd.DatetimeIndex(t[order]).strftime("%Y-%m-%dT%H:%M:%S"),
                "easting": np.round(xy[order, 0]).astype(np.int64), "northing": np.round(xy[order, 1]).astype(np.int64),
                "postcode": "", "crime_type": np.array([types[i][1] for i in range(len(types))])[ti],
                "offence_subtype": np.array([types[i][2] for i in range(len(types))])[ti],
                "sv_flag": np.where(np.array([types[i][3] for i in range(len(types))])[ti], "Y", "N"),
                "knife_flag": np.where(rng.random(total) < 0.02, "Y", "N"),
                "domestic_flag": np.where(rng.random(total) < 0.15, "Y", "N"), "location": "On or near Synthetic Street",
            })
            path = out / "offences" / f"extract-{year}-{month:02d}.csv.gz"
            with atomic_path(path) as tmp:
                with gzip.GzipFile(tmp, "wb", mtime=0, compresslevel=1) as gz:
                    gz.write(df.to_csv(index=False, lineterminator="\n").encode())
            files.append(str(path))
            pb.update(1)
    summary = {"synthetic": True, "year": year, "offences": int(n), "lsoas": int(len(lsoa)),
               "beats": int(lsoa["beat_code"].nunique()), "local_authorities": int(lsoa["LAD19CD"].nunique()),
               "forces": int(lsoa["force_code"].nunique()), "files": files}
    write_json(out / "MANIFEST.json", summary)
    return summary

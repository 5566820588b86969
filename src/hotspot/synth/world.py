"""Assemble the synthetic boundary layers: LSOAs, beats, local authorities and the force.

Codes cannot be mistaken for real ones: LSOAs ``X01000001``..., beats ``XB000001``..., local
authorities ``X06000001``.... Populations and households per local authority equal the VRU's
reference figures (``data/reference/local_authorities.csv``) exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspot.paths import reference_dir
from hotspot.schema import BNG
from hotspot.synth import geography as G
from hotspot.synth import places as P

#: LSOAs per local authority (close to the real 2011 counts) and beats per local authority.
N_LSOA = {
    "Bath and North East Somerset": 115, "Bristol, City of": 263, "North Somerset": 138,
    "Somerset": 327, "South Gloucestershire": 167,
}
N_BEATS = {
    "Bath and North East Somerset": 14, "Bristol, City of": 32, "North Somerset": 16,
    "Somerset": 38, "South Gloucestershire": 20,
}


@dataclass
class World:
    """The synthetic geography.

    Attributes
    ----------
    lsoa, beat, la, force : GeoDataFrame
        Layers as written to ``boundaries.gpkg`` (ONS-style field names).
    density : tuple of ndarray
        ``(x, y, residents)`` of the 125 m residential density grid inside the force.
    """

    lsoa: gpd.GeoDataFrame
    beat: gpd.GeoDataFrame
    la: gpd.GeoDataFrame
    force: gpd.GeoDataFrame
    density: tuple[np.ndarray, np.ndarray, np.ndarray]


def la_reference() -> pd.DataFrame:
    """Reference LA table indexed by the LA name used in the data set."""
    ref = pd.read_csv(reference_dir() / "local_authorities.csv")
    ref["name"] = ref["local_authority"].map(P.REF_LA_NAMES)
    return ref.set_index("name")


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer ``total`` in proportion to ``weights`` (largest remainder, deterministic)."""
    w = np.asarray(weights, dtype=float)
    share = total * w / w.sum()
    base = np.floor(share).astype(np.int64)
    rest = int(total - base.sum())
    order = np.lexsort((np.arange(w.size), -(share - base)))
    base[order[:rest]] += 1
    return base


def deprivation_field(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smooth deprivation index at points (sum of the hand-placed kernels in :data:`places.DEPRIVATION`)."""
    d = np.zeros(np.shape(x), dtype=float)
    for kx, ky, s, sd in P.DEPRIVATION:
        d += s * np.exp(-((x - kx) ** 2 + (y - ky) ** 2) / (2.0 * sd * sd))
    return d


def build_world(rng: np.random.Generator, progress=None) -> World:
    """Build every boundary layer deterministically from ``rng``."""
    force_poly = G.force_polygon()
    las = G.la_polygons(force_poly)
    lsoa = G.lsoa_layer(las, N_LSOA, rng, progress=progress)
    ref = la_reference()

    # population and households: LA totals exactly, LSOAs of similar size with some spread
    pop = np.zeros(len(lsoa), dtype=np.int64)
    hh = np.zeros(len(lsoa), dtype=np.int64)
    for name in las:
        idx = np.flatnonzero(lsoa["LAD19NM"].to_numpy() == name)
        w = rng.lognormal(0.0, 0.18, idx.size)
        pop[idx] = allocate(int(ref.loc[name, "population"]), w)
        hw = pop[idx] * rng.lognormal(0.0, 0.08, idx.size)
        hh[idx] = allocate(int(ref.loc[name, "households"]), hw)
    lsoa["population"] = pop
    lsoa["households"] = hh

    labels = G.beat_labels(lsoa, N_BEATS, rng)
    lsoa["_beat"] = labels
    la_order = {name: i for i, (_, name, _) in enumerate(P.LA_TABLE)}
    la_code = {name: code for code, name, _ in P.LA_TABLE}
    la_short = {name: short for _, name, short in P.LA_TABLE}

    # order beats by LA then north-to-south, west-to-east of their centroid; LSOAs likewise in beats
    bc = lsoa.dissolve(by="_beat", aggfunc={"LAD19NM": "first"})
    cen = shapely.centroid(bc.geometry.values)
    bc["cx"], bc["cy"] = shapely.get_x(cen), shapely.get_y(cen)
    bc["la_i"] = bc["LAD19NM"].map(la_order)
    bc = bc.sort_values(["la_i", "cy", "cx"], ascending=[True, False, True])
    beat_rank = {b: i for i, b in enumerate(bc.index)}
    lsoa["_beat_rank"] = lsoa["_beat"].map(beat_rank)
    lc = shapely.centroid(lsoa.geometry.values)
    lsoa["_cy"], lsoa["_cx"] = shapely.get_y(lc), shapely.get_x(lc)
    lsoa = lsoa.sort_values(["_beat_rank", "_cy", "_cx"], ascending=[True, False, True]).reset_index(drop=True)
    lsoa["LSOA11CD"] = [f"X01{i + 1:06d}" for i in range(len(lsoa))]
    lsoa["beat_code"] = [f"XB{r + 1:06d}" for r in lsoa["_beat_rank"]]
    # ONS-style names: "<LA short> <MSOA-like number><letter>"; the number counts beats within the LA
    names = []
    for name, grp in lsoa.groupby("LAD19NM", sort=False):
        ranks = {b: k + 1 for k, b in enumerate(dict.fromkeys(grp["_beat_rank"]))}
        letters: dict[int, int] = {}
        for i, b in zip(grp.index, grp["_beat_rank"]):
            letters[b] = letters.get(b, 0) + 1
            names.append((i, f"{la_short[name]} {ranks[b]:03d}{_letters(letters[b])}"))
    lsoa["LSOA11NM"] = pd.Series(dict(names)).sort_index()
    lsoa["LAD19CD"] = lsoa["LAD19NM"].map(la_code)

    beat = lsoa.dissolve(by="beat_code", aggfunc={"LAD19CD": "first", "LAD19NM": "first"}).reset_index()
    beat["geometry"] = shapely.set_precision(beat.geometry.values, G.GRID)
    cen = shapely.point_on_surface(beat.geometry.values)
    beat["beat_name"] = G.nearest_place_names(shapely.get_x(cen), shapely.get_y(cen), beat["LAD19NM"].to_numpy())
    beat = beat[["beat_code", "beat_name", "LAD19CD", "LAD19NM", "geometry"]]

    la_rows = []
    for code, name, _ in P.LA_TABLE:
        la_rows.append({"LAD19CD": code, "LAD19NM": name, "population": int(ref.loc[name, "population"]),
                        "households": int(ref.loc[name, "households"]), "geometry": las[name]})
    la = gpd.GeoDataFrame(la_rows, geometry="geometry", crs=BNG)
    force = gpd.GeoDataFrame({"name": ["Avon and Somerset"]}, geometry=[force_poly], crs=BNG)
    lsoa = gpd.GeoDataFrame(
        lsoa[["LSOA11CD", "LSOA11NM", "beat_code", "LAD19CD", "LAD19NM", "population", "households",
              "geometry"]], geometry="geometry", crs=BNG)
    density = G.density_grid(force_poly)
    return World(lsoa=lsoa, beat=beat, la=la, force=force, density=density)


def _letters(k: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (ONS uses A-Z; large synthetic beats may need more)."""
    out = ""
    while k > 0:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out

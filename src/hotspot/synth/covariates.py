"""Synthetic covariates: IMD 2019 (File 7 layout), Universal Credit (Stat-Xplore layout), population.

Deprivation follows hand-placed kernels (:data:`places.DEPRIVATION`) so the most deprived synthetic
LSOAs sit where ``imd_most_deprived_lsoas.csv`` says the real ones are (Hartcliffe & Withywood,
Filwood, Knowle West, Weston Bournville) and carry exactly the reference ranks. Universal Credit
households per local authority equal ``local_authorities.csv`` (November 2020).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.stats import norm

from hotspot.covariates.imd import IMD_FILE7_COLUMNS
from hotspot.paths import reference_dir
from hotspot.synth.world import World, allocate, deprivation_field, la_reference

N_ENGLAND = 32844

#: Reference area text -> anchor point (BNG) used to place the most deprived LSOAs.
DEPRIVED_ANCHORS = {
    "Hartcliffe & Withywood": (358000, 168000),
    "Weston Bournville": (332700, 160200),
    "Filwood": (359700, 169300),
    "Knowle": (359100, 169800),
}
LA_OFFSET = {"Bristol, City of": 0.15, "North Somerset": -0.1, "Somerset": 0.0,
             "Bath and North East Somerset": -0.3, "South Gloucestershire": -0.35}
#: UC households relative to November 2020, by month (national shape: the spring 2020 surge).
UC_SHAPE = {
    "2019-01": 0.40, "2019-02": 0.41, "2019-03": 0.42, "2019-04": 0.43, "2019-05": 0.44,
    "2019-06": 0.45, "2019-07": 0.46, "2019-08": 0.47, "2019-09": 0.48, "2019-10": 0.49,
    "2019-11": 0.50, "2019-12": 0.51, "2020-01": 0.52, "2020-02": 0.53, "2020-03": 0.60,
    "2020-04": 0.84, "2020-05": 0.93, "2020-06": 0.95, "2020-07": 0.96, "2020-08": 0.97,
    "2020-09": 0.97, "2020-10": 0.98, "2020-11": 1.00, "2020-12": 1.01, "2021-01": 1.03,
    "2021-02": 1.04, "2021-03": 1.04, "2021-04": 1.03, "2021-05": 1.02, "2021-06": 1.01,
}


def score_to_rank(score: np.ndarray) -> np.ndarray:
    """National rank of an IMD score under a lognormal stand-in for England's distribution."""
    p_above = norm.sf((np.log(score) - np.log(17.0)) / 0.6)
    return np.clip(np.round(p_above * N_ENGLAND), 1, N_ENGLAND).astype(np.int64)


def rank_to_score(rank: np.ndarray) -> np.ndarray:
    return 17.0 * np.exp(0.6 * norm.isf(np.asarray(rank, float) / N_ENGLAND))


def decile(rank: np.ndarray) -> np.ndarray:
    return np.minimum(10, np.ceil(np.asarray(rank) / (N_ENGLAND / 10))).astype(np.int64)


def _domain_rank(v: np.ndarray, higher_is_deprived: bool = True) -> np.ndarray:
    z = (v - v.mean()) / (v.std() or 1.0)
    if not higher_is_deprived:
        z = -z
    return np.clip(np.round(norm.sf(0.95 * z - 0.05) * N_ENGLAND), 1, N_ENGLAND).astype(np.int64)


def imd_table(world: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per LSOA in the IoD2019 File 7 layout (every published column)."""

    lsoa = world.lsoa
    c = shapely.centroid(lsoa.geometry.values)
    cx, cy = shapely.get_x(c), shapely.get_y(c)
    latent = deprivation_field(cx, cy) + lsoa["LAD19NM"].map(LA_OFFSET).to_numpy() + rng.normal(0, 0.3, len(lsoa))
    score = np.clip(13.0 * np.exp(0.5 * latent), 1.2, 70.0)
    rank = score_to_rank(score)
    rank = np.maximum(rank, 500)  # the ten reference LSOAs below are the most deprived
    ref = pd.read_csv(reference_dir() / "imd_most_deprived_lsoas.csv")
    taken: set[int] = set()
    for _, r in ref.sort_values("imd2019_rank_of_32844").iterrows():
        key = next(k for k in DEPRIVED_ANCHORS if k in r["area"])
        ax, ay = DEPRIVED_ANCHORS[key]
        d = np.hypot(cx - ax, cy - ay)
        for i in np.argsort(d):
            if int(i) not in taken:
                taken.add(int(i))
                rank[i] = int(r["imd2019_rank_of_32844"])
                break
    score = np.where(rank < 500, rank_to_score(rank), score)
    score = np.round(score, 3)
    rel = score / 17.0
    n = len(lsoa)
    ln = lambda s: rng.lognormal(0.0, s, n)  # noqa: E731
    rural = 1.0 - np.clip(world_density_at(world, cx, cy) / 30.0, 0, 1)
    dom = {
        "Income Score (rate)": np.clip(0.10 * rel ** 0.95 * ln(0.15), 0.005, 0.65).round(3),
        "Employment Score (rate)": np.clip(0.08 * rel ** 0.85 * ln(0.15), 0.004, 0.55).round(3),
        "Education, Skills and Training Score": np.clip(18 * rel ** 0.9 * ln(0.25), 0.05, 95).round(3),
        "Health Deprivation and Disability Score": (1.1 * np.log(rel) + rng.normal(0, 0.35, n)).round(3),
        "Crime Score": (0.9 * np.log(rel) + rng.normal(0, 0.4, n)).round(3),
        "Barriers to Housing and Services Score": np.clip(14 + 18 * rural + rng.normal(0, 6, n), 0.5, 70).round(3),
        "Living Environment Score": np.clip(16 * rel ** 0.5 * ln(0.35), 0.5, 90).round(3),
    }
    inc = dom["Income Score (rate)"]
    dom["Income Deprivation Affecting Children Index (IDACI) Score (rate)"] = np.clip(inc * 1.35 * ln(0.12), 0.003, 0.8).round(3)
    dom["Income Deprivation Affecting Older People (IDAOPI) Score (rate)"] = np.clip(inc * 1.15 * ln(0.15), 0.003, 0.8).round(3)
    edu = dom["Education, Skills and Training Score"]
    dom["Children and Young People Sub-domain Score"] = (np.log(edu / 18) + rng.normal(0, 0.3, n)).round(3)
    dom["Adult Skills Sub-domain Score"] = (np.log(edu / 18) * 0.9 + rng.normal(0, 0.3, n)).round(3)
    dom["Geographical Barriers Sub-domain Score"] = (2.2 * rural - 1 + rng.normal(0, 0.4, n)).round(3)
    dom["Wider Barriers Sub-domain Score"] = (0.8 * np.log(rel) + rng.normal(0, 0.5, n)).round(3)
    liv = dom["Living Environment Score"]
    dom["Indoors Sub-domain Score"] = (np.log(liv / 16) + rng.normal(0, 0.3, n)).round(3)
    dom["Outdoors Sub-domain Score"] = (0.6 * np.log(rel) + (1 - rural) * 0.8 + rng.normal(0, 0.3, n)).round(3)

    pop15 = np.round(lsoa["population"].to_numpy() * 0.97).astype(np.int64)
    out: dict[str, object] = {
        "LSOA code (2011)": lsoa["LSOA11CD"].to_numpy(),
        "LSOA name (2011)": lsoa["LSOA11NM"].to_numpy(),
        "Local Authority District code (2019)": lsoa["LAD19CD"].to_numpy(),
        "Local Authority District name (2019)": lsoa["LAD19NM"].to_numpy(),
        "Index of Multiple Deprivation (IMD) Score": score,
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": rank,
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": decile(rank),
        "Total population: mid 2015 (excluding prisoners)": pop15,
        "Dependent Children aged 0-15: mid 2015 (excluding prisoners)": np.round(pop15 * 0.19).astype(np.int64),
        "Population aged 16-59: mid 2015 (excluding prisoners)": np.round(pop15 * 0.57).astype(np.int64),
        "Older population aged 60 and over: mid 2015 (excluding prisoners)":
            pop15 - np.round(pop15 * 0.19).astype(np.int64) - np.round(pop15 * 0.57).astype(np.int64),
        "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners) ":
            np.round(pop15 * 0.60).astype(np.int64),
    }
    for name, v in dom.items():
        stem = name.replace(" Score (rate)", "").replace(" Score", "")
        r = _domain_rank(v)
        out[name] = v
        out[f"{stem} Rank (where 1 is most deprived)"] = r
        out[f"{stem} Decile (where 1 is most deprived 10% of LSOAs)"] = decile(r)
    cols = [c for c in IMD_FILE7_COLUMNS]
    # tolerate a trailing-space variant of the last published header
    table = {}
    for col in cols:
        if col in out:
            table[col] = out[col]
        elif col.strip() in {k.strip() for k in out}:
            table[col] = out[next(k for k in out if k.strip() == col.strip())]
        else:
            raise KeyError(f"synthetic IMD has no value for File 7 column {col!r}")
    return pd.DataFrame(table)


def world_density_at(world: World, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residents per 125 m cell at points (nearest density cell)."""

    gx, gy, dens = world.density
    _, i = cKDTree(np.column_stack([gx, gy])).query(np.column_stack([x, y]))
    return dens[i]


def uc_tables(world: World, imd: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Households on UC by month for LSOAs and LAs (columns ``code, name, YYYY-MM...``)."""
    ref = la_reference()
    lsoa = world.lsoa
    inc = imd["Income Score (rate)"].to_numpy()
    w_base = lsoa["households"].to_numpy() * inc ** 0.8 * rng.lognormal(0, 0.1, len(lsoa))
    months = list(UC_SHAPE)
    la_rows, lsoa_cols = [], {m: np.zeros(len(lsoa), dtype=np.int64) for m in months}
    for code, name in zip(world.la["LAD19CD"], world.la["LAD19NM"]):
        nov = int(ref.loc[name, "uc_households_nov_2020"])
        idx = np.flatnonzero(lsoa["LAD19CD"].to_numpy() == code)
        row = {"code": code, "name": name}
        for m, k in UC_SHAPE.items():
            total = nov if m == "2020-11" else int(round(nov * k))
            row[m] = total
            lsoa_cols[m][idx] = allocate(total, w_base[idx])
        la_rows.append(row)
    la = pd.DataFrame(la_rows)
    ls = pd.DataFrame({"code": lsoa["LSOA11CD"].to_numpy(), "name": lsoa["LSOA11NM"].to_numpy(), **lsoa_cols})
    return ls, la


def population_table(world: World) -> pd.DataFrame:
    """ONS mid-year estimate layout: ``LSOA Code, LSOA Name, All Ages``."""
    return pd.DataFrame({"LSOA Code": world.lsoa["LSOA11CD"], "LSOA Name": world.lsoa["LSOA11NM"],
                         "All Ages": world.lsoa["population"].astype(np.int64)})

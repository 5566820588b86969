"""A synthetic offence world for forecasting tests and the backtest benchmark.

Poisson daily counts per 250 m cell with a persistent spatial pattern (a few hotspots over a low
background, one night-time-economy (NTE) centre), weekly and annual seasonality, Fri/Sat-night
peaks in the NTE centre and a lockdown dip following the England restrictions timeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

X0, Y0, CELL = 355000.0, 170000.0, 250.0


def synthetic_offences(*, nx: int = 20, ny: int = 20, start: str = "2018-01-01",
                       end: str = "2021-06-30", total: float = 6000.0, seed: int = 0) -> pd.DataFrame:
    """Offences table (schema columns used by forecasting + lsoa/beat/la codes).

    ``total`` is the approximate number of offences over the whole period.
    """
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    gx, gy = gx.ravel(), gy.ravel()
    centres = [(0.3 * nx, 0.4 * ny, 2.0, 6.0), (0.7 * nx, 0.7 * ny, 1.5, 3.0),
               (0.2 * nx, 0.8 * ny, 1.2, 2.0)]
    w = np.full(gx.size, 0.15) * rng.gamma(2.0, 0.5, gx.size)
    for cx, cy, s, a in centres:
        w += a * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * s * s))
    nte = np.exp(-((gx - 0.3 * nx) ** 2 + (gy - 0.4 * ny) ** 2) / (2 * 1.5 ** 2)) > 0.3
    dow = np.array([0.85, 0.8, 0.85, 0.9, 1.15, 1.35, 1.1])[days.dayofweek.to_numpy()]
    season = 1.0 + 0.15 * np.sin(2 * np.pi * (days.dayofyear.to_numpy() - 100) / 365.25)
    lock = np.ones(len(days))
    nte_lock = np.ones(len(days))
    for a, b, f_all, f_nte in [("2020-03-23", "2020-07-03", 0.6, 0.25), ("2020-11-05", "2020-12-01", 0.8, 0.4),
                               ("2021-01-06", "2021-04-11", 0.7, 0.3), ("2021-04-12", "2021-05-16", 0.85, 0.6)]:
        m = (days >= a) & (days <= b)
        lock[m], nte_lock[m] = f_all, f_nte
    rate_t = dow * season
    base = w / w.sum()
    scale = total / (rate_t * lock).sum()
    lam = scale * np.outer(rate_t, base)                        # days x cells
    lam *= np.where(nte[None, :], (nte_lock * (1 + 0.6 * (days.dayofweek.to_numpy() >= 4)))[:, None], lock[:, None])
    counts = rng.poisson(lam)
    d_idx, c_idx = np.nonzero(counts)
    reps = counts[d_idx, c_idx]
    d_idx, c_idx = np.repeat(d_idx, reps), np.repeat(c_idx, reps)
    n = d_idx.size
    night = nte[c_idx] & (rng.random(n) < 0.7)
    hour = np.where(night, rng.choice([21, 22, 23, 0, 1, 2], n), rng.integers(8, 24, n))
    t = days[d_idx] + pd.to_timedelta(hour, "h") + pd.to_timedelta(rng.integers(0, 60, n), "min")
    e = X0 + gx[c_idx] * CELL + rng.uniform(1, CELL - 1, n)
    nth = Y0 + gy[c_idx] * CELL + rng.uniform(1, CELL - 1, n)
    return offences_frame(t, e, nth, gx[c_idx], gy[c_idx], rng)


def offences_frame(t, e, nth, cx, cy, rng: np.random.Generator) -> pd.DataFrame:
    """The offences table of a synthetic world: times, BNG points and their cell columns/rows
    (LSOAs are 4 x 4 cells, beats 10 x 10), 95% serious violence; sorted by time."""
    n = len(e)
    lsoa = [f"L{a:02d}{b:02d}" for a, b in zip(cx // 4, cy // 4)]
    beat = [f"B{a}{b}" for a, b in zip(cx // 10, cy // 10)]
    df = pd.DataFrame({
        "offence_id": [f"S{i:07d}" for i in range(n)], "occurred_at": t,
        "month": t.strftime("%Y-%m"), "time_precision": "exact",
        "crime_type": "Violence and sexual offences", "offence_subtype": "", "knife": False,
        "domestic": False, "serious_violence": rng.random(n) < 0.95, "sv_category": "vap_injury",
        "easting": e, "northing": nth, "location": "", "source_file": "synthetic",
        "source_line": np.arange(n) + 2, "lsoa_code": lsoa, "beat_code": beat, "la_code": "X06000001",
    })
    return df.sort_values("occurred_at").reset_index(drop=True)


def nte_cells(nx: int = 20, ny: int = 20) -> set[str]:
    """Cell ids (``"<x0>_<y0>"``) of the synthetic NTE centre."""
    out = set()
    for a in range(nx):
        for b in range(ny):
            if np.exp(-((a - 0.3 * nx) ** 2 + (b - 0.4 * ny) ** 2) / (2 * 1.5 ** 2)) > 0.3:
                out.add(f"{X0 + a * CELL:.0f}_{Y0 + b * CELL:.0f}")
    return out


def synthetic_lsoas(nx: int = 20, ny: int = 20):
    """LSOA polygons of the synthetic world (4 x 4 cell blocks, 1 km squares), ``lsoa_code``."""
    import geopandas as gpd
    from shapely.geometry import box

    codes, geoms = [], []
    for a in range((nx + 3) // 4):
        for b in range((ny + 3) // 4):
            codes.append(f"L{a:02d}{b:02d}")
            x, y = X0 + a * 4 * CELL, Y0 + b * 4 * CELL
            geoms.append(box(x, y, x + 4 * CELL, y + 4 * CELL))
    return gpd.GeoDataFrame({"lsoa_code": codes}, geometry=geoms, crs="EPSG:27700")


def synthetic_beats(nx: int = 20, ny: int = 20):
    """Beat polygons of the synthetic world (10 x 10 cell blocks), ``beat_code``."""
    import geopandas as gpd
    from shapely.geometry import box

    codes, geoms = [], []
    for a in range((nx + 9) // 10):
        for b in range((ny + 9) // 10):
            codes.append(f"B{a}{b}")
            x, y = X0 + a * 10 * CELL, Y0 + b * 10 * CELL
            geoms.append(box(x, y, x + 10 * CELL, y + 10 * CELL))
    return gpd.GeoDataFrame({"beat_code": codes}, geometry=geoms, crs="EPSG:27700")


def world_universe(unit: str = "cell", nx: int = 20, ny: int = 20):
    """The synthetic world's study area as a Universe: all nx x ny cells, or its LSOAs / beats.
    Fixed by geography, independent of the offences drawn."""
    from hotspot.grid.spec import GridSpec
    from hotspot.grid.universe import Universe

    if unit == "cell":
        return Universe.from_grid(GridSpec(x0=X0, y0=Y0, cell=CELL, nx=nx, ny=ny))
    polys = synthetic_lsoas(nx, ny) if unit == "lsoa" else synthetic_beats(nx, ny)
    return Universe.from_areas(polys, unit)

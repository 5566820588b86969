"""Numbered top hot spots: distinct places picked from the peaks of the Gi* hot cells.

The tasking list a meeting reads: each hot spot is a place a patrol or outreach team can be sent
to, with its name, its offences this cycle and last, a trend, when it happens and where it sits on
the deprivation scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from hotspot.forecast.profile import day_hour_table, format_windows, peak_windows
from hotspot.geography.names import place_names
from hotspot.grid.study_area import StudyArea
from hotspot.kernels.gistar import disk_stencil, window_sums_binary

#: Columns of the top hot spot table, in order.
TOP_COLUMNS = ["rank", "name", "count", "count_last", "trend", "peak_window", "main_types", "imd_decile",
               "z", "x", "y", "radius_m", "beat_code", "lsoa_code"]

#: What a month-only (police.uk) cycle shows instead of day/hour windows.
NO_HOURS = "not available in police.uk data"


def _trend(c_now: int, c_last: float | None) -> str:
    if c_last is None or not np.isfinite(c_last):
        return "not available"
    return "new" if c_last == 0 else f"{(c_now - c_last) / c_last:+.0%}"


def top_hotspots(gi: xr.Dataset, counts_last: xr.DataArray | None, now: pd.DataFrame, history: pd.DataFrame,
                 study_area: StudyArea, *, top_n: int = 10, imd_deciles: dict[str, Any] | None = None,
                 timed: bool = True) -> pd.DataFrame:
    """Numbered top-N hot spots: peaks of Gi* hot cells, each with its distance-band footprint.

    Candidate cells are Gi* hot spots at 95% or more; they are taken in decreasing order of the
    offences within the Gi* distance band around them (the same window the statistic uses), and a
    candidate closer than twice the band to an already chosen peak is skipped, so each hot spot is
    a distinct place. Each gets a name (beat and LSOA at its peak), offences within its footprint
    this cycle and last, a trend, peak day and hours (from the last 52 weeks of offences in the
    footprint; only when ``timed``), main offence types and the IMD decile of its LSOA.

    Parameters
    ----------
    gi : Dataset
        From :func:`hotspot.gistar` (``count``, ``z``, ``gi_class``; attrs ``cell``, ``distance``).
    counts_last : DataArray or None
        Counts of the previous cycle on the same grid; None when that period is not published.
    now, history : DataFrame
        This cycle's offences and the offences of the last 52 weeks and before.
    study_area : StudyArea
    top_n : int
    imd_deciles : dict, optional
        IMD decile by LSOA code.
    timed : bool
        False for month-only data: peak windows read :data:`NO_HOURS`.

    Returns
    -------
    DataFrame
        :data:`TOP_COLUMNS`, one row per hot spot, rank 1 first.
    """
    imd_deciles = imd_deciles or {}
    cell = float(gi.attrs["cell"])
    distance = float(gi.attrs["distance"])
    cnt = gi["count"].to_numpy()
    valid = np.isfinite(cnt)
    dy, hw = disk_stencil(distance / cell)
    win, _ = window_sums_binary(np.where(valid, cnt, 0.0), valid, dy, hw)
    win_last = None
    if counts_last is not None:
        last = np.asarray(counts_last.to_numpy(), dtype=float)
        win_last, _ = window_sums_binary(np.where(valid, last, 0.0), valid, dy, hw)
    cls = np.nan_to_num(gi["gi_class"].to_numpy().astype(float), nan=0)
    cand = np.flatnonzero(((cls >= 2) & valid).ravel())
    if cand.size == 0:
        return pd.DataFrame(columns=TOP_COLUMNS)
    order = cand[np.lexsort((cand, -win.ravel()[cand]))]
    xs, ys = gi["x"].to_numpy(), gi["y"].to_numpy()
    nx = xs.size
    peaks: list[int] = []
    for k in order:
        px, py = xs[k % nx], ys[k // nx]
        if all(np.hypot(px - xs[j % nx], py - ys[j // nx]) > 2 * distance for j in peaks):
            peaks.append(int(k))
            if len(peaks) == top_n:
                break
    px = np.array([xs[k % nx] for k in peaks])
    py = np.array([ys[k // nx] for k in peaks])
    names = place_names(px, py, study_area, tolerance=5000.0)
    when = pd.to_datetime(now["occurred_at"]) if timed else None
    hist = history
    if timed and when is not None and len(when):
        hist = history[history["occurred_at"] > when.max() - pd.Timedelta(weeks=52)]
    hx, hy = hist["easting"].to_numpy(), hist["northing"].to_numpy()
    rows = []
    for r, k in enumerate(peaks):
        inside = hist[np.hypot(hx - px[r], hy - py[r]) <= distance + cell / 2]
        if timed:
            windows = format_windows(peak_windows(day_hour_table(inside), share=0.4)) if len(inside) >= 10 else []
            peak = "; ".join(windows[:2])
        else:
            peak = NO_HOURS
        types = inside["sv_category"].replace("", np.nan).dropna()
        main = ", ".join(f"{t.replace('_', ' ')} {p:.0%}" for t, p in
                         types.value_counts(normalize=True).head(2).items()) if len(types) else ""
        c_now = int(win.ravel()[k])
        c_last = int(win_last.ravel()[k]) if win_last is not None else None
        rows.append({
            "rank": r + 1, "name": names["name"].iat[r], "count": c_now,
            "count_last": c_last if c_last is not None else np.nan, "trend": _trend(c_now, c_last),
            "peak_window": peak, "main_types": main,
            "imd_decile": imd_deciles.get(names["lsoa_code"].iat[r], np.nan),
            "z": round(float(gi["z"].to_numpy().ravel()[k]), 3), "x": float(px[r]), "y": float(py[r]),
            "radius_m": distance, "beat_code": names["beat_code"].iat[r], "lsoa_code": names["lsoa_code"].iat[r],
        })
    return pd.DataFrame(rows)

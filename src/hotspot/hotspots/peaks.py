"""The numbered top hot spots a tasking meeting reads: equal-sized micro places, named and described.

The places are :func:`hotspot.hotspots.places.micro_places` (rank-ordered circles of one radius, at
least a spacing apart, each holding a minimum number of offences a year, with the expected
offences per week and per patrol window and a warning when a place is too sparse to patrol or
evaluate), as the College of Policing's serious violence hot spots guidance defines them. Each
place is then named (the beat and LSOA at its centre) and described: this cycle's offences and the
last cycle's, its change against its own history by an exact Poisson test (never a percent
change), when it happens (timestamped data only) and the IMD decile of its LSOA.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspot.errors import ArgumentError
from hotspot.forecast.profile import day_hour_table, format_windows, peak_windows
from hotspot.geography.names import place_names
from hotspot.grid.study_area import StudyArea
from hotspot.hotspots.change import poisson_change
from hotspot.hotspots.places import micro_places

#: Columns of the top hot spot table, in order (``harm`` follows ``count`` when weights are given).
TOP_COLUMNS = ["rank", "name", "count", "count_last", "change", "expected_per_week", "expected_per_window",
               "too_sparse", "suggestion", "peak_window", "main_types", "imd_decile", "x", "y", "radius_m",
               "beat_code", "lsoa_code", "count_history", "rate_ratio", "change_p", "p_exact", "significant"]

#: What a month-only (police.uk) cycle shows instead of day/hour windows.
NO_HOURS = "not available in police.uk data"


def _within(x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray, radius: float) -> list[list[int]]:
    ok = np.isfinite(x) & np.isfinite(y)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return [[] for _ in px]
    tree = cKDTree(np.column_stack([x[ok], y[ok]]))
    return [list(idx[i]) for i in tree.query_ball_point(np.column_stack([px, py]), radius + 1e-6)]


def top_hotspots(now: pd.DataFrame, study_area: StudyArea, *, period_days: float,
                 last: pd.DataFrame | None = None, history: pd.DataFrame | None = None,
                 history_days: float = 0.0, top_n: int = 10, radius: float = 150.0, spacing: float = 500.0,
                 min_per_year: float = 24.0, weights: Any = None, history_weights: Any = None,
                 window_share: float = 1.0,
                 window_label: str = "week", imd_deciles: dict[str, Any] | None = None,
                 timed: bool = True, rank_by: str = "count") -> pd.DataFrame:
    """Numbered top-N micro hot spots of this cycle, named and described.

    Parameters
    ----------
    now : DataFrame
        This cycle's located offences (``easting``, ``northing``, ``sv_category``, ``occurred_at``).
    study_area : StudyArea
        For the place names (beat and LSOA) and the LSOA offered for sparse places.
    period_days : float
        Length of this cycle in days (28, or the days of the cycle's months).
    last : DataFrame, optional
        The previous cycle's offences; None when that period was not published (then
        ``count_last`` is empty, never 0).
    history, history_days : DataFrame, float
        Earlier offences (e.g. the year before the cycle, or every published month before it) and
        the days they cover: each place's change against its own history (E-test).
    top_n, radius, spacing, min_per_year :
        See :func:`hotspot.hotspots.places.micro_places`.
    weights, history_weights : array-like, optional
        Harm weight per offence of ``now`` and of ``history``: adds ``harm`` (this cycle's).
    window_share, window_label :
        Share of a week's offences in the patrol window: ``expected_per_window``.
    imd_deciles : dict, optional
        IMD decile by LSOA code (left out: "not available").
    timed : bool
        False for month-only data: peak windows read :data:`NO_HOURS`.
    rank_by : {"count", "harm"}
        Rank the places by this cycle's offences or by their harm (``weights`` needed); the
        other figure is shown beside it (Weinborn et al. 2017: hot spots and harm spots differ).
        Both rankings order the same circles (chosen by count, at least ``spacing`` apart), so a
        place in both lists has the same centre and the same figures.

    Returns
    -------
    DataFrame
        :data:`TOP_COLUMNS`, one row per place, rank 1 first; ``attrs`` keep the place rules.
        ``expected_per_week`` and ``too_sparse`` come from the pooled rate (this cycle and its
        history), the steadier estimate of what a patrol would meet.
    """
    # Places are chosen on this cycle and its history pooled, then ranked by this cycle: choosing
    # them on this cycle alone and testing its change would call almost every place "up" (the
    # winner's curse of selecting on the period being compared).
    if rank_by not in ("count", "harm") or (rank_by == "harm" and weights is None):
        raise ArgumentError("rank_by", rank_by, '"count", or "harm" with weights')
    has_hist = history is not None and len(history) > 0 and history_days > 0
    pool = pd.concat([now, history], ignore_index=True) if has_hist else now.reset_index(drop=True)
    pool_days = float(period_days) + (float(history_days) if has_hist else 0.0)
    pw = None
    if weights is not None:
        hw = history_weights if (has_hist and history_weights is not None) else np.ones(len(pool) - len(now))
        pw = np.concatenate([np.asarray(weights, float), np.asarray(hw, float)]) if has_hist else np.asarray(weights, float)
    cand = micro_places(pool["easting"].to_numpy(float), pool["northing"].to_numpy(float), period_days=pool_days,
                        weights=pw, units=pool["lsoa_code"].astype(str), radius=radius, spacing=spacing,
                        min_per_year=min_per_year, top=max(3 * top_n, top_n) if rank_by == "count" else None,
                        window_share=window_share, window_label=window_label)
    cols = TOP_COLUMNS[:3] + (["harm"] if weights is not None else []) + TOP_COLUMNS[3:]
    if cand.empty:
        return pd.DataFrame(columns=cols)
    cx, cy = cand["x"].to_numpy(float), cand["y"].to_numpy(float)
    in_now = _within(now["easting"].to_numpy(float), now["northing"].to_numpy(float), cx, cy, radius)
    cand["count_pooled"] = cand["count"]
    cand["count"] = [len(i) for i in in_now]
    if weights is not None:
        w_now = np.asarray(weights, float)
        cand["harm"] = [float(w_now[i].sum()) for i in in_now]
    by = ["count", "count_pooled"] if rank_by == "count" else ["harm", "count", "count_pooled"]
    cand = cand[cand["count"] > 0].sort_values(by, ascending=False, kind="stable")
    places = cand.head(top_n).reset_index(drop=True)
    if places.empty:
        return pd.DataFrame(columns=cols)
    places["rank"] = np.arange(1, len(places) + 1)
    if has_hist and history is not None:  # has_hist implies history is given
        hx, hy = history["easting"].to_numpy(float), history["northing"].to_numpy(float)
        hc = [len(i) for i in _within(hx, hy, places["x"].to_numpy(float), places["y"].to_numpy(float), radius)]
        ch = poisson_change(places["count"].to_numpy(int), np.asarray(hc, int), exposure_now=float(period_days),
                            exposure_history=float(history_days))
        places["count_history"] = hc
        places["rate_ratio"] = ch["rate_ratio"].to_numpy()
        places["change_p"] = ch["p_value"].to_numpy()
        places["change"] = ch["change"].to_numpy()
    px, py = places["x"].to_numpy(float), places["y"].to_numpy(float)
    names = place_names(px, py, study_area, tolerance=5000.0)
    out = places.copy()
    out["name"] = names["name"].to_numpy()
    out["lsoa_code"] = names["lsoa_code"].to_numpy()
    out["beat_code"] = names["beat_code"].to_numpy()
    out["radius_m"] = float(radius)
    if last is not None:
        lx, ly = last["easting"].to_numpy(float), last["northing"].to_numpy(float)
        out["count_last"] = [len(i) for i in _within(lx, ly, px, py, radius)]
    else:
        out["count_last"] = np.nan
    if "change" not in out:
        out["change"] = "not available (no history)"
    inside = _within(pool["easting"].to_numpy(float), pool["northing"].to_numpy(float), px, py, radius)
    peaks, mains = [], []
    for idx in inside:
        sub = pool.iloc[idx]
        if timed:
            windows = format_windows(peak_windows(day_hour_table(sub), share=0.4)) if len(sub) >= 10 else []
            peaks.append("; ".join(windows[:2]))
        else:
            peaks.append(NO_HOURS)
        types = sub["sv_category"].replace("", np.nan).dropna() if "sv_category" in sub else pd.Series(dtype=str)
        mains.append(", ".join(f"{t.replace('_', ' ')} {p:.0%}" for t, p in
                               types.value_counts(normalize=True).head(2).items()) if len(types) else "")
    out["peak_window"] = peaks
    out["main_types"] = mains
    deciles = imd_deciles or {}
    out["imd_decile"] = [deciles.get(c, np.nan) for c in out["lsoa_code"]]
    for c in cols:
        if c not in out:
            out[c] = np.nan
    result = out[cols].reset_index(drop=True)
    result.attrs.update(places.attrs)
    return result

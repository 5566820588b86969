"""Tasking-ready micro hot spots: rank-ordered, equal-sized, well-spaced places.

The College of Policing's guidance for serious violence hot spot policing asks for hot spots
that are small, equal-sized places (so that counts compare like with like and a patrol covers the
whole place), ranked by how much violence they hold, far enough apart to be distinct patrol
beats, with enough offences to be worth a patrol and to evaluate one [1]_ [2]_. Forces using
Home Office Grip funding define them in the same way: circles of about 150 m radius at least
500 m apart, holding a minimum number of offences a year [3]_.

:func:`micro_places` builds them from offence points: each candidate centre (every distinct
offence location, i.e. the police.uk snap points) counts the offences (and their harm) within
``radius``; the richest candidate becomes place 1, candidates closer than ``spacing`` to a chosen
place are dropped, and so on while a place still holds ``min_per_year`` offences a year. Each
place gets its expected offences per week and per patrol window, an exact Poisson test against
its surroundings (:mod:`hotspot.hotspots.inference`), and a flag when it expects fewer than one
offence a week: too few to patrol or to evaluate (a hot spot patrol trial needs events to
prevent), with the larger unit offered (the LSOA holding most of its offences, or a 250 m cell).

References
----------
.. [1] College of Policing (2022, updated 2023). *Hot spots policing: serious violence*. What
   works guidance; and the Crime Reduction Toolkit entry on hot spots policing.
.. [2] Sherman, L. W., Weisburd, D. (1995). General deterrent effects of police patrol in crime
   "hot spots": a randomized, controlled trial. *Justice Quarterly* 12(4), 625-648; Braga, A. A.,
   Turchan, B., Papachristos, A. V., Hureau, D. M. (2019). Hot spots policing of small geographic
   areas effects on crime. *Campbell Systematic Reviews* 15(3), e1046.
.. [3] Home Office (2021-2024). Grip: serious violence hot spot policing programme guidance;
   Bland, M., Leggetter, M., Cestaro, D., Sebire, J. (2021). Targeting, testing and tracking in
   hot spots policing (Essex Police). *Cambridge J. Evidence-Based Policing* 5, 1-22.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from hotspot.errors import ArgumentError
from hotspot.hotspots.change import poisson_change
from hotspot.hotspots.fdr import adjust
from hotspot.hotspots.inference import binomial_tails

#: Defaults from the guidance: 150 m radius, 500 m between centres.
RADIUS_M = 150.0
SPACING_M = 500.0
#: Offences a year below which a place is not a hot spot (about one a fortnight).
MIN_PER_YEAR = 24.0
#: A place expecting fewer offences a week than this gets ``too_sparse``.
MIN_PER_WEEK = 1.0
#: Radius of the background disk the place is tested against.
BACKGROUND_M = 2_000.0


def _positive(name: str, v: Any, what: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ArgumentError(name, v, what) from None
    if not np.isfinite(f) or f <= 0:
        raise ArgumentError(name, v, what)
    return f


def micro_places(x: Any, y: Any, *, period_days: float, weights: Any = None, units: Any = None,
                 radius: float = RADIUS_M, spacing: float = SPACING_M,
                 min_per_year: float = MIN_PER_YEAR, top: int | None = 20,
                 window_share: float = 1.0, window_label: str = "week",
                 background: float = BACKGROUND_M, alpha: float = 0.05,
                 history: tuple[Any, Any, float] | None = None) -> pd.DataFrame:
    """Rank-ordered micro hot spots of equal size (circles), at least ``spacing`` apart.

    Parameters
    ----------
    x, y : array_like
        Offence eastings and northings (EPSG:27700, metres); non-finite pairs are ignored.
    period_days : float
        Length of the period the offences cover (e.g. 365 for a year, 151 for five months).
    weights : array_like, optional
        Harm weight per offence (:mod:`hotspot.hotspots.harm`); gives the ``harm`` column.
    units : array_like of str, optional
        Larger unit of each offence (e.g. its LSOA code), offered for places that are too sparse.
    radius, spacing : float
        Place radius and the smallest distance between two place centres, metres.
    min_per_year : float
        Fewest offences a year a place must hold.
    top : int or None
        Most places returned (None = all that qualify).
    window_share : float
        Share of a week's offences falling in the patrol window (e.g. from
        :func:`hotspot.forecast.profile.day_hour_table`: Friday-Saturday 20:00-02:00 may hold 0.3);
        ``expected_per_window = expected_per_week * window_share``. 1 = the whole week.
    window_label : str
        Name of the window for the report.
    background : float
        Radius of the surrounding disk for the exact Poisson test of each place (metres).
    alpha : float
        Level for ``significant`` (Benjamini-Yekutieli over the places returned).
    history : (x, y, days), optional
        Earlier offences and the length of that period: adds ``count_history`` (offences within
        the same circle), ``rate_ratio``, ``change_p`` and ``change`` ("up", "down", "no
        significant change"; Krishnamoorthy-Thomson E-test, :func:`hotspot.hotspots.change.poisson_change`).

    Returns
    -------
    DataFrame
        One row per place, best first: ``rank, x, y, count, harm`` (if weights),
        ``per_year, expected_per_week, expected_per_window, window, expected_background,
        p_exact, q_value, significant, too_sparse, suggestion`` and, with ``units``, ``unit`` (the
        unit holding most of the place's offences) and ``unit_per_week``. Attributes record the
        parameters.

    Notes
    -----
    Candidates are the distinct offence locations, ranked by count (harm breaks ties, then the
    mean distance to the offences inside, so the most central of equal candidates wins, then the
    coordinates, so the result is deterministic). A greedy pick with a minimum spacing is the
    usual construction of non-overlapping equal-area hot spots; as the circles are at least
    ``spacing > 2 radius`` apart, no offence is counted in two places.
    """


    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if xa.size != ya.size:
        raise ArgumentError("y", f"{ya.size} values", f"one per x value ({xa.size})")
    days = _positive("period_days", period_days, "the number of days the offences cover (> 0)")
    r = _positive("radius", radius, "a place radius in metres > 0 (default 150)")
    sp = _positive("spacing", spacing, "a spacing in metres > 0 (default 500)")
    if sp < 2 * r:
        raise ArgumentError("spacing", spacing, f"at least twice the radius ({2 * r:g} m) so places do not overlap")
    bg = _positive("background", background, "a background radius in metres > radius")
    if bg <= r:
        raise ArgumentError("background", background, f"more than the radius ({r:g} m)")
    if not (0 < float(window_share) <= 1):
        raise ArgumentError("window_share", window_share, "a share of the week in (0, 1]")
    if min_per_year is None or not np.isfinite(float(min_per_year)) or float(min_per_year) < 0:
        raise ArgumentError("min_per_year", min_per_year, "a number of offences a year >= 0")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1):
        raise ArgumentError("top", top, "a positive integer or None")
    w = None if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w is not None and w.size != xa.size:
        raise ArgumentError("weights", f"{w.size} values", f"one per offence ({xa.size})")
    u = None if units is None else np.asarray(units, dtype=object).ravel()
    if u is not None and u.size != xa.size:
        raise ArgumentError("units", f"{u.size} values", f"one per offence ({xa.size})")
    ok = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[ok], ya[ok]
    w = w[ok] if w is not None else None
    u = u[ok] if u is not None else None
    cols = ["rank", "x", "y", "count"] + (["harm"] if w is not None else []) + [
        "per_year", "expected_per_week", "expected_per_window", "window", "expected_background",
        "p_exact", "q_value", "significant", "too_sparse", "suggestion"] + (
        ["unit", "unit_per_week"] if u is not None else [])
    weeks = days / 7.0
    if xa.size == 0:
        return pd.DataFrame(columns=cols)
    pts = np.column_stack([xa, ya])
    cand = np.unique(pts, axis=0)
    tree = cKDTree(pts)
    inside = tree.query_ball_point(cand, r + 1e-6)
    count = np.array([len(i) for i in inside], dtype=np.float64)
    harm = np.array([w[i].sum() for i in inside]) if w is not None else count
    # ties (several candidates holding the same offences) go to the most central candidate
    spread = np.array([np.hypot(*(pts[i] - c).T).mean() if len(i) else np.inf
                       for i, c in zip(inside, cand)])
    order = np.lexsort((cand[:, 1], cand[:, 0], spread, -harm, -count))
    min_count = float(min_per_year) * days / 365.25
    chosen: list[int] = []
    ctree_pts: list[np.ndarray] = []
    for k in order:
        if count[k] < max(min_count, 1.0):
            break
        c = cand[k]
        if ctree_pts and np.min(np.hypot(*(np.asarray(ctree_pts) - c).T)) < sp:
            continue
        chosen.append(int(k))
        ctree_pts.append(c)
        if top is not None and len(chosen) >= top:
            break
    if not chosen:
        return pd.DataFrame(columns=cols)
    cx, cy = cand[chosen, 0], cand[chosen, 1]
    n_bg = np.array([len(i) for i in tree.query_ball_point(cand[chosen], bg)], dtype=np.float64)
    pi = (r / bg) ** 2
    obs = count[chosen]
    up, _lo = binomial_tails(obs, n_bg, np.full(obs.shape, pi))
    q = adjust(up, "bh_dependence")
    per_week = obs / weeks
    out = pd.DataFrame({"rank": np.arange(1, len(chosen) + 1), "x": cx, "y": cy, "count": obs.astype(int)})
    if w is not None:
        out["harm"] = harm[chosen]
    out["per_year"] = obs * 365.25 / days
    out["expected_per_week"] = per_week
    out["expected_per_window"] = per_week * float(window_share)
    out["window"] = window_label
    out["expected_background"] = n_bg * pi
    out["p_exact"] = up
    out["q_value"] = q
    out["significant"] = q <= alpha
    out["too_sparse"] = per_week < MIN_PER_WEEK
    out["suggestion"] = np.where(out["too_sparse"],
                                 "fewer than 1 offence a week expected: task the LSOA or a 250 m cell "
                                 "instead, or pool weeks", "")
    if u is not None:
        units_list, units_rate = [], []
        unit_counts = pd.Series(u).value_counts()
        for k in chosen:
            vals = pd.Series(u[inside[k]]).value_counts()
            best = str(vals.index[0]) if len(vals) else ""
            units_list.append(best)
            units_rate.append(float(unit_counts.get(best, 0)) / weeks)
        out["unit"] = units_list
        out["unit_per_week"] = units_rate
    if history is not None:

        hx = np.asarray(history[0], dtype=np.float64).ravel()
        hy = np.asarray(history[1], dtype=np.float64).ravel()
        hdays = _positive("history", history[2], "(x, y, days) with the history's length in days > 0")
        hok = np.isfinite(hx) & np.isfinite(hy)
        if hok.any():
            htree = cKDTree(np.column_stack([hx[hok], hy[hok]]))
            hc = np.array([len(i) for i in htree.query_ball_point(cand[chosen], r + 1e-6)])
        else:
            hc = np.zeros(len(chosen), dtype=int)
        ch = poisson_change(obs.astype(int), hc, exposure_now=days, exposure_history=hdays)
        out["count_history"] = hc
        out["rate_ratio"] = ch["rate_ratio"].to_numpy()
        out["change_p"] = ch["p_value"].to_numpy()
        out["change"] = ch["change"].to_numpy()
        cols = cols + ["count_history", "rate_ratio", "change_p", "change"]
    out.attrs.update({"radius": r, "spacing": sp, "min_per_year": float(min_per_year),
                      "period_days": days, "window_share": float(window_share), "background": bg})
    return out[cols]


def to_circles(places: pd.DataFrame, crs: str = "EPSG:27700"):
    """The places as circle polygons (GeoDataFrame) of their radius (``attrs['radius']``)."""

    r = float(places.attrs.get("radius", RADIUS_M))
    geom = gpd.points_from_xy(places["x"], places["y"]).buffer(r, resolution=16)
    return gpd.GeoDataFrame(places.copy(), geometry=geom, crs=crs)

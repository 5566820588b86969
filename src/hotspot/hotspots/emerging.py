"""Emerging hot spot analysis: space-time Gi* per step, Mann-Kendall trend, ArcGIS categories.

Every bin ``(time, y, x)`` of a space-time cube of counts gets a Getis-Ord Gi* z-score over a
space-time neighbourhood (cells within ``distance`` in the same step and the same cells in the
``time_lag`` previous steps, self included), a two-sided p-value and, after a false-discovery-rate
adjustment within each step, a hot/cold flag at the chosen significance (90% by default, as
ArcGIS). The Mann-Kendall test on each cell's series of z-scores measures whether clustering is
intensifying or diminishing, and each cell is put into one of the seventeen ArcGIS Pro pattern
categories (:data:`hotspot.schema.EMERGING_CATEGORIES`). Categories are a pure function of the
cube and the parameters: no randomness.

References
----------
.. [1] Esri. *How Emerging Hot Spot Analysis works*, ArcGIS Pro tool reference (Space Time Pattern
   Mining toolbox).
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm
.. [2] Getis, A., Ord, J. K. (1992). The analysis of spatial association by use of distance
   statistics. *Geographical Analysis* 24(3), 189-206.
.. [3] Ord, J. K., Getis, A. (1995). Local spatial autocorrelation statistics: distributional
   issues and an application. *Geographical Analysis* 27(4), 286-306.
.. [4] Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica* 13(3), 245-259.
.. [5] Kendall, M. G. (1975). *Rank Correlation Methods*, 4th ed. London: Griffin.
.. [6] Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57(1),
   289-300.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from scipy.special import ndtr
from scipy.stats import norm

from hotspot.errors import ArgumentError, InputError
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.fdr import adjust
from hotspot.hotspots.inference import spacetime_test
from hotspot.kernels.emerging import bh_rows, disk_offsets, mann_kendall_1d, mann_kendall_cube, spacetime_gistar
from hotspot.schema import EMERGING_CATEGORIES

#: Share of time steps that must be significant hot (cold) for persistent, intensifying,
#: diminishing and historical patterns (ArcGIS: "90 percent of the time-step intervals").
PERSISTENT_SHARE = 0.9
NO_PATTERN = EMERGING_CATEGORIES.index("no pattern detected")
#: Fewest time steps accepted by default. Esri's Emerging Hot Spot Analysis needs at least 10
#: time-step intervals in the cube; with fewer, "90% of the steps" is every step and the
#: Mann-Kendall trend of under 10 values has little power.
MIN_STEPS = 10
_FDR_METHODS = ("bh", "bh_dependence", "none")
#: p thresholds of Gi* classes 3, 2, 1 (99%, 95%, 90%; ArcGIS Gi_Bin).
CLASS_THRESHOLDS = (0.01, 0.05, 0.10)


def mann_kendall(x: Any) -> dict:
    """Mann-Kendall trend test of one series (in time order).

    Parameters
    ----------
    x : array_like
        Values in time order; NaN values are skipped.

    Returns
    -------
    dict
        ``s`` (Kendall's S), ``var`` (variance of S with the tie correction), ``z`` (with the
        continuity correction) and ``p`` (two-sided, normal approximation).

    Notes
    -----
    ``S = sum_{i<j} sign(x_j - x_i)``,
    ``Var(S) = [n(n-1)(2n+5) - sum_g t_g (t_g - 1)(2 t_g + 5)] / 18`` (``t_g`` = size of tie group
    ``g``), ``z = (S - sign(S)) / sqrt(Var(S))``.

    References
    ----------
    .. [1] Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica* 13, 245-259.
    .. [2] Kendall, M. G. (1975). *Rank Correlation Methods*, 4th ed. Griffin.
    .. [3] Gilbert, R. O. (1987). *Statistical Methods for Environmental Pollution Monitoring*.
       Van Nostrand Reinhold, ch. 16.
    .. [4] Little, J. A Mann-Kendall example "by hand" (S = 54, Z = 2.9058; used in the tests).
       https://mathcs.holycross.edu/~little/Montserrat/MannKendallByHand.txt
    """


    a = np.ascontiguousarray(x, dtype=np.float64).ravel()
    s, var, z = mann_kendall_1d(a)
    p = float(2.0 * norm.sf(abs(z))) if np.isfinite(z) else float("nan")
    return {"s": float(s), "var": float(var), "z": float(z), "p": p}


def _bh_per_step(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values within each time step (NaN ignored)."""

    nt = p.shape[0]
    return bh_rows(np.ascontiguousarray(p.reshape(nt, -1))).reshape(p.shape)


def _adjust(p: np.ndarray, fdr: str) -> np.ndarray:
    """FDR-adjusted p-values within each time step."""
    if fdr == "none":
        return p.copy()
    if fdr == "bh":
        return _bh_per_step(p)

    return np.stack([adjust(p[t], method=fdr) for t in range(p.shape[0])])


def _gi_class(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Gi* classes -3..3 (:data:`hotspot.schema.GI_CLASSES`) from z and adjusted p (NaN -> 0)."""
    with np.errstate(invalid="ignore"):
        level = (q <= CLASS_THRESHOLDS[2]).view(np.int8).copy()
        level += (q <= CLASS_THRESHOLDS[1]).view(np.int8)
        level += (q <= CLASS_THRESHOLDS[0]).view(np.int8)
        level[z < 0] *= -1
        level[~(z != 0)] = 0  # z == 0 or NaN
    return level


def classify_patterns(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray,
                      *, trend_alpha: float = 0.1, share: float = PERSISTENT_SHARE) -> np.ndarray:
    """ArcGIS Pro emerging hot spot pattern of every location.

    Parameters
    ----------
    hot, cold : ndarray of bool, shape (T, ...)
        Whether each bin is a significant hot (cold) spot; time on axis 0, last = final step.
    trend_z, trend_p : ndarray, shape (...)
        Mann-Kendall z and p of each location's Gi* z-score series.
    trend_alpha : float
        Significance level of the trend (default 0.1, i.e. 90%).
    share : float
        Share of time steps for the "90 percent" rules (default 0.9).

    Returns
    -------
    ndarray of int8, shape (...)
        Index into :data:`hotspot.schema.EMERGING_CATEGORIES` (16 = no pattern detected).

    Notes
    -----
    A bin is significant hot (cold) when its Gi* z-score is positive (negative) with an
    FDR-adjusted p-value at or below ``alpha`` (90% confidence by default, as in [1]_); "90%"
    below means at least ``share`` (0.9) of all time steps. Rules from Esri [1]_ (hot shown;
    cold is the mirror image with "cold" for "hot" and the trend
    sign reversed, i.e. an intensifying cold spot has significantly *falling* z-scores):

    - **new**: significant hot in the final step and never significant hot before.
    - **consecutive**: a single uninterrupted run of at least two significant hot bins ending in
      the final step, never significant hot before that run, and fewer than 90% of all steps
      significant hot.
    - **intensifying**: significant hot in at least 90% of the steps including the final step,
      and the Mann-Kendall trend of the z-scores is significantly increasing.
    - **persistent**: significant hot in at least 90% of the steps (including the final step
      here; see historical) with no significant trend.
    - **diminishing**: significant hot in at least 90% of the steps including the final step,
      with a significantly decreasing trend.
    - **sporadic**: significant hot in the final step, an on-and-off history of hot steps (fewer
      than 90%), and never significant cold.
    - **oscillating**: significant hot in the final step, fewer than 90% of steps hot, and
      significant cold in at least one earlier step.
    - **historical**: not significant hot in the final step, but significant hot in at least 90%
      of the steps.
    - **no pattern detected**: none of the above.

    The rules are evaluated in the order listed, so every location gets exactly one category
    (e.g. a location hot only in the final step but cold earlier is "new", as "new" only
    requires no earlier *hot* step). Esri's text does not say whether persistent requires the
    final step; here a location with >= 90% hot steps whose final step is not hot is historical,
    unless its final step is a significant cold spot: then the cold rules (which describe the
    current state) apply, e.g. hot for 9 of 10 steps then cold is a new cold spot.

    References
    ----------
    .. [1] Esri. How Emerging Hot Spot Analysis works. ArcGIS Pro.
       https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    tz = np.asarray(trend_z, dtype=float)
    tp = np.asarray(trend_p, dtype=float)
    if hot.shape != cold.shape or hot.ndim < 1:
        raise ArgumentError("cold", cold.shape, f"the same shape as hot {hot.shape}")
    if tz.shape != hot.shape[1:] or tp.shape != hot.shape[1:]:
        raise ArgumentError("trend_z", tz.shape, f"shape {hot.shape[1:]} (one value per location)")
    out = np.full(hot.shape[1:], NO_PATTERN, dtype=np.int8)
    sig_trend = np.isfinite(tp) & (tp <= trend_alpha)
    up = sig_trend & (tz > 0)
    down = sig_trend & (tz < 0)
    # cold first, hot second with "hot" written last: a bin is never both hot and cold
    for flags, other, base, rising, falling in ((cold, hot, 8, down, up), (hot, cold, 0, up, down)):
        nt = flags.shape[0]
        n_sig = flags.sum(axis=0)
        final = flags[-1]
        rev_not = ~flags[::-1]
        run = np.where(rev_not.any(axis=0), rev_not.argmax(axis=0), nt)  # final run length
        before_run = n_sig - run
        most = n_sig >= share * nt - 1e-9
        ever_other = other[:-1].any(axis=0)
        cat = np.full(hot.shape[1:], -1, dtype=np.int16)
        rules = [
            (final & (n_sig == 1), 0),                                       # new
            (final & (run >= 2) & (before_run == 0) & ~most, 1),             # consecutive
            (final & most & rising, 2),                                      # intensifying
            (final & most & ~rising & ~falling, 3),                          # persistent
            (final & most & falling, 4),                                     # diminishing
            (final & ~most & ~ever_other, 5),                                # sporadic
            (final & ~most & ever_other, 6),                                 # oscillating
            (~final & most & ~other[-1], 7),                                 # historical
        ]
        for cond, k in reversed(rules):  # first listed rule wins
            cat[cond] = k
        sel = cat >= 0
        out[sel] = (cat[sel] + base).astype(np.int8)
    return out


def _check_cube(cube: Any, min_steps: int = MIN_STEPS):

    if not isinstance(cube, xr.DataArray):
        raise ArgumentError("cube", type(cube).__name__,
                            "an xarray.DataArray with dims ('time', 'y', 'x') from space_time_cube")
    if tuple(cube.dims) != ("time", "y", "x"):
        raise ArgumentError("cube", f"dims {tuple(cube.dims)}",
                            "dims ('time', 'y', 'x') (use .transpose('time', 'y', 'x'))")
    if cube.sizes["time"] < 3:
        raise ArgumentError("cube", f"{cube.sizes['time']} time steps",
                            "at least 3 time steps (the Mann-Kendall trend needs a series); "
                            "widen --from/--to or use a shorter step")
    if cube.sizes["time"] < int(min_steps):
        raise InputError(f"the space-time cube has {cube.sizes['time']} time steps, fewer than the "
                         f"{int(min_steps)} emerging hot spot analysis needs (Esri: at least 10; with fewer "
                         "the 90%-of-steps rules and the Mann-Kendall trend are meaningless): widen "
                         "--from/--to, use a shorter --step (week instead of month), or lower "
                         "min_steps explicitly if you accept the weaker analysis")
    return cube


def emerging_hotspots(cube: Any, distance: float, *, time_lag: int = 1, fdr: str = "bh_dependence",
                      alpha: float = 0.1, trend_alpha: float = 0.1, inference: str = "exact",
                      background: float | None = None, min_steps: int = MIN_STEPS):
    """Emerging hot spot analysis of a space-time cube of counts.

    Parameters
    ----------
    cube : xarray.DataArray
        dims ``("time", "y", "x")`` (from :func:`hotspot.grid.cube.space_time_cube`), y
        descending, ``cell`` attribute in metres; NaN marks cells outside the study area.
    distance : float
        Neighbourhood distance in metres: cells whose centres are within it are neighbours.
    time_lag : int
        Previous time steps in the space-time neighbourhood (ArcGIS "Neighborhood Time Step";
        default 1; 0 = purely spatial per step).
    fdr : {"bh_dependence", "bh", "none"}
        False-discovery-rate adjustment of the per-bin p-values, within each step (each step is
        one hot spot analysis): Benjamini-Yekutieli (default; valid for the overlapping
        space-time windows), Benjamini-Hochberg (ArcGIS), or none.
    alpha : float
        Significance of a hot/cold bin (default 0.1 = 90%, as ArcGIS).
    trend_alpha : float
        Significance of the Mann-Kendall trend (default 0.1).
    inference : {"exact", "analytic"}
        ``"exact"`` (default, valid for sparse counts): the exact conditional Poisson test of
        each bin's space-time neighbourhood against its place's background disk over the whole
        cube and the force-wide time profile (:func:`hotspot.hotspots.inference.spacetime_test`);
        ``"analytic"``: the normal p-value of the Gi* z-score (ArcGIS; invalid for sparse counts).
    background : float, optional
        Background radius in metres of the exact test (default 10 x ``distance``).
    min_steps : int
        Fewest time steps accepted (default :data:`MIN_STEPS` = 10, as Esri); fewer raise
        :class:`~hotspot.errors.InputError`.

    Returns
    -------
    xarray.Dataset
        ``count``, ``z``, ``p``, ``p_adjusted``, ``gi_class`` (int8 -3..3 as
        :data:`~hotspot.schema.GI_CLASSES`: 99/95/90% on ``p_adjusted``) and ``hot``/``cold``
        (bool, significant at ``alpha``) per ``(time, y, x)`` bin; per cell ``category`` (str,
        "" outside the study area), ``category_code`` (int8 index into :data:`~hotspot.schema.EMERGING_CATEGORIES`,
        -1 outside), ``trend_s``, ``trend_z``, ``trend_p``, ``n_hot_steps``, ``n_cold_steps``,
        ``final_z``. Attributes record the parameters.

    Notes
    -----
    Gi* uses binary weights over the space-time neighbourhood, with the mean and standard
    deviation of all valid bins of the cube, as the ArcGIS tool [1]_ analyses the whole cube at
    once. At the first ``time_lag`` steps the neighbourhood is truncated to the steps that exist.
    ``count`` may share memory with ``cube``. Category rules: :func:`classify_patterns`.

    References
    ----------
    .. [1] Esri. How Emerging Hot Spot Analysis works. ArcGIS Pro.
       https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm
    .. [2] Getis and Ord (1992); Ord and Getis (1995).
    .. [3] Mann (1945); Kendall (1975).
    """


    if inference not in ("exact", "analytic"):
        raise ArgumentError("inference", inference, "'exact' or 'analytic'")
    cube = _check_cube(cube, min_steps)
    spacing = abs(float(cube["x"][1] - cube["x"][0])) if cube.sizes["x"] > 1 else np.nan
    cell = float(cube.attrs.get("cell", spacing))
    try:
        d = float(distance)
    except (TypeError, ValueError):
        raise ArgumentError("distance", distance, "a neighbourhood distance in metres > 0") from None
    if not np.isfinite(d) or d <= 0:
        raise ArgumentError("distance", distance, "a finite neighbourhood distance in metres > 0")
    if not np.isfinite(cell) or cell <= 0:
        raise ArgumentError("cube", "no 'cell' attribute", "a 'cell' attribute in metres")
    if isinstance(time_lag, bool) or not isinstance(time_lag, (int, np.integer)) or time_lag < 0:
        raise ArgumentError("time_lag", time_lag, "an integer number of previous steps >= 0")
    if time_lag >= cube.sizes["time"]:
        raise ArgumentError("time_lag", time_lag, f"fewer than the {cube.sizes['time']} time steps")
    if fdr not in _FDR_METHODS:
        raise ArgumentError("fdr", fdr, f"one of {_FDR_METHODS}")
    for name, v in (("alpha", alpha), ("trend_alpha", trend_alpha)):
        if not (isinstance(v, (int, float)) and 0 < v < 1):
            raise ArgumentError(name, v, "a significance level between 0 and 1 (e.g. 0.1)")

    values = np.ascontiguousarray(cube.values, dtype=np.float64)
    valid = ~np.isnan(values[0])
    if (np.isnan(values) != ~valid[None]).any():
        raise ArgumentError("cube", "NaN in some steps only",
                            "NaN for the same cells at every step (outside the study area)")
    if valid.sum() < 2:
        raise ArgumentError("cube", f"{int(valid.sum())} valid cells", "at least 2 cells inside the study area")
    dr, dc = disk_offsets(d / cell)
    z = spacetime_gistar(values, dr, dc, int(time_lag))
    p = np.abs(z)  # two-sided p, computed in place to keep peak memory down
    np.negative(p, out=p)
    ndtr(p, out=p)
    p *= 2.0
    direction = z
    extra = {}
    if inference == "exact":

        ex = spacetime_test(values, cell, d, int(time_lag), background)
        direction = np.where(ex["p_upper"] < ex["p_lower"], 1.0, -1.0)
        direction[np.isnan(ex["p_exact"])] = np.nan
        p_test = ex["p_exact"]
        extra = {"p_exact": (("time", "y", "x"), ex["p_exact"]),
                 "expected": (("time", "y", "x"), ex["expected"])}
    else:
        p_test = p
    p_adj = _adjust(p_test, fdr)
    with np.errstate(invalid="ignore"):
        sig = p_adj <= alpha  # NaN (outside) compares False
        hot = sig & (direction > 0)
        cold = sig & (direction < 0)
    del sig
    gi_class = _gi_class(direction, p_adj)
    trend_s, trend_z = mann_kendall_cube(z)
    trend_p = np.where(np.isfinite(trend_z), 2.0 * ndtr(-np.abs(np.nan_to_num(trend_z))), np.nan)
    code = classify_patterns(hot, cold, np.nan_to_num(trend_z), np.where(valid, trend_p, 1.0),
                             trend_alpha=trend_alpha)
    code = np.where(valid, code, -1).astype(np.int8)
    labels = np.array(EMERGING_CATEGORIES + [""], dtype=object)
    category = labels[code].astype(str)  # -1 -> ""

    dims3, dims2 = ("time", "y", "x"), ("y", "x")
    attrs = {k: v for k, v in cube.attrs.items() if k in ("crs", "cell", "step")}
    attrs.update({"distance": d, "time_lag": int(time_lag), "fdr": fdr, "alpha": float(alpha),
                  "trend_alpha": float(trend_alpha), "neighbours_per_step": int(dr.size),
                  "inference": inference, "min_steps": int(min_steps),
                  "method": "space-time Getis-Ord Gi* + Mann-Kendall (ArcGIS emerging hot spot rules)"})
    ds = xr.Dataset(
        {
            "count": (dims3, values),
            "z": (dims3, z),
            "p": (dims3, p),
            **extra,
            "p_adjusted": (dims3, p_adj),
            "gi_class": (dims3, gi_class),
            "hot": (dims3, hot),
            "cold": (dims3, cold),
            "category": (dims2, category),
            "category_code": (dims2, code),
            "trend_s": (dims2, trend_s),
            "trend_z": (dims2, trend_z),
            "trend_p": (dims2, trend_p),
            "n_hot_steps": (dims2, np.where(valid, hot.sum(axis=0), -1).astype(np.int32)),
            "n_cold_steps": (dims2, np.where(valid, cold.sum(axis=0), -1).astype(np.int32)),
            "final_z": (dims2, z[-1]),
        },
        coords={"time": cube["time"].values, "y": cube["y"].values, "x": cube["x"].values},
        attrs=attrs,
    )
    return ds


def category_counts(ds: Any) -> dict[str, int]:
    """Number of valid cells in each category (every category listed, in schema order)."""
    cats = np.asarray(ds["category"].values).ravel()
    return {c: int((cats == c).sum()) for c in EMERGING_CATEGORIES}


def to_cells(ds: Any, *, patterns_only: bool = False):
    """Cell polygons with their emerging hot spot category.

    By default every cell inside the study area is kept, "no pattern detected" included (so the
    layer covers the whole study area and a map can show those cells faintly); cells outside the
    study area are always dropped.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`emerging_hotspots`.
    patterns_only : bool
        Drop cells with "no pattern detected" too (a much smaller layer).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``row, col, x, y, category, category_code, trend_z, trend_p, n_hot_steps,
        n_cold_steps, final_z, total_count``, square cell polygons, CRS EPSG:27700.
    """

    if not ds.attrs.get("crs"):  # a CRS is never assumed
        raise ArgumentError("ds", "a result without a 'crs' attribute", "the Dataset from emerging_hotspots "
                            "of a cube whose attrs name its CRS (EPSG:27700)")
    ref = ds["category_code"].assign_attrs(cell=ds.attrs.get("cell"), crs=ds.attrs["crs"])
    if ref.attrs["cell"] is None:
        ref.attrs.pop("cell")
    spec = GridSpec.from_dataarray(ref)
    values = {k: ds[k].values for k in ("category", "category_code", "trend_z", "trend_p",
                                         "n_hot_steps", "n_cold_steps", "final_z")}
    values["total_count"] = ds["count"].sum("time", skipna=False).values
    gdf = spec.to_geodataframe(values)
    keep = (gdf["category_code"] >= 0) & ~(patterns_only & (gdf["category_code"] == NO_PATTERN))
    return gdf[keep].reset_index(drop=True)

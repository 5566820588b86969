"""Getis-Ord Gi* hot spots on a regular grid of counts.

:func:`gistar` computes, for every cell inside the study area, the Gi* z-score of the counts in a
disk of radius ``distance`` around it (self included), its normal p-value, optionally a
conditional-permutation pseudo p-value, the false-discovery-rate adjusted p-value and the ArcGIS
``Gi_Bin`` class -3..3. :func:`to_cells` turns the result into a layer of cell polygons.

Cells that are NaN in ``counts`` are outside the study area: they are *absent*, not zero. They
enter neither the mean, the standard deviation, the number of cells ``n`` nor any neighbourhood,
so the result on the valid cells equals ``esda.G_Local(y, w, star=True, transform="B")`` with
``libpysal.weights.DistanceBand(centres, threshold=distance, binary=True)`` built on the valid
cell centres only.

The statistic, with ``x`` the counts of the ``n`` valid cells, ``xbar`` their mean,
``S = sqrt(mean(x^2) - xbar^2)`` and ``w_ij`` the weight of cell ``j`` for cell ``i``
(``w_ii = 1``)::

    z_i = (sum_j w_ij x_j - xbar sum_j w_ij)
          / (S sqrt((n sum_j w_ij^2 - (sum_j w_ij)^2) / (n - 1)))

For binary weights this is esda's ``(G_i - E[G_i]) / sqrt(V[G_i])`` exactly. Window sums use
per-row summed-area tables over the disk (cost independent of the number of cells in the disk).

References
----------
.. [1] Getis, A., Ord, J. K. (1992). The analysis of spatial association by use of distance
   statistics. Geographical Analysis 24(3), 189-206.
.. [2] Ord, J. K., Getis, A. (1995). Local spatial autocorrelation statistics: distributional
   issues and an application. Geographical Analysis 27(4), 286-306.
.. [3] Esri, ArcGIS Pro tool reference, "How Hot Spot Analysis (Getis-Ord Gi*) works".
.. [4] Rey, S. J., Anselin, L. (2007). PySAL: a Python library of spatial analytical methods.
   Review of Regional Studies 37(1), 5-27 (``esda.G_Local``, conditional randomisation).
.. [5] Ashby, M. P. J. (2023). sfhotspot, ``hotspot_gistar``.
   https://CRAN.R-project.org/package=sfhotspot
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from scipy.special import ndtr

from hotspot.errors import ArgumentError
from hotspot.hotspots import fdr as _fdr
from hotspot.hotspots import inference as _inf
from hotspot.kernels import gistar as kern

#: Accepted values of ``weights``.
WEIGHTS = ("binary", "linear", "gaussian")


def _stencil_weights(dist_cells: np.ndarray, radius_cells: float, weights: str) -> np.ndarray:
    """Weight of each stencil offset (distance in cell units) for the named weighting scheme.

    ``binary``: 1 inside the disk. ``linear``: ``1 - d / distance`` (a triangular decay that
    reaches 0 at the edge). ``gaussian``: ``exp(-d^2 / (2 sigma^2))`` with
    ``sigma = distance / 2``, truncated at ``distance``. The cell itself always weighs 1.
    """
    if weights == "binary":
        return np.ones_like(dist_cells, dtype=np.float64)
    if weights == "linear":
        return np.clip(1.0 - dist_cells / radius_cells, 0.0, 1.0)
    sigma = radius_cells / 2.0
    return np.exp(-0.5 * (dist_cells / sigma) ** 2)


def _cell_size(counts: xr.DataArray) -> float:
    cell = counts.attrs.get("cell")
    if cell is None:
        xs = np.asarray(counts["x"].values, dtype=np.float64)
        ys = np.asarray(counts["y"].values, dtype=np.float64)
        steps = np.concatenate([np.abs(np.diff(xs)), np.abs(np.diff(ys))])
        if steps.size == 0:
            raise ArgumentError("counts", "a grid of one cell without attrs['cell']",
                                "a grid with attrs['cell'] (use hotspot.grid.binning.count_points)")
        cell = float(np.median(steps))
    return float(cell)


def _check_counts(counts: Any) -> xr.DataArray:
    if not isinstance(counts, xr.DataArray):
        raise ArgumentError("counts", type(counts).__name__,
                            "an xarray.DataArray with dims ('y', 'x') from count_points")
    if tuple(counts.dims) != ("y", "x"):
        raise ArgumentError("counts", f"dims {tuple(counts.dims)}",
                            "dims ('y', 'x') (select one time step of a cube first)")
    return counts


def gistar_arrays(values: np.ndarray, cell: float, distance: float, *, weights: str = "binary",
                  permutations: int = 0, seed: int | None = None,
                  window_sums: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Gi* on a plain 2-D array (NaN = outside the study area).

    Parameters
    ----------
    values : ndarray of float, shape (ny, nx)
        Counts (or any non-negative attribute); NaN marks cells outside the study area.
    cell : float
        Cell size in metres.
    distance : float
        Neighbourhood radius in metres between cell centres (inclusive).
    weights : {"binary", "linear", "gaussian"}
        Neighbour weighting (see :func:`gistar`).
    permutations : int
        Conditional permutations for ``p_sim`` (0 = none).
    seed : int, optional
        Seed of the permutation draws.
    window_sums : (sums, counts), optional
        Precomputed binary window sums of the valid values and of the valid cells (as returned by
        :func:`hotspot.kernels.gistar.window_sums_binary`), e.g. computed tile by tile on Dask by
        :func:`hotspot.scale.gistar_tiled`. Binary weights only.

    Returns
    -------
    dict of str -> ndarray
        ``z``, ``p`` (two-sided normal), ``neighbours`` (valid cells in the window, self
        included), and if permuting ``p_sim`` (one-sided pseudo p-value, esda's "directed") and
        ``p_perm`` (two-sided, ties on both sides; see :func:`_p_sim`).
    """


    y = np.ascontiguousarray(values, dtype=np.float64)
    if y.ndim != 2:
        raise ArgumentError("values", f"an array of shape {y.shape}", "a 2-D grid (ny, nx)")
    try:
        d = float(distance)
    except (TypeError, ValueError):
        raise ArgumentError("distance", distance, "a neighbourhood radius in metres > 0") from None
    if not np.isfinite(d) or d <= 0:
        raise ArgumentError("distance", distance, "a finite neighbourhood radius in metres > 0")
    if weights not in WEIGHTS:
        raise ArgumentError("weights", weights, "one of " + ", ".join(repr(w) for w in WEIGHTS))
    try:
        cell = float(cell)
    except (TypeError, ValueError):
        raise ArgumentError("cell", cell, "a cell size in metres > 0") from None
    if not np.isfinite(cell) or cell <= 0:
        raise ArgumentError("cell", cell, "a finite cell size in metres > 0")
    if d / cell > 1000:
        raise ArgumentError("distance", distance, f"at most 1000 cells ({1000 * cell:g} m) for cell {cell:g} m")
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise ArgumentError("permutations", permutations, "an integer >= 0 (e.g. 999)")
    valid = ~np.isnan(y)
    if np.any(np.isinf(y)):
        raise ArgumentError("counts", "infinite values", "finite counts (NaN outside the study area)")
    if np.any(y[valid] < 0):
        raise ArgumentError("counts", "negative values", "non-negative counts (Gi* needs x >= 0)")
    n = int(valid.sum())
    if n < 3:
        raise ArgumentError("counts", f"{n} cells inside the study area", "at least 3 valid cells")
    radius = d / float(cell)
    yv = y[valid]
    xbar = yv.mean()
    s = np.sqrt((yv * yv).mean() - xbar * xbar)
    if window_sums is not None:
        if weights != "binary":
            raise ArgumentError("window_sums", "precomputed sums", "binary weights only")
        swy, sw = (np.asarray(a, dtype=np.float64) for a in window_sums)
        sw2 = sw
        cnt = sw
    elif weights == "binary":
        dy, hw = kern.disk_stencil(radius)
        swy, sw = kern.window_sums_binary(y, valid, dy, hw)
        sw2 = sw
        cnt = sw
    else:
        oy, ox, dist = kern.stencil_offsets(radius)
        w = _stencil_weights(dist, radius, weights)
        swy, sw, sw2, cnt = kern.window_sums_weighted(y, valid, oy, ox, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        den = s * np.sqrt((n * sw2 - sw * sw) / (n - 1))
        z = (swy - xbar * sw) / den
        z[~np.isfinite(z)] = np.nan
    p = 2.0 * ndtr(-np.abs(z))
    out = {"z": z, "p": p, "neighbours": np.where(valid, cnt, np.nan)}
    if permutations:
        oy, ox, dist = kern.stencil_offsets(radius)
        w = _stencil_weights(dist, radius, weights)
        out["p_sim"], out["p_perm"] = _p_sim(y, valid, oy, ox, w, int(permutations), seed, n)
    return out


def _p_sim(y: np.ndarray, valid: np.ndarray, oy: np.ndarray, ox: np.ndarray, w: np.ndarray,
           permutations: int, seed: int | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo p-values from conditional permutations.

    Returns
    -------
    p_sim : ndarray
        esda's "directed" pseudo p-value ``(min(#>=, #<) + 1) / (permutations + 1)``, where
        ``#>=`` counts simulated neighbour sums at least the observed one (one-sided, in the
        observed direction; identical in definition to ``esda.G_Local(...).p_sim``).
    p_perm : ndarray
        Two-sided, tie-aware ``min(1, 2 (min(#>=, #<=) + 1) / (permutations + 1))``. esda's
        folding counts ties only on the upper side, so a cell whose neighbours are all zero in
        sparse data gets the smallest possible ``p_sim`` and would be a "99% cold spot"; counting
        ties on both sides avoids that. Used for the classes.
    """

    max_k = min(int(oy.size) - 1, n - 1)
    rng = np.random.default_rng(seed)
    if np.all(w == 1.0):
        # binary weights: prefix sums over max_k + 1 draws among all n cells (O(1) per cell)
        ids = np.empty((permutations, max_k + 1), dtype=np.int64)
        for p in range(permutations):
            ids[p] = rng.choice(n, size=ids.shape[1], replace=False)
        larger, smaller, _k = kern.conditional_permutation_counts_binary(y, valid, oy, ox, ids)
    else:
        ids = np.empty((permutations, max(max_k, 1)), dtype=np.int64)
        for p in range(permutations):
            ids[p] = rng.choice(n - 1, size=ids.shape[1], replace=False)
        larger, smaller, _k = kern.conditional_permutation_counts(y, valid, oy, ox, w, ids)
    larger = larger.astype(np.float64)
    smaller = smaller.astype(np.float64)
    extreme = np.minimum(larger, permutations - larger)
    p_sim = (extreme + 1.0) / (permutations + 1.0)
    p_perm = np.minimum(1.0, 2.0 * (np.minimum(larger, smaller) + 1.0) / (permutations + 1.0))
    p_sim[~valid] = np.nan
    p_perm[~valid] = np.nan
    return p_sim, p_perm


def _crs_of(obj: Any, name: str) -> str:
    """The CRS recorded in a grid's attributes; a CRS is never assumed."""
    crs = getattr(obj, "attrs", {}).get("crs")
    if not crs:
        raise ArgumentError(name, "a grid without a 'crs' attribute",
                            "a grid whose attrs name its CRS (EPSG:27700), e.g. from "
                            "hotspot.grid.binning.count_points or GridSpec.dataarray")
    return str(crs)


def gistar(counts: xr.DataArray, distance: float, *, weights: str = "binary", permutations: int = 0,
           seed: int | None = None, fdr: str = "bh_dependence", alpha: float = 0.05,
           window_sums: tuple[np.ndarray, np.ndarray] | None = None, inference: str | None = None,
           background: float | None = None, dispersion: bool = True) -> xr.Dataset:
    """Getis-Ord Gi* hot and cold spots of a grid of counts.

    Parameters
    ----------
    counts : xarray.DataArray
        Dims ``("y", "x")`` with cell-centre coordinates (from
        :func:`hotspot.grid.binning.count_points`); NaN = outside the study area; ``attrs["cell"]``
        the cell size in metres (else inferred from the coordinates).
    distance : float
        Neighbourhood radius in metres: cells whose centres are within ``distance`` of the
        cell's centre (inclusive) are its neighbours; the cell itself is always included (Gi*).
    weights : {"binary", "linear", "gaussian"}
        ``"binary"`` (default; ArcGIS fixed distance band, esda ``transform="B"``): every
        neighbour weighs 1, and window sums cost ``O(cells x rows in disk)``. ``"linear"``:
        ``1 - d / distance``. ``"gaussian"``: ``exp(-d^2 / (2 (distance / 2)^2))``. Decay
        weights use a direct convolution, ``O(cells x cells in disk)``.
    permutations : int
        Number of conditional permutations for the pseudo p-value ``p_sim`` (0 = none; 999 is
        usual). With ``inference="permutation"`` the classes use the two-sided tie-aware
        permutation p-value ``p_perm = min(1, 2 (min(#>=, #<=) + 1) / (permutations + 1))``.
    seed : int, optional
        Seed of the permutations (same inputs and seed give the same ``p_sim``).
    fdr : {"bh_dependence", "bh", "none"}
        Multiple-testing adjustment over cells (:func:`hotspot.hotspots.fdr.adjust`). Default
        Benjamini-Yekutieli (valid under the strong dependence of overlapping windows; see
        :mod:`hotspot.hotspots.inference`); ``"bh"`` is ArcGIS's FDR option.
    alpha : float
        Level at which ``attrs["n_hot"]`` and ``attrs["n_cold"]`` count significant cells.
    window_sums : (sums, counts), optional
        Precomputed binary window sums (see :func:`gistar_arrays`; used by
        :func:`hotspot.scale.gistar_tiled`).
    inference : {"exact", "analytic", "permutation"}, optional
        Which p-value makes the classes. ``"exact"`` (default; the only one valid for sparse
        counts): the exact conditional binomial test of the neighbourhood count against the
        background disk (:func:`hotspot.hotspots.inference.local_test`), classes signed by
        observed minus expected. ``"analytic"``: the normal p-value of ``z`` (ArcGIS, esda
        ``p_norm``); trusted only when every neighbourhood expects at least
        :data:`~hotspot.hotspots.inference.ANALYTIC_MIN_EXPECTED` offences, else a warning.
        ``"permutation"``: ``p_perm`` (needs ``permutations``; too coarse for an FDR over many
        cells). Default: ``"permutation"`` when ``permutations`` is given, else ``"exact"``.
    background : float, optional
        Background radius in metres of the exact test (default 10 x ``distance``; ``inf`` = the
        whole study area, i.e. the homogeneous null).
    dispersion : bool
        Correct the exact test for overdispersion of dense counts (robust quasi-Poisson scale,
        :func:`hotspot.hotspots.inference.overdispersion`; 1 on sparse data). Default True.

    Returns
    -------
    xarray.Dataset
        Variables ``count``, ``z``, ``p`` (two-sided normal p-value; esda's ``p_norm`` is the
        one-sided ``p / 2``), ``p_sim`` and ``p_perm`` (if ``permutations``; esda's one-sided
        "directed" pseudo p, and the two-sided tie-aware one used for the classes),
        ``p_exact``, ``expected`` and ``observed`` (the exact test: two-sided p-value, the
        neighbourhood count the background predicts and the one observed; computed for every
        inference), ``p_adjusted``, ``neighbours`` (valid cells in the window, self included) and
        ``gi_class`` (int8, -3..3, :data:`hotspot.schema.GI_CLASSES`; 0 outside the study
        area); attrs ``distance``, ``weights``, ``permutations``, ``seed``, ``fdr``, ``alpha``,
        ``cell``, ``crs``, ``n_cells``, ``mean_neighbours``, ``n_hot``, ``n_cold``.

    Raises
    ------
    ArgumentError
        For a wrong argument (names it and says what it must be).

    References
    ----------
    .. [1] Ord, J. K., Getis, A. (1995). Geographical Analysis 27(4), 286-306.
    .. [2] Benjamini, Y., Hochberg, Y. (1995). J. R. Stat. Soc. B 57(1), 289-300.
    .. [3] Benjamini, Y., Yekutieli, D. (2001). Annals of Statistics 29(4), 1165-1188.
    .. [4] Przyborowski, J., Wilenski, H. (1940). Biometrika 31, 313-323 (conditional test of
       two Poisson rates; see :mod:`hotspot.hotspots.inference`).
    """


    counts = _check_counts(counts)
    if inference is None:
        inference = "permutation" if permutations else "exact"
    if inference not in ("exact", "analytic", "permutation"):
        raise ArgumentError("inference", inference, "one of 'exact', 'analytic', 'permutation'")
    if inference == "permutation" and not permutations:
        raise ArgumentError("permutations", permutations, "> 0 with inference='permutation' (e.g. 999)")
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise ArgumentError("alpha", alpha, "a significance level in (0, 1)") from None
    if not 0 < a < 1:
        raise ArgumentError("alpha", alpha, "a significance level in (0, 1)")
    if fdr not in _fdr.FDR_METHODS:
        raise ArgumentError("fdr", fdr, "one of " + ", ".join(repr(m) for m in _fdr.FDR_METHODS))
    cell = _cell_size(counts)
    res = gistar_arrays(counts.values, cell, distance, weights=weights, permutations=permutations,
                        seed=seed, window_sums=window_sums)
    ex = _inf.local_test(counts.values, cell, distance, background,
                         weighted=bool(counts.attrs.get("weighted", 0)) or None,
                         dispersion_correction=bool(dispersion))
    direction = res["z"]
    if inference == "exact":
        p_test = ex["p_exact"]
        direction = np.where(ex["p_upper"] < ex["p_lower"], 1.0, -1.0)
        direction[np.isnan(p_test)] = np.nan
    elif inference == "permutation":
        p_test = res["p_perm"]
    else:
        p_test = res["p"]
        low = float(np.nanmin(ex["expected"])) if np.any(np.isfinite(ex["expected"])) else 0.0
        if low < _inf.ANALYTIC_MIN_EXPECTED:
            warnings.warn(f"analytic (normal) Gi* p-values with a neighbourhood expecting only "
                          f"{low:.2g} offences: the normal tail is not valid below "
                          f"{_inf.ANALYTIC_MIN_EXPECTED:g} expected; use inference='exact'",
                          RuntimeWarning, stacklevel=2)
    q = _fdr.adjust(p_test, fdr)
    if inference == "permutation" and fdr != "none" and np.nanmin(q) > _fdr.CLASS_THRESHOLDS[-1]:
        warnings.warn(f"with {int(permutations)} permutations the smallest permutation p-value is "
                      f"{2 / (permutations + 1):.2g}, too coarse to survive the {fdr!r} FDR adjustment "
                      f"over {int(np.sum(~np.isnan(q))):,} cells: no cell is significant. Use the "
                      "exact test (inference='exact', the default) or many more permutations.",
                      RuntimeWarning, stacklevel=2)
    cls = _fdr.classify(direction, q)
    coords = {"y": counts["y"], "x": counts["x"]}
    dims = ("y", "x")
    data = {
        "count": (dims, np.asarray(counts.values, dtype=np.float64)),
        "z": (dims, res["z"]),
        "p": (dims, res["p"]),
    }
    if permutations:
        data["p_sim"] = (dims, res["p_sim"])
        data["p_perm"] = (dims, res["p_perm"])
    data["p_exact"] = (dims, ex["p_exact"])
    data["expected"] = (dims, ex["expected"])
    data["observed"] = (dims, ex["observed"])
    data["p_adjusted"] = (dims, q)
    data["neighbours"] = (dims, res["neighbours"])
    data["gi_class"] = (dims, cls)
    valid = ~np.isnan(counts.values)
    with np.errstate(invalid="ignore"):
        sig = q <= a
    attrs = {
        "distance": float(distance), "weights": weights, "permutations": int(permutations),
        "seed": -1 if seed is None else int(seed), "fdr": fdr, "alpha": a, "cell": cell,
        "crs": _crs_of(counts, "counts"), "n_cells": int(valid.sum()),
        "mean_neighbours": float(np.nanmean(res["neighbours"])),
        "n_hot": int(np.sum(sig & (direction > 0))), "n_cold": int(np.sum(sig & (direction < 0))),
        "inference": inference, "background": float(ex["background"]),
        "overdispersion": float(ex["overdispersion"]),
        "p_used_for_classes": {"exact": "p_exact", "permutation": "p_perm", "analytic": "p"}[inference],
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def to_cells(ds: xr.Dataset, where: Any = None):
    """Cell polygons of a :func:`gistar` result, masked cells dropped.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`gistar` (needs ``x``/``y`` coordinates at cell centres and ``attrs["cell"]``).
    where : (ny, nx) bool array, optional
        Keep only these cells (e.g. significant or non-empty ones; polygons are built for them alone).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700 squares with columns ``count, z, p, p_sim, p_perm`` (if present), ``p_adjusted``,
        ``class`` (int), ``class_label``, one row per cell inside the study area, north-west
        first.
    """

    if not isinstance(ds, xr.Dataset) or "gi_class" not in ds:
        raise ArgumentError("ds", type(ds).__name__, "the xarray.Dataset returned by gistar()")
    cell = float(ds.attrs.get("cell") or _cell_size(ds["count"]))
    xx, yy = np.meshgrid(ds["x"].values.astype(np.float64), ds["y"].values.astype(np.float64))
    keep = ~np.isnan(ds["count"].values)
    if where is not None:
        keep &= np.asarray(getattr(where, "values", where), dtype=bool)
    x, y = xx[keep], yy[keep]
    h = cell / 2.0
    geom = shapely.box(x - h, y - h, x + h, y + h)
    cols = {"count": ds["count"].values[keep], "z": ds["z"].values[keep], "p": ds["p"].values[keep]}
    for name in ("p_sim", "p_perm", "p_exact", "expected", "observed"):
        if name in ds:
            cols[name] = ds[name].values[keep]
    cols["p_adjusted"] = ds["p_adjusted"].values[keep]
    cls = ds["gi_class"].values[keep].astype(np.int64)
    cols["class"] = cls
    cols["class_label"] = _fdr.class_labels(cls).astype(str)
    return gpd.GeoDataFrame(cols, geometry=geom, crs=_crs_of(ds, "ds"))

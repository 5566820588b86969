"""Area-level (LSOA, beat) hot spots: Gi* and local Moran's I via libpysal and esda.

Polygons instead of grid cells: neighbours come from :mod:`libpysal.weights` (queen contiguity or
a distance band between centroids) and the statistics from :mod:`esda`; nothing is reimplemented
here, this module validates the inputs, builds the weights, reports islands, adjusts for multiple
testing and labels the result.

References
----------
.. [1] Ord, J. K., Getis, A. (1995). Local spatial autocorrelation statistics: distributional
   issues and an application. Geographical Analysis 27(4), 286-306.
.. [2] Anselin, L. (1995). Local indicators of spatial association - LISA. Geographical Analysis
   27(2), 93-115.
.. [3] Anselin, L., Syabri, I., Smirnov, O. (2002). Visualizing multivariate spatial correlation
   with dynamically linked windows. (Bivariate local Moran.)
.. [4] Rey, S. J., Anselin, L. (2007). PySAL: a Python library of spatial analytical methods.
   Review of Regional Studies 37(1), 5-27.
"""

from __future__ import annotations

import warnings
from typing import Any

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal import weights as lw
from pyproj import CRS

from hotspot.errors import ArgumentError, InputError
from hotspot.hotspots import fdr as _fdr
from hotspot.schema import BNG

#: LISA quadrant labels by esda's ``q`` code (1 HH, 2 LH, 3 LL, 4 HL) and "ns" (not significant).
LISA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


class IslandWarning(UserWarning):
    """Some areas have no neighbours under the chosen weights."""


#: esda kernels that take another kernel as an argument: numba cannot cache them across processes.
_UNCACHEABLE = frozenset({"compute_chunk", "parallel_crand", "chunk_generator"})
_ESDA_CACHED = False


def _cache_esda_kernels() -> None:
    """Let Numba keep esda's permutation kernels on disk (esda compiles them in every process).

    esda decorates its conditional-randomisation kernels with ``njit`` without ``cache=True``, so
    each new process spends ~30 s compiling them before the first ``permutations=999`` call; the
    weekly cycle runs in a fresh process. :meth:`numba.core.dispatcher.Dispatcher.enable_caching`
    turns Numba's own on-disk cache on for those that can be cached (the kernel-taking
    ``compute_chunk`` cannot: ~8 s remain). Results are unchanged: only where the compiled code
    comes from differs. Any failure leaves esda as it is.
    """
    global _ESDA_CACHED
    if _ESDA_CACHED:
        return
    _ESDA_CACHED = True
    try:
        # guarded: esda's private kernels may move between releases; caching them is an optimisation
        from esda import crand, getisord, moran, significance  # noqa: PLC0415
        from numba.core.dispatcher import Dispatcher  # noqa: PLC0415

        for mod in (crand, getisord, moran, significance):
            for name, obj in vars(mod).items():
                if isinstance(obj, Dispatcher) and name not in _UNCACHEABLE:
                    obj.enable_caching()
    except Exception:  # noqa: BLE001 - an optimisation only; esda's behaviour is unchanged
        pass


def _check_gdf(gdf: Any, column: str, name: str = "column") -> np.ndarray:

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise ArgumentError("gdf", type(gdf).__name__, "a GeoDataFrame of areas in EPSG:27700")
    if gdf.crs is None or not CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(BNG)):
        raise ArgumentError("gdf", f"a layer in {gdf.crs}", f"a layer in {BNG} (reproject with .to_crs)")
    if len(gdf) < 3:
        raise ArgumentError("gdf", f"{len(gdf)} areas", "at least 3 areas")
    if column not in gdf.columns:
        raise ArgumentError(name, column, "a column of the layer: " + ", ".join(map(str, gdf.columns)))
    try:
        y = np.asarray(gdf[column], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"values must be numbers (got {gdf[column].dtype})", column=column) from None
    bad = ~np.isfinite(y)
    if bad.any():
        raise InputError(f"{int(bad.sum())} missing or infinite values (first at row "
                         f"{int(np.argmax(bad))}); fill them or drop those areas", column=column)
    return y


def build_weights(gdf, *, weights: str = "queen", distance: float | None = None):
    """Spatial weights of a polygon layer (binary), with a warning naming any islands.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Areas in EPSG:27700.
    weights : {"queen", "distance"}
        ``"queen"``: polygons sharing an edge or a corner (:class:`libpysal.weights.Queen`).
        ``"distance"``: centroids within ``distance`` metres
        (:class:`libpysal.weights.DistanceBand`, binary).
    distance : float, optional
        Required for ``weights="distance"``.

    Returns
    -------
    libpysal.weights.W
        Ids are row positions ``0..n-1``.
    """

    if weights == "queen":
        if distance is not None:
            raise ArgumentError("distance", distance, "None with weights='queen' (or use weights='distance')")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = lw.Queen.from_dataframe(gdf.reset_index(drop=True), use_index=False)
    elif weights == "distance":
        try:
            d = float(distance)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ArgumentError("distance", distance, "a band in metres > 0 for weights='distance'") from None
        if not np.isfinite(d) or d <= 0:
            raise ArgumentError("distance", distance, "a finite band in metres > 0")
        cent = gdf.geometry.centroid
        pts = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
        w = lw.DistanceBand(pts, threshold=d, binary=True, silence_warnings=True)
    else:
        raise ArgumentError("weights", weights, "'queen' or 'distance'")
    if w.islands:
        warnings.warn(f"{len(w.islands)} of {w.n} areas have no neighbours under {weights!r} "
                      f"weights (rows {sorted(w.islands)[:10]}{'...' if len(w.islands) > 10 else ''}); "
                      "they are compared with themselves only. Use weights='distance' with a larger "
                      "distance to connect them.", IslandWarning, stacklevel=3)
    return w


def _two_sided_perm_p(obs: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """Two-sided permutation p counting ties on both sides (esda stores simulations in float32)."""
    tol = 1e-6 * np.maximum(np.abs(obs), 1e-12)[:, None]
    ge = (sims >= obs[:, None] - tol).sum(axis=1)
    le = (sims <= obs[:, None] + tol).sum(axis=1)
    nperm = sims.shape[1]
    return np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (nperm + 1.0))


def areal_gistar(gdf, column: str, *, weights: str = "queen", distance: float | None = None,
                 permutations: int = 999, seed: int | None = None, fdr: str = "bh"):
    """Getis-Ord Gi* of an area attribute (e.g. serious violence per 1,000 residents by LSOA).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Areas in EPSG:27700.
    column : str
        Non-negative numeric attribute.
    weights, distance :
        See :func:`build_weights`; the area itself is included (Gi*, binary weights).
    permutations : int
        Conditional permutations for ``p_sim`` (0 = analytic p only).
    seed : int, optional
        Seed of the permutations.
    fdr : {"bh", "bh_dependence", "none"}
        Multiple-testing adjustment.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``gdf`` with ``z``, ``p`` (two-sided normal), ``p_sim`` and ``p_perm`` (if
        permuting: esda's one-sided pseudo p, and the two-sided tie-aware
        ``min(1, 2 (min(#>=, #<=) + 1) / (permutations + 1))`` as on the grid),
        ``p_adjusted`` (of ``p``, or of ``p_perm`` when permuting), ``class`` (-3..3) and
        ``class_label``.

    References
    ----------
    .. [1] Ord, J. K., Getis, A. (1995). Geographical Analysis 27(4), 286-306.
    """

    _cache_esda_kernels()

    y = _check_gdf(gdf, column)
    if np.any(y < 0):
        raise InputError("Gi* needs non-negative values", column=column)
    if fdr not in _fdr.FDR_METHODS:
        raise ArgumentError("fdr", fdr, "one of " + ", ".join(repr(m) for m in _fdr.FDR_METHODS))
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise ArgumentError("permutations", permutations, "an integer >= 0 (e.g. 999)")
    w = build_weights(gdf, weights=weights, distance=distance)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, w, transform="B", star=True, permutations=int(permutations),
                         seed=seed, n_jobs=1, keep_simulations=bool(permutations))
    out = gdf.copy()
    out["z"] = np.asarray(g.Zs, dtype=np.float64)
    out["p"] = 2.0 * np.asarray(g.p_norm, dtype=np.float64)
    if permutations:
        out["p_sim"] = np.asarray(g.p_sim, dtype=np.float64)
        out["p_perm"] = _two_sided_perm_p(np.asarray(g.Gs, dtype=np.float64),
                                          np.asarray(g.rGs, dtype=np.float64))
        p_test = out["p_perm"].to_numpy()
    else:
        p_test = out["p"].to_numpy()
    out["p_adjusted"] = _fdr.adjust(p_test, fdr)
    cls = _fdr.classify(out["z"].to_numpy(), out["p_adjusted"].to_numpy())
    out["class"] = cls.astype(np.int64)
    out["class_label"] = _fdr.class_labels(cls).astype(str)
    return out


def local_moran(gdf, column: str, *, other: str | None = None, weights: str = "queen",
                distance: float | None = None, permutations: int = 999, seed: int | None = None,
                fdr: str = "bh", alpha: float = 0.05):
    """Local Moran's I (LISA) of an area attribute, or bivariate with ``other``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Areas in EPSG:27700.
    column : str
        Attribute at the area (e.g. serious-violence rate).
    other : str, optional
        Bivariate: relate ``column`` at each area to the spatial lag of ``other`` around it
        (e.g. IMD score), via :class:`esda.Moran_Local_BV`.
    weights, distance :
        See :func:`build_weights` (row-standardised for Moran's I).
    permutations : int
        Conditional permutations (>= 99; LISA inference is permutation based).
    seed : int, optional
    fdr : {"bh", "bh_dependence", "none"}
        Adjustment of the pseudo p-values.
    alpha : float
        Significance level on the adjusted pseudo p-value (GeoDa convention: one-sided pseudo p).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``gdf`` with ``I``, ``z_sim``, ``p_sim``, ``p_adjusted``, ``quadrant``
        (esda code 1..4) and ``lisa`` (``"HH"``, ``"LL"``, ``"HL"``, ``"LH"`` when
        ``p_adjusted <= alpha``, else ``"ns"``).

    References
    ----------
    .. [1] Anselin, L. (1995). Geographical Analysis 27(2), 93-115.
    .. [2] Anselin, L., Syabri, I., Smirnov, O. (2002). Visualizing multivariate spatial
       correlation with dynamically linked windows.
    """

    _cache_esda_kernels()

    x = _check_gdf(gdf, column)
    yo = _check_gdf(gdf, other, name="other") if other is not None else None
    if fdr not in _fdr.FDR_METHODS:
        raise ArgumentError("fdr", fdr, "one of " + ", ".join(repr(m) for m in _fdr.FDR_METHODS))
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 99:
        raise ArgumentError("permutations", permutations, "an integer >= 99 (LISA uses permutation inference)")
    if not 0 < float(alpha) < 1:
        raise ArgumentError("alpha", alpha, "a significance level in (0, 1)")
    w = build_weights(gdf, weights=weights, distance=distance)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if yo is None:
            m = esda.Moran_Local(x, w, transformation="r", permutations=int(permutations), seed=seed,
                                 n_jobs=1, keep_simulations=True)
        else:
            m = esda.Moran_Local_BV(x, yo, w, transformation="r", permutations=int(permutations),
                                    seed=seed, n_jobs=1, keep_simulations=True)
    out = gdf.copy()
    out["I"] = np.asarray(m.Is, dtype=np.float64)
    out["z_sim"] = np.asarray(m.z_sim, dtype=np.float64)
    out["p_sim"] = np.asarray(m.p_sim, dtype=np.float64)
    out["p_adjusted"] = _fdr.adjust(out["p_sim"].to_numpy(), fdr)
    q = np.asarray(m.q, dtype=np.int64)
    out["quadrant"] = q
    sig = out["p_adjusted"].to_numpy() <= float(alpha)
    out["lisa"] = np.where(sig, np.array([LISA_QUADRANTS.get(int(v), "ns") for v in q], dtype=object), "ns")
    return out


def lsoa_hotspots(lsoa, counts, *, imd=None, permutations: int = 999, seed: int | None = None):
    """LSOA hot spots of offence rates per 1,000 residents, beside deprivation.

    Gi* of the rate (:func:`areal_gistar`) and, when IMD scores are given, the bivariate local
    Moran of the rate against the IMD score (:func:`local_moran`).

    Parameters
    ----------
    lsoa : GeoDataFrame
        ``lsoa_code, lsoa_name, population`` and geometry (the study area's LSOA layer).
    counts : Series
        Offences by LSOA code (LSOAs absent count 0).
    imd : DataFrame, optional
        ``lsoa_code, imd_score, imd_decile``.
    permutations, seed
        Conditional permutations of both statistics.

    Returns
    -------
    GeoDataFrame
        One row per LSOA: ``sv_count, sv_rate`` and the Gi* and bivariate LISA columns.
    """

    if "population" not in lsoa.columns:
        raise InputError("LSOA hot spots need residents per LSOA: give boundaries with a population "
                         "column or a population file (--population)")
    out = lsoa[["lsoa_code", "lsoa_name", "population", "geometry"]].copy()
    out["sv_count"] = counts.reindex(out["lsoa_code"], fill_value=0).to_numpy()
    out["sv_rate"] = out["sv_count"] / out["population"].clip(lower=1) * 1000
    if imd is not None:
        out = out.merge(imd[["lsoa_code", "imd_score", "imd_decile"]], on="lsoa_code", how="left")
    gi = areal_gistar(out, "sv_rate", permutations=permutations, seed=seed)
    if imd is None or out["imd_score"].isna().all():
        return gi
    bv = local_moran(out, "sv_rate", other="imd_score", permutations=permutations, seed=seed)
    keep = [c for c in bv.columns if c not in gi.columns or c == "lsoa_code"]
    return gi.merge(pd.DataFrame(bv[keep]), on="lsoa_code", how="left", suffixes=("", "_bv"))

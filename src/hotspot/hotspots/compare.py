"""Hotspot change between two periods (or two sources): emerged, persisted, ceased.

Each input is a grid result on the same cells: a Gi* Dataset (``count`` and ``gi_class`` as made
by :func:`hotspot.hotspots.gistar.gistar`), a ``gi_class`` DataArray, or a counts DataArray. A cell
is a hotspot when its Gi* class is at least ``min_class`` (default 1 = hot at 90%); for counts
alone, when it is among the top ``top_share`` of cells by count (and has at least one offence).

References
----------
.. [1] Esri. How Hot Spot Analysis (Getis-Ord Gi*) works: Gi_Bin confidence classes.
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/spatial-statistics/h-how-hot-spot-analysis-getis-ord-gi-spatial-stati.htm
.. [2] Chainey, S. (2014). Examining the extent to which hotspot analysis can support spatial
   predictions of crime. PhD thesis, UCL (stability of hotspots between periods).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from hotspot.errors import ArgumentError
from hotspot.grid.spec import GridSpec

#: Change classes: code -> label.
CHANGE_CLASSES = {0: "none", 1: "emerged", 2: "persisted", 3: "ceased"}


def _parts(obj: Any, name: str, min_class: int, top_share: float):
    """(counts or None, hot bool array, valid bool array, template DataArray) of one input."""

    if isinstance(obj, xr.Dataset):
        if "gi_class" not in obj and "count" not in obj:
            raise ArgumentError(name, f"a Dataset with {list(obj.data_vars)}",
                                "a Gi* Dataset with 'gi_class' (and 'count') variables")
        gi = obj["gi_class"] if "gi_class" in obj else None
        counts = obj["count"] if "count" in obj else None
    elif isinstance(obj, xr.DataArray):
        is_class = obj.name in ("gi_class", "class") or np.issubdtype(obj.dtype, np.integer)
        gi, counts = (obj, None) if is_class else (None, obj)
    else:
        raise ArgumentError(name, type(obj).__name__,
                            "an xarray Dataset from gistar() or a DataArray of gi_class or counts")
    tmpl = gi if gi is not None else counts
    if tmpl is None:  # the Dataset check above requires gi_class or count
        raise ArgumentError(name, "neither 'gi_class' nor 'count'", "a Gi* result or a DataArray of counts")
    if tuple(tmpl.dims) != ("y", "x"):
        raise ArgumentError(name, f"dims {tuple(tmpl.dims)}", "a (y, x) grid")
    if counts is not None:
        valid = np.isfinite(counts.values.astype(float))
    else:
        valid = np.ones(tmpl.shape, dtype=bool)
    if gi is not None:
        g = gi.values
        if np.issubdtype(g.dtype, np.floating):
            valid &= np.isfinite(g)
            g = np.nan_to_num(g)
        hot = g >= min_class
    else:
        c = np.where(valid, tmpl.values.astype(float), -np.inf)  # gi is None, so tmpl is counts
        nvalid = int(valid.sum())
        k = max(1, int(np.ceil(top_share * nvalid - 1e-9))) if nvalid else 0
        hot = np.zeros(c.shape, dtype=bool)
        if k:
            thresh = np.partition(c.ravel(), c.size - k)[c.size - k]
            hot = valid & (c >= thresh) & (c > 0)
    return (None if counts is None else counts.values.astype(float)), hot & valid, valid, tmpl


def change(before: Any, after: Any, *, min_class: int = 1, top_share: float = 0.05):
    """Classify each cell's change in hotspot status between two results on the same grid.

    Parameters
    ----------
    before, after : xarray.Dataset or DataArray
        Gi* results (``gi_class``, optionally ``count``) or counts, on identical ``x``/``y``.
    min_class : int
        Smallest Gi* class counted as a hotspot (1 = 90%, 2 = 95%, 3 = 99%).
    top_share : float
        For counts-only inputs: hotspots are the top ``top_share`` of cells by count.

    Returns
    -------
    xarray.Dataset
        ``hot_before``, ``hot_after`` (bool), ``change_code`` (int8: 0 none, 1 emerged,
        2 persisted, 3 ceased; -1 outside either study area), ``change`` (label, "" outside) and,
        when both inputs carry counts, ``count_before``, ``count_after``, ``difference`` (after -
        before) and ``pct_change`` (100 x difference / before; NaN when before is 0).
        Attrs: ``min_class``/``top_share`` and the number of cells per class.
    """

    if isinstance(min_class, bool) or not isinstance(min_class, (int, np.integer)) or not 1 <= min_class <= 3:
        raise ArgumentError("min_class", min_class, "a Gi* class 1, 2 or 3 (90%, 95%, 99%)")
    if not (isinstance(top_share, (int, float)) and 0 < top_share <= 1):
        raise ArgumentError("top_share", top_share, "a fraction of cells in (0, 1]")
    cb, hb, vb, tb = _parts(before, "before", min_class, top_share)
    ca, ha, va, ta = _parts(after, "after", min_class, top_share)
    if tb.shape != ta.shape or not (np.allclose(tb["x"].values, ta["x"].values)
                                     and np.allclose(tb["y"].values, ta["y"].values)):
        raise ArgumentError("after", f"a grid of shape {ta.shape}",
                            f"the same grid as 'before' {tb.shape} (same cell size and origin)")
    valid = vb & va
    code = np.zeros(tb.shape, dtype=np.int8)
    code[~hb & ha] = 1
    code[hb & ha] = 2
    code[hb & ~ha] = 3
    code[~valid] = -1
    labels = np.array([CHANGE_CLASSES[k] for k in range(4)] + [""], dtype=object)
    dims = ("y", "x")
    data = {"hot_before": (dims, hb & valid), "hot_after": (dims, ha & valid),
            "change_code": (dims, code), "change": (dims, labels[code].astype(str))}
    if cb is not None and ca is not None:
        diff = ca - cb
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(cb > 0, 100.0 * diff / np.where(cb > 0, cb, 1.0), np.nan)
        data.update({"count_before": (dims, np.where(valid, cb, np.nan)),
                     "count_after": (dims, np.where(valid, ca, np.nan)),
                     "difference": (dims, np.where(valid, diff, np.nan)),
                     "pct_change": (dims, np.where(valid, pct, np.nan))})
    src = {**getattr(before, "attrs", {}), **tb.attrs}  # a Dataset keeps crs/cell on itself
    attrs = {k: v for k, v in src.items() if k in ("crs", "cell")}
    attrs.update({"min_class": int(min_class), "top_share": float(top_share)})
    attrs.update({f"n_{lab}": int((code == k).sum()) for k, lab in CHANGE_CLASSES.items()})
    return xr.Dataset(data, coords={"y": tb["y"].values, "x": tb["x"].values}, attrs=attrs)


def to_cells(ds: Any, *, keep_none: bool = False):
    """Cell polygons of a :func:`change` result (cells outside the study area dropped).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`change`.
    keep_none : bool
        Keep cells whose class is "none" (default: only emerged, persisted and ceased).

    Returns
    -------
    geopandas.GeoDataFrame
        ``row, col, x, y, change, change_code`` plus the count columns when present; CRS EPSG:27700.
    """

    ref = ds["change_code"].assign_attrs(**{k: ds.attrs[k] for k in ("cell", "crs") if k in ds.attrs})
    spec = GridSpec.from_dataarray(ref)
    cols = [c for c in ("change", "change_code", "count_before", "count_after", "difference", "pct_change")
            if c in ds]
    keep = ds["change_code"].values >= (0 if keep_none else 1)
    return spec.to_geodataframe({c: ds[c].values for c in cols}, where=keep)

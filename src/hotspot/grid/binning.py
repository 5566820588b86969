"""Count (or sum weights of) points per cell of an aligned grid.

References
----------
.. [1] Chainey, S. (2014). Examining the extent to which hotspot analysis can support spatial
   predictions of crime. PhD thesis, UCL, ch. 3 (grid thematic mapping of crime counts).
.. [2] Ashby, M. P. J. (2023). sfhotspot, ``hotspot_count``.
   https://CRAN.R-project.org/package=sfhotspot
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hotspot.errors import ArgumentError
from hotspot.grid.spec import GridSpec
from hotspot.kernels.binning import bin_sum


def as_xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous float64 coordinate arrays of equal length (validated)."""
    try:
        xa = np.ascontiguousarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ArgumentError("x", type(x).__name__, "an array of eastings in metres") from None
    try:
        ya = np.ascontiguousarray(y, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ArgumentError("y", type(y).__name__, "an array of northings in metres") from None
    if xa.shape != ya.shape:
        raise ArgumentError("y", f"{ya.size} values", f"as many values as x ({xa.size})")
    return xa, ya


def as_weights(weights: Any, n: int) -> np.ndarray:
    """float64 weights of length ``n`` (finite, >= 0), or an empty array meaning unit weights."""
    if weights is None:
        return np.empty(0, dtype=np.float64)
    try:
        w = np.ascontiguousarray(weights, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ArgumentError("weights", type(weights).__name__, "an array of numbers >= 0") from None
    if w.size != n:
        raise ArgumentError("weights", f"{w.size} values", f"one weight per point ({n})")
    if w.size and (not np.isfinite(w).all() or (w < 0).any()):
        bad = w[~np.isfinite(w) | (w < 0)][0]
        raise ArgumentError("weights", f"a value {bad}", "finite weights >= 0")
    return w


def as_mask(mask: Any, spec: GridSpec) -> np.ndarray | None:
    """A boolean ``(ny, nx)`` array from a bool array/DataArray or a study-area geometry/layer."""
    if mask is None:
        return None
    arr = getattr(mask, "values", None) if hasattr(mask, "dims") else None
    if arr is None and isinstance(mask, np.ndarray):
        arr = mask
    if arr is not None:
        if arr.shape != spec.shape:
            raise ArgumentError("mask", f"an array of shape {arr.shape}", f"shape {spec.shape} (ny, nx)")
        if arr.dtype != bool:
            raise ArgumentError("mask", f"an array of dtype {arr.dtype}", "a boolean array (True inside)")
        return np.ascontiguousarray(arr)
    return spec.mask(mask)


def count_points(x: Any, y: Any, spec: GridSpec, weights: Any = None, mask: Any = None):
    """Number (or total weight) of points in each cell.

    Parameters
    ----------
    x, y : array_like
        Eastings and northings in metres (EPSG:27700).
    spec : GridSpec
        The grid.
    weights : array_like, optional
        One weight per point (finite, >= 0); default 1 each.
    mask : bool array (ny, nx), DataArray, shapely geometry or GeoDataFrame, optional
        Study area: cells whose centre is outside are NaN (not 0). Points in those cells are
        still counted in ``attrs["masked_points"]``, not silently lost.

    Returns
    -------
    xarray.DataArray
        float64, dims ``("y", "x")`` (y descending), coords at cell centres, attrs ``crs``,
        ``cell``, ``n_points`` (total input), ``dropped`` (points outside the grid or with
        non-finite coordinates), ``dropped_weight``, ``masked_points`` (points inside the grid
        but in masked-out cells), ``weighted``.

    Notes
    -----
    Cells are half-open ``[left, right) x [bottom, top)``; the grid's outer east and north edges
    are closed, exactly as :func:`numpy.histogram2d` with edges ``x0 + k * cell``.

    References
    ----------
    .. [1] NumPy ``histogram2d``. https://numpy.org/doc/stable/reference/generated/numpy.histogram2d.html
    """

    if not isinstance(spec, GridSpec):
        raise ArgumentError("spec", type(spec).__name__, "a hotspot.grid.spec.GridSpec")
    xa, ya = as_xy(x, y)
    w = as_weights(weights, xa.size)
    m = as_mask(mask, spec)
    grid, dropped, dropped_w = bin_sum(xa, ya, w, spec.x0, spec.y0, spec.cell, spec.nx, spec.ny)
    masked_points = 0.0
    if m is not None:
        masked_points = float(grid[~m].sum())
        grid[~m] = np.nan
    attrs = {"n_points": int(xa.size), "dropped": int(dropped), "dropped_weight": float(dropped_w),
             "masked_points": masked_points, "weighted": int(weights is not None),
             "units": "weight per cell" if weights is not None else "points per cell"}
    return spec.dataarray(grid, name="count", attrs=attrs)

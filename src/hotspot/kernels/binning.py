"""Numba kernels: assign points to grid cells and sum them.

Plain NumPy arrays in and out (float64 coordinates, int64 indices); no pandas, no I/O. The grid is
north-up: row 0 is the northern row. Cells are half-open ``[left, right) x [bottom, top)`` with the
grid's east and north edges closed (the :func:`numpy.histogram2d` convention); edges are computed
as ``x0 + k * cell`` exactly as a caller building ``numpy.histogram2d`` edges would, so answers
agree bit for bit.

References
----------
.. [1] Lam, S. K., Pitrou, A., Seibert, S. (2015). Numba: a LLVM-based Python JIT compiler.
   Proc. LLVM-HPC. https://doi.org/10.1145/2833157.2833162
.. [2] NumPy ``histogram2d`` (bin edge convention).
   https://numpy.org/doc/stable/reference/generated/numpy.histogram2d.html
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, inline="always")
def _axis_bin(v: float, v0: float, cell: float, n: int) -> int:
    """Bin of ``v`` on an ascending axis with edges ``v0 + k * cell``; -1 when outside."""
    if not (v >= v0) or not math.isfinite(v):  # rejects NaN and infinities
        return -1
    if v > v0 + (n + 1) * cell:  # far outside: avoid huge integers
        return -1
    k = int(math.floor((v - v0) / cell))
    # correct the floating-point estimate against the exact edges
    if k > 0 and v < v0 + k * cell:
        k -= 1
    elif v >= v0 + (k + 1) * cell:
        k += 1
    if k >= n:
        if k == n and v == v0 + n * cell:  # closed outer edge
            return n - 1
        return -1
    return k


@nb.njit(cache=True)
def cell_index(x: np.ndarray, y: np.ndarray, x0: float, y0: float, cell: float,
               nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """Row (0 = north) and column of every point; both -1 where the point is outside the grid.

    Parameters
    ----------
    x, y : ndarray of float64
        Point coordinates (metres).
    x0, y0, cell : float
        Lower-left corner and cell size of the grid.
    nx, ny : int
        Columns and rows.

    Returns
    -------
    row, col : ndarray of int64
    """
    n = x.shape[0]
    row = np.empty(n, dtype=np.int64)
    col = np.empty(n, dtype=np.int64)
    for k in range(n):
        c = _axis_bin(x[k], x0, cell, nx)
        r = _axis_bin(y[k], y0, cell, ny)
        if c < 0 or r < 0:
            row[k] = -1
            col[k] = -1
        else:
            row[k] = ny - 1 - r
            col[k] = c
    return row, col


@nb.njit(cache=True)
def bin_sum(x: np.ndarray, y: np.ndarray, w: np.ndarray, x0: float, y0: float, cell: float,
            nx: int, ny: int) -> tuple[np.ndarray, int, float]:
    """Sum of weights per cell of a north-up grid.

    Parameters
    ----------
    x, y : ndarray of float64
        Point coordinates.
    w : ndarray of float64
        Weight per point, or an empty array for unit weights.
    x0, y0, cell, nx, ny
        The grid (lower-left corner, cell size, columns, rows).

    Returns
    -------
    grid : ndarray of float64, shape (ny, nx)
    dropped : int
        Points outside the grid (or with non-finite coordinates).
    dropped_weight : float
        Their total weight.
    """
    out = np.zeros((ny, nx), dtype=np.float64)
    unit = w.shape[0] == 0
    dropped = 0
    dropped_w = 0.0
    for k in range(x.shape[0]):
        wk = 1.0 if unit else w[k]
        c = _axis_bin(x[k], x0, cell, nx)
        r = _axis_bin(y[k], y0, cell, ny)
        if c < 0 or r < 0:
            dropped += 1
            dropped_w += wk
        else:
            out[ny - 1 - r, c] += wk
    return out, dropped, dropped_w

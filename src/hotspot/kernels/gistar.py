"""Numba kernels for Getis-Ord Gi* on a regular grid.

Plain NumPy arrays in and out; no pandas, xarray or I/O. A grid is a 2-D float64 array ``values``
(rows north to south) with a boolean ``valid`` array of the same shape: invalid (masked) cells are
*absent*, not zero; they are skipped as neighbours and contribute to no sum.

Neighbourhoods are disks of radius ``distance`` (in cell units, measured between cell centres,
inclusive) described by a *stencil*: the row offsets ``dy`` and, for each, the column offsets.

* :func:`window_sums_binary` - binary weights: for every cell, the sum of valid values and the
  number of valid cells in the disk, self included. Per-row prefix sums (a one-dimensional
  summed-area table) and the disk's half-width for each row offset give each window sum in
  ``O(rows in disk)``, so the whole grid costs ``O(cells x rows in disk)``.
* :func:`window_sums_weighted` - arbitrary stencil weights (distance decay): ``sum w y``,
  ``sum w`` and ``sum w^2`` over valid cells by direct convolution, ``O(cells x stencil)``.
* :func:`conditional_permutation_counts` - conditional randomisation (Anselin 1995): for each
  valid cell the neighbours' values are replaced by values drawn without replacement from the
  *other* valid cells, the cell's own value held fixed; counts how often the simulated neighbour
  sum is at least the observed one. Draws are shared by all cells (one matrix of ids, as esda does).

References
----------
.. [1] Getis, A., Ord, J. K. (1992). The analysis of spatial association by use of distance
   statistics. Geographical Analysis 24(3), 189-206.
.. [2] Ord, J. K., Getis, A. (1995). Local spatial autocorrelation statistics: distributional
   issues and an application. Geographical Analysis 27(4), 286-306.
.. [3] Anselin, L. (1995). Local indicators of spatial association - LISA. Geographical
   Analysis 27(2), 93-115 (conditional randomisation).
.. [4] Crow, F. C. (1984). Summed-area tables for texture mapping. SIGGRAPH '84, 207-212.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


def disk_stencil(radius_cells: float) -> tuple[np.ndarray, np.ndarray]:
    """Row offsets and half widths of a disk of radius ``radius_cells`` (cell units, inclusive).

    A cell at offset ``(dy, dx)`` is in the disk when ``dx^2 + dy^2 <= r^2`` (with a relative
    tolerance of 1e-9 so that centres exactly at the radius are included, like
    :class:`libpysal.weights.DistanceBand`).

    Returns
    -------
    dy : ndarray of int64
        Row offsets ``-R..R``.
    half_width : ndarray of int64
        For each row offset the largest ``|dx|`` inside the disk.
    """
    r2 = float(radius_cells) ** 2 * (1.0 + 1e-9)
    big_r = int(math.floor(math.sqrt(r2)))
    dy = np.arange(-big_r, big_r + 1, dtype=np.int64)
    hw = np.floor(np.sqrt(np.maximum(r2 - dy.astype(np.float64) ** 2, 0.0))).astype(np.int64)
    # guard the floating square root against the exact integer test
    for k in range(dy.size):
        while (hw[k] + 1) ** 2 + dy[k] ** 2 <= r2:
            hw[k] += 1
        while hw[k] > 0 and hw[k] ** 2 + dy[k] ** 2 > r2:
            hw[k] -= 1
    return dy, hw


def stencil_offsets(radius_cells: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``(dy, dx)`` offsets of the disk and their centre distances in cell units."""
    dy, hw = disk_stencil(radius_cells)
    oy = np.concatenate([np.full(2 * h + 1, d, dtype=np.int64) for d, h in zip(dy, hw)])
    ox = np.concatenate([np.arange(-h, h + 1, dtype=np.int64) for h in hw])
    return oy, ox, np.hypot(oy, ox)


@nb.njit(cache=True, parallel=True)
def window_sums_binary(values: np.ndarray, valid: np.ndarray, dy: np.ndarray,
                       half_width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disk sums of valid values and counts of valid cells, self included (binary weights).

    Parameters
    ----------
    values : ndarray of float64, shape (ny, nx)
        Cell values; ignored where ``valid`` is False (may be NaN there).
    valid : ndarray of bool, shape (ny, nx)
    dy, half_width : ndarray of int64
        Disk stencil from :func:`disk_stencil`.

    Returns
    -------
    sums : ndarray of float64, shape (ny, nx)
        ``sum_j w_ij y_j`` over valid ``j`` in the disk (NaN where the cell is invalid).
    counts : ndarray of float64, shape (ny, nx)
        Number of valid cells in the disk (0 where the cell is invalid).
    """
    ny, nx = values.shape
    # per-row prefix sums with a leading zero column: P[r, c] = sum of row r, columns < c
    ps = np.zeros((ny, nx + 1), dtype=np.float64)
    pc = np.zeros((ny, nx + 1), dtype=np.float64)
    for r in nb.prange(ny):
        acc = 0.0
        cnt = 0.0
        for c in range(nx):
            if valid[r, c]:
                acc += values[r, c]
                cnt += 1.0
            ps[r, c + 1] = acc
            pc[r, c + 1] = cnt
    sums = np.full((ny, nx), np.nan)
    counts = np.zeros((ny, nx), dtype=np.float64)
    nk = dy.shape[0]
    for r in nb.prange(ny):
        for c in range(nx):
            if not valid[r, c]:
                continue
            s = 0.0
            n = 0.0
            for k in range(nk):
                rr = r + dy[k]
                if rr < 0 or rr >= ny:
                    continue
                lo = c - half_width[k]
                hi = c + half_width[k] + 1
                if lo < 0:
                    lo = 0
                if hi > nx:
                    hi = nx
                s += ps[rr, hi] - ps[rr, lo]
                n += pc[rr, hi] - pc[rr, lo]
            sums[r, c] = s
            counts[r, c] = n
    return sums, counts


@nb.njit(cache=True, parallel=True)
def window_sums_weighted(values: np.ndarray, valid: np.ndarray, oy: np.ndarray, ox: np.ndarray,
                         w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted disk sums over valid cells: ``sum w y``, ``sum w``, ``sum w^2`` and the count.

    Parameters
    ----------
    values : ndarray of float64, shape (ny, nx)
    valid : ndarray of bool, shape (ny, nx)
    oy, ox : ndarray of int64
        Stencil offsets (self, ``(0, 0)``, included).
    w : ndarray of float64
        Weight of each offset.

    Returns
    -------
    swy, sw, sw2, count : ndarray of float64, shape (ny, nx)
        NaN (``count`` 0) where the cell is invalid.
    """
    ny, nx = values.shape
    swy = np.full((ny, nx), np.nan)
    sw = np.full((ny, nx), np.nan)
    sw2 = np.full((ny, nx), np.nan)
    cnt = np.zeros((ny, nx), dtype=np.float64)
    m = oy.shape[0]
    for r in nb.prange(ny):
        for c in range(nx):
            if not valid[r, c]:
                continue
            a = 0.0
            b = 0.0
            d = 0.0
            n = 0.0
            for k in range(m):
                rr = r + oy[k]
                cc = c + ox[k]
                if rr < 0 or rr >= ny or cc < 0 or cc >= nx or not valid[rr, cc]:
                    continue
                a += w[k] * values[rr, cc]
                b += w[k]
                d += w[k] * w[k]
                n += 1.0
            swy[r, c] = a
            sw[r, c] = b
            sw2[r, c] = d
            cnt[r, c] = n
    return swy, sw, sw2, cnt


@nb.njit(cache=True)
def valid_cells(values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The valid cells in row-major order: their values, rows and columns (a cell's rank is its
    position here, the index the permutation draws refer to)."""
    ny, nx = values.shape
    n = 0
    for r in range(ny):
        for c in range(nx):
            if valid[r, c]:
                n += 1
    yv = np.empty(n, dtype=np.float64)
    rows = np.empty(n, dtype=np.int64)
    cols = np.empty(n, dtype=np.int64)
    i = 0
    for r in range(ny):
        for c in range(nx):
            if valid[r, c]:
                yv[i] = values[r, c]
                rows[i] = r
                cols[i] = c
                i += 1
    return yv, rows, cols


@nb.njit(cache=True, inline="always")
def neighbour_sum(values: np.ndarray, valid: np.ndarray, oy: np.ndarray, ox: np.ndarray, w: np.ndarray,
                  r: int, c: int, wl: np.ndarray) -> tuple[int, float]:
    """Neighbours of cell ``(r, c)`` other than itself: their number ``k`` and ``sum w y``.

    The weights of the ``k`` valid neighbours are written, in stencil order, into ``wl`` when it
    is not empty (the weighted permutation draws reuse them).
    """
    ny, nx = values.shape
    k = 0
    obs = 0.0
    for t in range(oy.shape[0]):
        if oy[t] == 0 and ox[t] == 0:
            continue
        rr = r + oy[t]
        cc = c + ox[t]
        if rr < 0 or rr >= ny or cc < 0 or cc >= nx or not valid[rr, cc]:
            continue
        if wl.shape[0] > 0:
            wl[k] = w[t]
        obs += w[t] * values[rr, cc]
        k += 1
    return k, obs


@nb.njit(cache=True, parallel=True)
def conditional_permutation_counts(values: np.ndarray, valid: np.ndarray, oy: np.ndarray,
                                   ox: np.ndarray, w: np.ndarray, ids: np.ndarray
                                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conditional randomisation of the neighbour sum of every valid cell.

    For valid cell ``i`` with ``k`` valid neighbours (self excluded) of weights ``w_1..w_k``, the
    observed statistic is ``sum_j w_j y_j`` over those neighbours; permutation ``p`` replaces the
    neighbour values by ``y`` at ``ids[p, :k]`` among the ``n - 1`` *other* valid cells (ids at
    or after ``i``'s rank are shifted by one, skipping ``i``). Since ``y_i``, its self weight and
    the total ``sum y`` are fixed under the randomisation, ranking neighbour sums ranks Gi*.

    Parameters
    ----------
    values : ndarray of float64, shape (ny, nx)
    valid : ndarray of bool, shape (ny, nx)
    oy, ox, w : ndarray
        Stencil offsets and weights; the ``(0, 0)`` offset (self) is skipped here.
    ids : ndarray of int64, shape (permutations, max_k)
        Each row ``max_k`` distinct integers from ``0..n-2`` (drawn without replacement), with
        ``max_k`` at least the largest neighbour count.

    Returns
    -------
    larger : ndarray of int64, shape (ny, nx)
        Number of permutations whose neighbour sum is ``>=`` the observed one, within a relative
        tolerance of 1e-10 (-1 where invalid).
    smaller : ndarray of int64, shape (ny, nx)
        Number of permutations whose neighbour sum is ``<=`` the observed one (-1 where invalid);
        ``larger + smaller - permutations`` is the number of ties.
    k : ndarray of int64, shape (ny, nx)
        Neighbour count (self excluded) of every cell.
    """
    ny, nx = values.shape
    yv, rows, cols = valid_cells(values, valid)
    n = yv.shape[0]
    nperm = ids.shape[0]
    m = oy.shape[0]
    larger = np.full((ny, nx), -1, dtype=np.int64)
    smaller = np.full((ny, nx), -1, dtype=np.int64)
    kk = np.zeros((ny, nx), dtype=np.int64)
    for i in nb.prange(n):
        r = rows[i]
        c = cols[i]
        wl = np.empty(m, dtype=np.float64)
        k, obs = neighbour_sum(values, valid, oy, ox, w, r, c, wl)
        # ties: a permuted neighbourhood holding the same values as the observed one must tie
        # even when decay weights make the floating sums differ in the last bits
        tol = 1e-10 * max(1.0, abs(obs))
        cnt = 0
        low = 0
        for p in range(nperm):
            s = 0.0
            for j in range(k):
                q = ids[p, j]
                if q >= i:
                    q += 1
                s += wl[j] * yv[q]
            if s >= obs - tol:
                cnt += 1
            if s <= obs + tol:
                low += 1
        larger[r, c] = cnt
        smaller[r, c] = low
        kk[r, c] = k
    return larger, smaller, kk


@nb.njit(cache=True, parallel=True)
def conditional_permutation_counts_binary(values: np.ndarray, valid: np.ndarray, oy: np.ndarray,
                                          ox: np.ndarray, ids: np.ndarray
                                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conditional randomisation for binary weights in O(1) per cell and permutation.

    Permutation ``p`` draws ``ids[p]``: ``max_k + 1`` distinct ranks among all ``n`` valid cells.
    For cell ``i`` with ``k`` neighbours the simulated neighbourhood is the first ``k`` draws,
    with ``i`` itself replaced by draw ``k`` when it is among them: a uniform ``k``-subset of
    the ``n - 1`` other cells, as in :func:`conditional_permutation_counts`. With binary weights
    the sum of the first ``k`` draws is a prefix sum computed once per permutation, so the cost is
    one lookup (and a binary search for ``i`` among the sorted draws) instead of ``k`` random reads.

    Parameters
    ----------
    values, valid : ndarray, shape (ny, nx)
    oy, ox : ndarray of int64
        Stencil offsets; ``(0, 0)`` (self) is skipped.
    ids : ndarray of int64, shape (permutations, max_k + 1)
        Distinct ranks ``0..n-1`` per row, ``max_k`` at least the largest neighbour count.

    Returns
    -------
    larger, smaller, k : ndarray of int64, shape (ny, nx)
        As :func:`conditional_permutation_counts`.
    """
    ny, nx = values.shape
    yv, rows, cols = valid_cells(values, valid)
    n = yv.shape[0]
    nperm, m1 = ids.shape
    pref = np.zeros((nperm, m1 + 1), dtype=np.float64)
    srt = np.empty((nperm, m1), dtype=np.int64)
    pos = np.empty((nperm, m1), dtype=np.int64)
    for p in nb.prange(nperm):
        acc = 0.0
        for j in range(m1):
            acc += yv[ids[p, j]]
            pref[p, j + 1] = acc
        order = np.argsort(ids[p])
        for j in range(m1):
            srt[p, j] = ids[p, order[j]]
            pos[p, j] = order[j]
    m = oy.shape[0]
    ones = np.ones(m, dtype=np.float64)
    no_weights = np.empty(0, dtype=np.float64)
    larger = np.full((ny, nx), -1, dtype=np.int64)
    smaller = np.full((ny, nx), -1, dtype=np.int64)
    kk = np.zeros((ny, nx), dtype=np.int64)
    for i in nb.prange(n):
        r = rows[i]
        c = cols[i]
        k, obs = neighbour_sum(values, valid, oy, ox, ones, r, c, no_weights)
        tol = 1e-10 * max(1.0, abs(obs))
        cnt = 0
        low = 0
        yi = yv[i]
        for p in range(nperm):
            s = pref[p, k]
            lo = 0
            hi = m1
            while lo < hi:
                mid = (lo + hi) // 2
                if srt[p, mid] < i:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < m1 and srt[p, lo] == i and pos[p, lo] < k:
                s = s - yi + yv[ids[p, k]]
            if s >= obs - tol:
                cnt += 1
            if s <= obs + tol:
                low += 1
        larger[r, c] = cnt
        smaller[r, c] = low
        kk[r, c] = k
    return larger, smaller, kk

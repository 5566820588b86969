"""Numba kernels for space-time Gi* and the Mann-Kendall trend test.

Plain NumPy arrays in and out; no pandas, no I/O. Cubes are ``(time, ny, nx)`` float64 arrays with
NaN marking bins outside the study area (they are neither counted nor neighbours).

References
----------
.. [1] Getis, A., Ord, J. K. (1992). The analysis of spatial association by use of distance
   statistics. *Geographical Analysis* 24(3), 189-206.
.. [2] Ord, J. K., Getis, A. (1995). Local spatial autocorrelation statistics: distributional
   issues and an application. *Geographical Analysis* 27(4), 286-306.
.. [3] Esri. How Emerging Hot Spot Analysis works (ArcGIS Pro): space-time neighbourhood =
   bins within the neighbourhood distance in the same time step and the same bins in the
   previous ``k`` time steps.
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm
.. [4] Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica* 13, 245-259;
   Kendall, M. G. (1975). *Rank Correlation Methods*, 4th ed. Griffin.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


def disk_offsets(distance_cells: float) -> tuple[np.ndarray, np.ndarray]:
    """Row/column offsets of the cells whose centres lie within ``distance_cells`` (self included).

    Parameters
    ----------
    distance_cells : float
        Neighbourhood radius in cell widths (>= 0).

    Returns
    -------
    dr, dc : ndarray of int64
        Offsets (row, column) of every cell centre with ``dr**2 + dc**2 <= distance_cells**2``
        (a tiny tolerance keeps exact multiples of the cell size inside).
    """
    r = int(math.floor(distance_cells + 1e-9))
    dr, dc = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij")
    keep = dr * dr + dc * dc <= distance_cells * distance_cells * (1 + 1e-9) + 1e-12
    return dr[keep].astype(np.int64), dc[keep].astype(np.int64)


@nb.njit(cache=True, parallel=True)
def disk_sums(cube: np.ndarray, dr: np.ndarray, dc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per time step, sum and number of valid (non-NaN) bins in each cell's disk window.

    Parameters
    ----------
    cube : ndarray, shape (T, ny, nx), float64
        Values; NaN = outside the study area.
    dr, dc : ndarray of int64
        Window offsets from :func:`disk_offsets`.

    Returns
    -------
    s : ndarray (T, ny, nx) float64
        Sum of valid values in the window (0 where the centre bin itself is NaN).
    w : ndarray (ny, nx) float64
        Number of valid cells in the window (the validity mask is the same at every step:
        the mask of step 0 is used).
    """
    nt, ny, nx = cube.shape
    no = dr.size
    s = np.zeros((nt, ny, nx))
    w = np.zeros((ny, nx))
    for i in nb.prange(ny):
        for j in range(nx):
            if math.isnan(cube[0, i, j]):
                continue
            cnt = 0.0
            for o in range(no):
                ii = i + dr[o]
                jj = j + dc[o]
                if ii >= 0 and ii < ny and jj >= 0 and jj < nx and not math.isnan(cube[0, ii, jj]):
                    cnt += 1.0
            w[i, j] = cnt
    for k in nb.prange(nt * ny):
        t = k // ny
        i = k - t * ny
        for j in range(nx):
            if math.isnan(cube[0, i, j]):
                continue
            acc = 0.0
            for o in range(no):
                ii = i + dr[o]
                jj = j + dc[o]
                if ii >= 0 and ii < ny and jj >= 0 and jj < nx:
                    v = cube[t, ii, jj]
                    if not math.isnan(v):
                        acc += v
            s[t, i, j] = acc
    return s, w


@nb.njit(cache=True, parallel=True)
def spacetime_gistar(cube: np.ndarray, dr: np.ndarray, dc: np.ndarray, time_lag: int) -> np.ndarray:
    """Getis-Ord Gi* z-score of every bin with a binary space-time neighbourhood.

    The neighbourhood of bin ``(t, i, j)`` is every valid cell within the disk at steps
    ``max(0, t - time_lag) .. t`` (self included). The mean and standard deviation are those of
    all valid bins of the cube (one global analysis, as in [3]_).

    Parameters
    ----------
    cube : ndarray (T, ny, nx) float64
        Counts; NaN = outside the study area (same cells NaN at every step).
    dr, dc : ndarray of int64
        Disk offsets.
    time_lag : int
        Number of previous steps in the neighbourhood (>= 0).

    Returns
    -------
    z : ndarray (T, ny, nx) float64
        Gi* z-scores (Ord and Getis 1995, eq. 4.1 with binary weights); NaN outside the study
        area and 0 where the cube has no variance.
    """
    nt, ny, nx = cube.shape
    s, w = disk_sums(cube, dr, dc)
    # global moments over valid bins
    n = 0.0
    tot = 0.0
    tot2 = 0.0
    for t in range(nt):
        for i in range(ny):
            for j in range(nx):
                v = cube[t, i, j]
                if not math.isnan(v):
                    n += 1.0
                    tot += v
                    tot2 += v * v
    z = np.full((nt, ny, nx), np.nan)
    if n < 2:
        return z
    mean = tot / n
    var = tot2 / n - mean * mean
    sd = math.sqrt(var) if var > 0 else 0.0
    for k in nb.prange(nt * ny):
        t = k // ny
        i = k - t * ny
        t0 = t - time_lag
        if t0 < 0:
            t0 = 0
        steps = float(t - t0 + 1)
        for j in range(nx):
            if math.isnan(cube[0, i, j]):
                continue
            acc = 0.0
            for tt in range(t0, t + 1):
                acc += s[tt, i, j]
            wsum = w[i, j] * steps
            if sd == 0.0:
                z[t, i, j] = 0.0
                continue
            den = sd * math.sqrt((n * wsum - wsum * wsum) / (n - 1.0))
            if den > 0:
                z[t, i, j] = (acc - mean * wsum) / den
            else:
                z[t, i, j] = 0.0
    return z


@nb.njit(cache=True)
def _mk_core(v: np.ndarray) -> tuple[float, float, float]:
    """Mann-Kendall of a finite, contiguous series ``v`` (length >= 3)."""
    n = v.size
    s = 0
    for i in range(n - 1):
        a = v[i]
        acc = 0
        for j in range(i + 1, n):  # branch-free so the loop vectorises
            acc += (v[j] > a) - (v[j] < a)
        s += acc
    srt = np.sort(v)
    ties = 0.0
    run = 1
    for i in range(1, n + 1):
        if i < n and srt[i] == srt[i - 1]:
            run += 1
        else:
            if run > 1:
                ties += run * (run - 1.0) * (2.0 * run + 5.0)
            run = 1
    var = (n * (n - 1.0) * (2.0 * n + 5.0) - ties) / 18.0
    sf = float(s)
    if var <= 0:
        return sf, var, 0.0
    if s > 0:
        z = (sf - 1.0) / math.sqrt(var)
    elif s < 0:
        z = (sf + 1.0) / math.sqrt(var)
    else:
        z = 0.0
    return sf, var, z


@nb.njit(cache=True)
def mann_kendall_1d(x: np.ndarray) -> tuple[float, float, float]:
    """Mann-Kendall S, variance (tie-corrected) and z (continuity-corrected) of one series.

    NaN values are skipped. Returns ``(nan, nan, nan)`` for fewer than 3 finite values.

    Notes
    -----
    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var(S) = [n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)] / 18``
    over groups of tied values; ``z = (S - 1)/sqrt(Var)`` if ``S > 0``, ``(S + 1)/sqrt(Var)`` if
    ``S < 0`` and 0 otherwise (Kendall 1975; Hipel and McLeod 1994, ch. 23).
    """
    m = x.size
    v = np.empty(m)
    n = 0
    for i in range(m):
        if not math.isnan(x[i]):
            v[n] = x[i]
            n += 1
    if n < 3:
        return np.nan, np.nan, np.nan
    return _mk_core(v[:n])


@nb.njit(cache=True, parallel=True)
def mann_kendall_rows(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Kendall S and z of every row of a ``(n_locations, T)`` array (NaN skipped)."""
    m = series.shape[0]
    s_out = np.full(m, np.nan)
    z_out = np.full(m, np.nan)
    for k in nb.prange(m):
        s, var, z = mann_kendall_1d(series[k])
        s_out[k] = s
        z_out[k] = z
    return s_out, z_out


def mann_kendall_cube(cube: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Kendall S and z of every cell's series along axis 0 of a ``(T, ny, nx)`` array.

    Returns NaN for cells whose series has fewer than 3 finite values.
    """
    nt, ny, nx = cube.shape
    rows = np.ascontiguousarray(cube.reshape(nt, ny * nx).T)
    s, z = mann_kendall_rows(rows)
    return s.reshape(ny, nx), z.reshape(ny, nx)


@nb.njit(cache=True, parallel=True)
def bh_rows(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values within each row of a 2-D array (NaN ignored).

    References
    ----------
    .. [1] Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57, 289-300.
    """
    nr, nc = p.shape
    out = np.full((nr, nc), np.nan)
    for r in nb.prange(nr):
        row = p[r]
        idx = np.empty(nc, dtype=np.int64)
        m = 0
        for j in range(nc):
            if not math.isnan(row[j]):
                idx[m] = j
                m += 1
        if m == 0:
            continue
        idx = idx[:m]
        vals = np.empty(m)
        for k in range(m):
            vals[k] = row[idx[k]]
        order = np.argsort(vals, kind="mergesort")
        run = 1.0
        for k in range(m - 1, -1, -1):
            q = vals[order[k]] * m / (k + 1.0)
            if q < run:
                run = q
            out[r, idx[order[k]]] = run
    return out

"""Numba kernels: exact kernel density at the cell centres of a north-up grid.

Every point adds ``w * K(d / h) / h**2`` to every cell centre closer than the kernel's support
radius ``t * h`` (``t`` = 1 for the compact kernels, the truncation for the Gaussian). Nothing is
binned or approximated: each contribution is the kernel evaluated at the exact distance between
the point and the cell centre. Plain NumPy arrays in and out; no pandas, no I/O.

Parallel scheme (no races, no per-thread copies of the grid)
------------------------------------------------------------
1. :func:`sort_by_row` counting-sorts the points by the grid row of their own position
   (rows extended by the stencil radius above and below the grid; points whose stencil cannot
   reach the grid are dropped here and handled by :func:`outside_mass`).
2. The grid rows are split into bands of roughly equal work (:func:`balanced_bands`).
3. :func:`density_bands` runs ``prange`` over bands; band ``b`` owns its rows and visits only the
   points whose stencil can touch them (a contiguous slice of the sorted points), clipping each
   stencil to its rows. Each output cell is written by exactly one thread.

Per point, the squared column offsets ``dx^2 / h^2`` of its bounding square are computed once
(for the Gaussian also ``exp(-dx^2 / 2h^2)``, as the Gaussian factorises into a column and a row
factor: one ``exp`` per column and one per row instead of one per cell). Each row is then a short
branch-free loop over those columns that clamps ``1 - u^2`` at 0 (polynomial kernels) or selects
0 outside the disc (Gaussian, uniform), so cells beyond the support add exactly 0.

Kernel codes (``KERNELS``), normalised to integrate to 1 over the plane (u = d / h):

=============  ==============================================  =====================
code / name    K(u) for u < t                                  support t
=============  ==============================================  =====================
0 quartic      3/pi (1 - u^2)^2  (biweight; CrimeStat, ArcGIS)  1
1 epanechnikov 2/pi (1 - u^2)                                  1
2 uniform      1/pi                                            1
3 triweight    4/pi (1 - u^2)^3                                1
4 gaussian     exp(-u^2/2) / (2 pi (1 - exp(-t^2/2)))          ``truncate`` (3)
=============  ==============================================  =====================

References
----------
.. [1] Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*.
   Chapman & Hall, section 4.2 (multivariate kernels; Epanechnikov and biweight in 2-D).
.. [2] Levine, N. (2013). *CrimeStat IV*, chapter 10 "Kernel Density Interpolation" (quartic).
   https://www.icpsr.umich.edu/CrimeStat/
.. [3] Esri. "How Kernel Density works" (quartic kernel of Silverman 1986, eq. 4.5).
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/spatial-analyst/how-kernel-density-works.htm
.. [4] Lam, S. K., Pitrou, A., Seibert, S. (2015). Numba: a LLVM-based Python JIT compiler.
   https://doi.org/10.1145/2833157.2833162
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

QUARTIC, EPANECHNIKOV, UNIFORM, TRIWEIGHT, GAUSSIAN = 0, 1, 2, 3, 4
KERNELS = {"quartic": QUARTIC, "epanechnikov": EPANECHNIKOV, "uniform": UNIFORM,
           "triweight": TRIWEIGHT, "gaussian": GAUSSIAN}


def kernel_constant(code: int, truncate: float = 3.0) -> float:
    """Normalising constant ``c`` such that ``c * profile(u)`` integrates to 1 over the plane.

    The profile is ``(1-u^2)^p`` (p = 2, 1, 0, 3) on the unit disc, or ``exp(-u^2/2)`` on the disc
    of radius ``truncate`` for the Gaussian (renormalised so the truncated kernel has mass 1).
    """
    if code == QUARTIC:
        return 3.0 / math.pi
    if code == EPANECHNIKOV:
        return 2.0 / math.pi
    if code == UNIFORM:
        return 1.0 / math.pi
    if code == TRIWEIGHT:
        return 4.0 / math.pi
    if code == GAUSSIAN:
        return 1.0 / (2.0 * math.pi * (1.0 - math.exp(-0.5 * truncate * truncate)))
    raise ValueError(f"unknown kernel code {code}")


def support(code: int, truncate: float = 3.0) -> float:
    """Support radius in bandwidths (1 for compact kernels, ``truncate`` for the Gaussian)."""
    return float(truncate) if code == GAUSSIAN else 1.0


@nb.njit(cache=True, inline="always")
def _profile(code: int, u2: float) -> float:
    """Unnormalised kernel profile at squared scaled distance ``u2`` (caller checks support)."""
    if code == GAUSSIAN:
        return math.exp(-0.5 * u2)
    t = 1.0 - u2
    if code == QUARTIC:
        return t * t
    if code == EPANECHNIKOV:
        return t
    if code == TRIWEIGHT:
        return t * t * t
    return 1.0


@nb.njit(cache=True)
def sort_by_row(x: np.ndarray, y: np.ndarray, w: np.ndarray, y1: float, cell: float, ny: int,
                x0: float, nx: int, reach: float):
    """Counting-sort the points whose stencil can reach the grid by their row.

    Parameters
    ----------
    x, y, w : ndarray of float64
        Points and weights (``w`` empty for unit weights).
    y1 : float
        Northern edge of the grid.
    cell : float
        Cell size.
    ny, nx : int
        Rows and columns.
    x0 : float
        Western edge.
    reach : float
        Stencil radius in metres (support x bandwidth).

    Returns
    -------
    xs, ys, ws : ndarray of float64
        The kept points sorted by row (``ws`` all ones when ``w`` is empty).
    start : ndarray of int64, length ``ny + 2 * pad + 1``
        ``start[r + pad]`` is the first sorted point of row ``r`` (rows ``-pad .. ny + pad - 1``).
    pad : int
        Rows of margin above and below the grid.
    n_far : int
        Points (finite) whose stencil cannot reach the grid.
    n_bad : int
        Points with non-finite coordinates.
    """
    n = x.shape[0]
    pad = int(math.ceil(reach / cell)) + 1
    nrows = ny + 2 * pad
    x1 = x0 + nx * cell
    y0 = y1 - ny * cell
    row = np.empty(n, dtype=np.int64)
    counts = np.zeros(nrows + 1, dtype=np.int64)
    n_far = 0
    n_bad = 0
    for k in range(n):
        xk = x[k]
        yk = y[k]
        if not (math.isfinite(xk) and math.isfinite(yk)):
            row[k] = -1
            n_bad += 1
            continue
        if xk <= x0 - reach or xk >= x1 + reach or yk <= y0 - reach or yk >= y1 + reach:
            row[k] = -1
            n_far += 1
            continue
        r = int(math.floor((y1 - yk) / cell)) + pad
        if r < 0:
            r = 0
        elif r >= nrows:
            r = nrows - 1
        row[k] = r
        counts[r + 1] += 1
    for r in range(nrows):
        counts[r + 1] += counts[r]
    start = counts.copy()
    m = start[nrows]
    xs = np.empty(m, dtype=np.float64)
    ys = np.empty(m, dtype=np.float64)
    ws = np.empty(m, dtype=np.float64)
    unit = w.shape[0] == 0
    fill = counts[:nrows].copy()
    for k in range(n):
        r = row[k]
        if r < 0:
            continue
        j = fill[r]
        fill[r] = j + 1
        xs[j] = x[k]
        ys[j] = y[k]
        ws[j] = 1.0 if unit else w[k]
    return xs, ys, ws, start, pad, n_far, n_bad


@nb.njit(cache=True, inline="always")
def _gauss_point(out: np.ndarray, i_first: int, i_lo: int, i_hi: int, px: float, py: float,
                 wc: float, x0: float, y1: float, cell: float, nx: int, inv_h2: float, h: float, t2: float,
                 buf: np.ndarray, gtab: np.ndarray, recur: bool) -> None:
    """Add one point's truncated-Gaussian contributions to rows ``i_lo..i_hi``.

    The Gaussian factorises, ``exp(-(dx^2 + dy^2) / 2h^2) = exp(-dx^2/2h^2) exp(-dy^2/2h^2)``, so
    only column and row factors are needed; the disc test ``dx^2 + dy^2 < (t h)^2`` is a
    branch-free select per cell. Along an axis the offsets are ``d_k = d_0 + k c``, so
    ``exp(-d_k^2/2h^2) = exp(-d_0^2/2h^2) * exp(-d_0 c/h^2)^k * exp(-k^2 c^2/2h^2)``: with the
    last factor tabulated once (``gtab``) each point needs 4 ``exp`` calls instead of one per
    column and row (``recur``; off when the intermediate powers could overflow, then one ``exp``
    per column and per row). ``buf`` holds the column factors, then ``dx^2 / h^2``, then the row
    factors. Row factors start at ``i_first``, the point's first row before clipping to the
    band, so every cell gets bit-identical values whatever the band split (thread count).
    """
    half = h * math.sqrt(t2)
    c_lo = int(math.floor((px - half - x0) / cell - 0.5))
    c_hi = int(math.ceil((px + half - x0) / cell - 0.5))
    if c_lo < 0:
        c_lo = 0
    if c_hi > nx - 1:
        c_hi = nx - 1
    if c_lo > c_hi:
        return
    m = c_hi - c_lo + 1
    dx0 = x0 + (c_lo + 0.5) * cell - px
    dy0 = y1 - (i_first + 0.5) * cell - py
    nr = i_hi - i_first + 1
    ro = 2 * m
    if recur:
        p = math.exp(-0.5 * dx0 * dx0 * inv_h2)
        a = math.exp(-dx0 * cell * inv_h2)
        for j in range(m):
            dx = dx0 + j * cell
            buf[m + j] = dx * dx * inv_h2
            buf[j] = p * gtab[j]
            p *= a
        p = wc * math.exp(-0.5 * dy0 * dy0 * inv_h2)
        a = math.exp(dy0 * cell * inv_h2)
        for k in range(nr):
            buf[ro + k] = p * gtab[k]
            p *= a
    else:
        for j in range(m):
            dx = dx0 + j * cell
            d2 = dx * dx * inv_h2
            buf[m + j] = d2
            buf[j] = math.exp(-0.5 * d2)
        for k in range(nr):
            dy = dy0 - k * cell
            buf[ro + k] = wc * math.exp(-0.5 * dy * dy * inv_h2)
    for k in range(i_lo - i_first, nr):
        dy = dy0 - k * cell
        dy2 = dy * dy * inv_h2
        if dy2 >= t2:
            continue
        ey = buf[ro + k]
        row = out[i_first + k, c_lo:c_hi + 1]
        for j in range(m):
            row[j] += ey * buf[j] if buf[m + j] + dy2 < t2 else 0.0


@nb.njit(cache=True, inline="always")
def _poly_point(out: np.ndarray, i_lo: int, i_hi: int, px: float, py: float, wc: float, x0: float,
                y1: float, cell: float, nx: int, inv_h2: float, h: float, code: int,
                dxbuf: np.ndarray) -> None:
    """Add one point's contributions (compact polynomial kernels) to rows ``i_lo..i_hi``.

    ``dx^2 / h^2`` is computed once per column of the point's bounding square; each row then
    runs a short branch-free loop over those columns, clamping ``1 - u^2`` at 0 (cells beyond
    the disc add exactly 0).
    """
    c_lo = int(math.floor((px - h - x0) / cell - 0.5))
    c_hi = int(math.ceil((px + h - x0) / cell - 0.5))
    if c_lo < 0:
        c_lo = 0
    if c_hi > nx - 1:
        c_hi = nx - 1
    if c_lo > c_hi:
        return
    m = c_hi - c_lo + 1
    for j in range(m):
        dx = x0 + (j + c_lo + 0.5) * cell - px
        dxbuf[j] = dx * dx * inv_h2
    for i in range(i_lo, i_hi + 1):
        dy = y1 - (i + 0.5) * cell - py
        dy2 = dy * dy * inv_h2
        if dy2 >= 1.0:
            continue
        row = out[i, c_lo:c_hi + 1]
        if code == QUARTIC:
            for j in range(m):
                t = 1.0 - (dxbuf[j] + dy2)
                t = t if t > 0.0 else 0.0
                row[j] += wc * t * t
        elif code == EPANECHNIKOV:
            for j in range(m):
                t = 1.0 - (dxbuf[j] + dy2)
                row[j] += wc * (t if t > 0.0 else 0.0)
        elif code == TRIWEIGHT:
            for j in range(m):
                t = 1.0 - (dxbuf[j] + dy2)
                t = t if t > 0.0 else 0.0
                row[j] += wc * t * t * t
        else:  # uniform
            for j in range(m):
                row[j] += wc if dxbuf[j] + dy2 < 1.0 else 0.0


@nb.njit(cache=True, parallel=True)
def density_bands(xs: np.ndarray, ys: np.ndarray, ws: np.ndarray, start: np.ndarray, pad: int,
                  band_edges: np.ndarray, x0: float, y1: float, cell: float, nx: int, ny: int,
                  h: float, t: float, code: int, const: float) -> np.ndarray:
    """Kernel density (per square metre) at every cell centre, parallel over row bands.

    Parameters
    ----------
    xs, ys, ws, start, pad
        Output of :func:`sort_by_row`.
    band_edges : ndarray of int64
        Increasing row indices ``0 = e_0 < e_1 < ... < e_B = ny``; band ``b`` owns rows
        ``e_b .. e_{b+1} - 1``.
    x0, y1 : float
        West and north edges of the grid.
    cell : float
        Cell size.
    nx, ny : int
        Columns and rows.
    h : float
        Bandwidth (metres).
    t : float
        Support radius in bandwidths.
    code : int
        Kernel code (see ``KERNELS``).
    const : float
        Normalising constant of the kernel (:func:`kernel_constant`).

    Returns
    -------
    ndarray of float64, shape (ny, nx)
        ``sum_p w_p * const * profile(|c - p|^2 / h^2) / h^2``.
    """
    out = np.zeros((ny, nx), dtype=np.float64)
    nb_ = band_edges.shape[0] - 1
    inv_h2 = 1.0 / (h * h)
    t2 = t * t
    reach = t * h
    rr = int(math.ceil(reach / cell)) + 1  # rows a stencil can span either side of its own row
    scale = const * inv_h2
    span = 2 * (int(math.ceil(reach / cell)) + 2) + 2  # >= columns or rows of one stencil
    nbuf = 3 * span
    nrows = ny + 2 * pad
    gtab = np.empty(span, dtype=np.float64)
    for k in range(span):
        gtab[k] = math.exp(-0.5 * (k * cell) * (k * cell) * inv_h2)
    # the running powers exp(-d0 c k / h^2) stay below exp(2 (reach + 2 cell)^2 / h^2)
    recur = 2.0 * (reach + 2.0 * cell) ** 2 * inv_h2 < 600.0
    for b in nb.prange(nb_):
        exbuf = np.empty(nbuf, dtype=np.float64)
        r0 = band_edges[b]
        r1 = band_edges[b + 1]
        # sorted points whose own row is within rr of the band
        s_lo = r0 - rr + pad
        s_hi = r1 + rr + pad
        if s_lo < 0:
            s_lo = 0
        if s_hi > nrows:
            s_hi = nrows
        for k in range(start[s_lo], start[s_hi]):
            px = xs[k]
            py = ys[k]
            wc = ws[k] * scale
            # rows whose centre is within reach: y1 - (i + 0.5) cell in (py - reach, py + reach)
            i_lo = int(math.floor((y1 - py - reach) / cell - 0.5))
            i_hi = int(math.ceil((y1 - py + reach) / cell - 0.5))
            i_first = i_lo
            if i_lo < r0:
                i_lo = r0
            if i_hi > r1 - 1:
                i_hi = r1 - 1
            if i_lo > i_hi:
                continue
            if code == GAUSSIAN:
                _gauss_point(out, i_first, i_lo, i_hi, px, py, wc, x0, y1, cell, nx, inv_h2, h, t2,
                             exbuf, gtab, recur)
            else:
                _poly_point(out, i_lo, i_hi, px, py, wc, x0, y1, cell, nx, inv_h2, h, code, exbuf)
    return out


@nb.njit(cache=True, parallel=True)
def outside_mass(x: np.ndarray, y: np.ndarray, w: np.ndarray, x0: float, y1: float, cell: float,
                 nx: int, ny: int, h: float, t: float, code: int, const: float) -> float:
    """Discrete kernel mass (sum over cell centres x cell area) falling OUTSIDE the grid.

    The stencil is the infinite lattice of cell centres extending the grid; points whose
    stencil is entirely inside the grid are skipped. Together with the sum of
    :func:`density_bands` this gives each point's total discrete mass, so the edge loss is
    measured on the same lattice as the surface (in [0, 1] exactly).

    Returns
    -------
    float
        ``sum_p w_p * sum_{c outside grid, |c - p| < t h} K_h(c - p) * cell^2``.
    """
    n = x.shape[0]
    unit = w.shape[0] == 0
    inv_h2 = 1.0 / (h * h)
    t2 = t * t
    reach = t * h
    area_scale = const * inv_h2 * cell * cell
    x1 = x0 + nx * cell
    y0 = y1 - ny * cell
    total = 0.0
    for k in nb.prange(n):
        px = x[k]
        py = y[k]
        if not (math.isfinite(px) and math.isfinite(py)):
            continue
        if px - reach >= x0 + 0.5 * cell and px + reach <= x1 - 0.5 * cell and \
                py - reach >= y0 + 0.5 * cell and py + reach <= y1 - 0.5 * cell:
            continue  # every centre within reach is inside the grid
        wk = 1.0 if unit else w[k]
        i_lo = int(math.floor((y1 - py - reach) / cell - 0.5))
        i_hi = int(math.ceil((y1 - py + reach) / cell - 0.5))
        j_lo = int(math.floor((px - reach - x0) / cell - 0.5))
        j_hi = int(math.ceil((px + reach - x0) / cell - 0.5))
        acc = 0.0
        for i in range(i_lo, i_hi + 1):
            dy = y1 - (i + 0.5) * cell - py
            row_out = i < 0 or i >= ny
            for j in range(j_lo, j_hi + 1):
                if not row_out and j >= 0 and j < nx:
                    continue
                dx = x0 + (j + 0.5) * cell - px
                u2 = (dx * dx + dy * dy) * inv_h2
                if u2 < t2:
                    acc += _profile(code, u2)
        total += wk * acc * area_scale
    return total


@nb.njit(cache=True)
def row_work(start: np.ndarray, pad: int, ny: int, reach_rows: int) -> np.ndarray:
    """Work per grid row: points whose own row is within ``reach_rows`` of it, plus one."""
    nrows = ny + 2 * pad
    work = np.empty(ny, dtype=np.float64)
    for i in range(ny):
        lo = i - reach_rows + pad
        hi = i + reach_rows + 1 + pad
        if lo < 0:
            lo = 0
        if hi > nrows:
            hi = nrows
        work[i] = (start[hi] - start[lo]) + 1.0
    return work


def balanced_bands(work: np.ndarray, n_bands: int) -> np.ndarray:
    """Row edges splitting rows into ``<= n_bands`` contiguous bands of about equal total work."""
    ny = work.shape[0]
    n_bands = max(1, min(int(n_bands), ny))
    cum = np.concatenate([[0.0], np.cumsum(work, dtype=np.float64)])
    targets = cum[-1] * np.arange(1, n_bands) / n_bands
    inner = np.searchsorted(cum, targets, side="left")
    edges = np.unique(np.concatenate([[0], np.clip(inner, 1, ny - 1) if ny > 1 else [], [ny]]))
    return edges.astype(np.int64)

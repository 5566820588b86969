"""Exact local tests for sparse counts: is a neighbourhood's count more than its surroundings predict?

The Gi* z-score of a neighbourhood sum is exact as a standardised statistic, but its *normal*
p-value is not: a serious-violence grid has a mean well under one offence per cell, a neighbourhood
sum is a small Poisson-like count, and the normal tail at ``z = 4`` (``p = 6e-5``) is many orders of
magnitude smaller than the real chance of seeing two offences where 0.3 were expected. On a null
world (1,000 offences uniform over 20 x 20 km, 100 m cells) the normal p-values mark ~300 cells as
99% hot. Conditional permutations (esda) are valid but cannot reach the tiny p-values that a
false-discovery-rate adjustment over 10^4 to 10^6 cells needs (999 permutations give ``p >= 0.002``;
a BH step-up over 40,000 cells needs ``p <= 1.25e-6`` for its first discovery), so they find nothing
at all, planted clusters included.

This module gives the default inference of :func:`hotspot.hotspots.gistar.gistar` and of the
space-time Gi* of :func:`hotspot.hotspots.emerging.emerging_hotspots`: an **exact conditional
binomial test** of the neighbourhood count against a larger *background* disk around the same cell.

Model and test
--------------
Offences are a Poisson process with an intensity that varies smoothly in space (population, land
use), and a hot spot is a neighbourhood holding more offences than that smooth intensity predicts.
Take cell ``i``'s neighbourhood ``A_i`` (``k_i`` valid cells, the Gi* window) inside a background
disk ``B_i`` (``K_i`` valid cells, radius ``background``, same centre). Conditional on the number of
offences ``N_i`` in ``B_i``, and with the intensity constant over ``B_i``, the count ``S_i`` in
``A_i`` is ``Binomial(N_i, pi_i)`` with ``pi_i = k_i / K_i`` whatever the (unknown) intensity: the
classical conditional test of two Poisson rates [1]_ [2]_, applied as in the Poisson spatial scan
statistic, which also conditions on a total [3]_. Because ``A_i`` and ``B_i`` share their centre, an
intensity that changes *linearly* across ``B_i`` leaves ``E[S_i | N_i]`` unchanged, so the test
stays calibrated under smooth gradients (population surfaces), unlike a test against the global
mean, which calls a whole city centre "hot". The p-values are exact tails (no normal or
large-count approximation), computed through the regularised incomplete beta function:

``P(S >= s) = I_pi(s, N - s + 1)`` and ``P(S <= s) = 1 - I_pi(s + 1, N - s)``,

and the two-sided p-value is ``min(1, 2 min(P(S >= s), P(S <= s)))``. A cell with an empty
neighbourhood has ``P(S >= 0) = 1``: it can never be a hot spot, and a 99% cell holding zero offences
can only be flagged when its neighbourhood holds significantly many (the neighbourhood, not the
cell, is what Gi* measures). Discrete exact p-values are conservative, which keeps every FDR
procedure valid [4]_.

Multiple testing
----------------
Neighbourhoods overlap, so a single chance clump of offences makes a group of cells significant
together; the Benjamini-Hochberg procedure (valid for positively dependent tests) then lets
clumps of false hot cells through whenever true ones exist. The default is the Benjamini-Yekutieli
adjustment (valid under any dependence) [5]_ [6]_.

Non-integer values (harm-weighted counts)
-----------------------------------------
A harm-weighted cell value is a compound Poisson sum. It is tested as a scaled Poisson count
``x / phi`` with ``phi = sum(x^2) / sum(x)`` over the valid cells (the variance-to-mean ratio of
a compound Poisson sum, as in the gamma method for weighted Poisson sums of Fay and Feuer [7]_).
``phi`` is at least the harm of a typical offence and grows when offences share cells, which only
makes the test more conservative. For integer counts ``phi = 1``.

Overdispersion (dense, clustered counts)
----------------------------------------
Real offence counts vary more than a Poisson process allows (repeat locations, the police.uk snap
points that stack offences on one map point), so on dense data a Poisson test flags nearly every
neighbourhood that is a little above its region. The variance-to-mean ratio ``delta`` of the
neighbourhood counts is estimated robustly from the Pearson residuals
``r = (S - E) / sqrt(E (1 - pi))`` of the cells whose neighbourhood expects at least
:data:`DISPERSION_MIN_EXPECTED` offences: ``delta = max(1, (1.4826 MAD(r))^2)``, the median absolute
deviation being insensitive to the few real hot spots [8]_ [9]_. Counts are then tested on the
scale ``S / delta`` (a quasi-Poisson test). On sparse data no cell expects that many offences, the
residuals are not near-normal, and ``delta = 1``: the exact test is unchanged where it is exact.

Choice of the background radius
-------------------------------
``background`` defaults to ten times the neighbourhood radius (3 km around a 300 m Gi* window).
A larger background is closer to the global test (more power on a homogeneous map, less
protection against gradients); a smaller one protects against sharper gradients but conditions on
fewer offences and loses power. With the background covering the whole study area the test is the
exact version of the Gi* null (offences placed uniformly at random).

References
----------
.. [1] Przyborowski, J., Wilenski, H. (1940). Homogeneity of results in testing samples from Poisson
   series. *Biometrika* 31(3/4), 313-323.
.. [2] Krishnamoorthy, K., Thomson, J. (2004). A more powerful test for comparing two Poisson means.
   *Journal of Statistical Planning and Inference* 119(1), 23-35.
.. [3] Kulldorff, M. (1997). A spatial scan statistic. *Communications in Statistics - Theory and
   Methods* 26(6), 1481-1496.
.. [4] Gilbert, P. B. (2005). A modified false discovery rate multiple-comparisons procedure for
   discrete data, applied to human immunodeficiency virus genetics. *JRSS C* 54(1), 143-158.
.. [5] Benjamini, Y., Yekutieli, D. (2001). The control of the false discovery rate in multiple
   testing under dependency. *Annals of Statistics* 29(4), 1165-1188.
.. [6] Caldas de Castro, M., Singer, B. H. (2006). Controlling the false discovery rate: a new
   application to account for multiple and dependent tests in local statistics of spatial
   association. *Geographical Analysis* 38(2), 180-208.
.. [7] Fay, M. P., Feuer, E. J. (1997). Confidence intervals for directly standardized rates: a
   method based on the gamma distribution. *Statistics in Medicine* 16(7), 791-801.
.. [8] McCullagh, P., Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., section 4.5
   (quasi-Poisson dispersion).
.. [9] Hampel, F. R. (1974). The influence curve and its role in robust estimation. *JASA*
   69(346), 383-393 (the median absolute deviation, 1.4826 for normal consistency).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc

from hotspot.errors import ArgumentError
from hotspot.kernels import gistar as kern

#: Background radius as a multiple of the neighbourhood radius when not given.
BACKGROUND_FACTOR = 10.0
#: Below this expected neighbourhood count the normal (analytic) Gi* p-value is not trusted:
#: ``inference="analytic"`` warns. A Poisson count with mean 30 has a normal upper tail at
#: ``p = 1e-4`` that is off by a factor of about 2, and the error grows fast below it.
ANALYTIC_MIN_EXPECTED = 30.0
#: Neighbourhoods expecting at least this many offences estimate the overdispersion.
DISPERSION_MIN_EXPECTED = 5.0
#: Fewest such neighbourhoods for an estimate (else no overdispersion correction).
DISPERSION_MIN_CELLS = 50


def overdispersion(observed: np.ndarray, expected: np.ndarray, pi: np.ndarray) -> float:
    """Robust variance-to-mean ratio of neighbourhood counts (1 when it cannot be estimated).

    ``max(1, (1.4826 MAD(r))^2)`` over the Pearson residuals ``r = (S - E) / sqrt(E (1 - pi))`` of
    cells with ``E >= DISPERSION_MIN_EXPECTED`` (at least ``DISPERSION_MIN_CELLS`` of them).
    """
    o = np.asarray(observed, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    q = np.asarray(pi, dtype=np.float64).ravel()
    ok = np.isfinite(o) & np.isfinite(e) & np.isfinite(q) & (e >= DISPERSION_MIN_EXPECTED) & (q < 1)
    if ok.sum() < DISPERSION_MIN_CELLS:
        return 1.0
    r = (o[ok] - e[ok]) / np.sqrt(e[ok] * (1.0 - q[ok]))
    mad = float(np.median(np.abs(r - np.median(r))))
    return float(max(1.0, (1.4826 * mad) ** 2))


def binomial_tails(s: np.ndarray, n: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact upper and lower tails ``P(S >= s)`` and ``P(S <= s)`` of ``S ~ Binomial(n, pi)``.

    Non-integer ``s`` and ``n`` (scaled counts) use the continuous extension through the
    regularised incomplete beta function. NaN inputs give NaN.

    Parameters
    ----------
    s, n, pi : ndarray of float
        Observed count (``0 <= s <= n``), number of trials and success probability in (0, 1].

    Returns
    -------
    upper, lower : ndarray of float
    """

    s = np.asarray(s, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    pi = np.clip(np.asarray(pi, dtype=np.float64), 0.0, 1.0)
    bad = np.isnan(s) | np.isnan(n) | np.isnan(pi)
    s = np.where(bad, 0.0, np.clip(s, 0.0, None))
    n = np.where(bad, 0.0, np.maximum(n, s))
    pi = np.where(bad, 0.5, pi)
    upper = np.ones_like(s)
    pos = s > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        upper[pos] = betainc(s[pos], n[pos] - s[pos] + 1.0, pi[pos])
        lower = np.ones_like(s)
        below = s < n
        lower[below] = 1.0 - betainc(s[below] + 1.0, n[below] - s[below], pi[below])
    upper[pi >= 1.0] = 1.0
    lower[pi >= 1.0] = np.where(s[pi >= 1.0] >= n[pi >= 1.0], 1.0, 0.0)
    upper = np.clip(upper, 0.0, 1.0)
    lower = np.clip(lower, 0.0, 1.0)
    upper[bad] = np.nan
    lower[bad] = np.nan
    return upper, lower


def dispersion(values: np.ndarray, weighted: bool | None = None) -> float:
    """Scale ``phi`` of a compound Poisson cell value: 1 for counts, else ``sum x^2 / sum x``.

    ``weighted=None`` treats integer-valued grids as counts; ``True`` (a harm-weighted grid, e.g.
    ``count_points(..., weights=...)`` sets ``attrs["weighted"]``) always estimates ``phi``.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0 or v.sum() <= 0:
        return 1.0
    if not weighted and np.allclose(v, np.round(v), rtol=0, atol=1e-9):
        return 1.0
    return float(max((v * v).sum() / v.sum(), 1e-12))


def local_test(values: np.ndarray, cell: float, distance: float, background: float | None = None,
               *, weighted: bool | None = None, scale: float | None = None,
               dispersion_correction: bool = True) -> dict[str, np.ndarray]:
    """Exact conditional test of every cell's neighbourhood count against its background disk.

    Parameters
    ----------
    values : ndarray of float, shape (ny, nx)
        Counts (or non-negative harm-weighted counts); NaN = outside the study area.
    cell : float
        Cell size in metres.
    distance : float
        Neighbourhood radius in metres (the Gi* window, binary, self included).
    background : float, optional
        Radius of the background disk in metres (default :data:`BACKGROUND_FACTOR` x ``distance``);
        ``numpy.inf`` = the whole study area (the global, homogeneous null).
    weighted : bool, optional
        The values are harm-weighted sums (see :func:`dispersion`).
    scale : float, optional
        ``phi`` given directly, e.g. ``sum(w^2) / sum(w)`` over the offences' harm weights (the
        exact compound Poisson variance-to-mean ratio); overrides the estimate from the cells.
    dispersion_correction : bool
        Scale by the robust overdispersion :func:`overdispersion` (default True; 1 on sparse data).

    Returns
    -------
    dict of str -> ndarray
        ``observed`` (neighbourhood count), ``expected`` (``N pi``, the count the background
        predicts), ``p_upper``, ``p_lower``, ``p_exact`` (two-sided), ``phi`` (0-d, the scale
        of non-integer values) and ``overdispersion`` (0-d). NaN outside the study area.

    References
    ----------
    .. [1] Przyborowski and Wilenski (1940); Kulldorff (1997); see the module docstring.
    """

    y = np.ascontiguousarray(values, dtype=np.float64)
    valid = ~np.isnan(y)
    d_cells = float(distance) / float(cell)
    bg = BACKGROUND_FACTOR * float(distance) if background is None else float(background)
    if not bg > 0:
        raise ArgumentError("background", background, "a background radius in metres > distance "
                            "(or inf for the whole study area)")
    if bg < float(distance):
        raise ArgumentError("background", background, f"at least the neighbourhood distance {distance:g} m")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise ArgumentError("scale", scale, "a positive variance-to-mean ratio of the weights")
    phi = float(scale) if scale is not None else dispersion(y[valid], weighted)
    ys = np.where(valid, y / phi, np.nan)
    dy, hw = kern.disk_stencil(d_cells)
    s_in, k_in = kern.window_sums_binary(ys, valid, dy, hw)
    ny, nx = y.shape
    if not np.isfinite(bg) or bg / float(cell) > np.hypot(ny, nx):
        n_out = np.full(y.shape, float(np.nansum(ys)))
        k_out = np.full(y.shape, float(valid.sum()))
    else:
        dy2, hw2 = kern.disk_stencil(bg / float(cell))
        n_out, k_out = kern.window_sums_binary(ys, valid, dy2, hw2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = np.where(valid & (k_out > 0), k_in / k_out, np.nan)
    n_out = np.where(valid, n_out, np.nan)
    s_in = np.where(valid, s_in, np.nan)
    delta = overdispersion(s_in, n_out * pi, pi) if dispersion_correction else 1.0
    up, lo = binomial_tails(s_in / delta, n_out / delta, pi)
    p2 = np.minimum(1.0, 2.0 * np.minimum(up, lo))
    return {"observed": s_in * phi, "expected": n_out * pi * phi, "p_upper": up, "p_lower": lo,
            "p_exact": p2, "phi": np.asarray(phi), "overdispersion": np.asarray(delta),
            "background": np.asarray(bg)}


def spacetime_test(values: np.ndarray, cell: float, distance: float, time_lag: int,
                   background: float | None = None) -> dict[str, np.ndarray]:
    """Exact conditional test of every space-time bin's neighbourhood count (emerging hot spots).

    The neighbourhood of bin ``(t, i)`` is the Gi* one: the disk of radius ``distance`` around
    cell ``i`` at steps ``t0 = max(0, t - time_lag) .. t``. Under the null of no local excess the
    intensity factorises as ``lambda(s, t) = rho(s) b(t)`` with ``rho`` smooth in space (constant
    over the background disk ``B_i``) and ``b`` the force-wide time profile (seasons, trends,
    lockdowns), as in the space-time permutation scan statistic [1]_. Conditional on the ``N_i``
    offences in ``B_i`` over all steps, the count in the neighbourhood is
    ``Binomial(N_i, (k_i / K_i) * (G[t0..t] / G))`` where ``G[t0..t]`` is the study area's count in
    the window steps and ``G`` its total. A bin is hot when it holds more than its place's own
    long-run level and the force-wide time profile predict; a place that has always been hot is
    hot in every step (persistent), a place that is hot only now is hot in the final step only
    (new).

    Parameters
    ----------
    values : ndarray (T, ny, nx) of float
        Counts; NaN = outside the study area (same cells at every step).
    cell, distance : float
        Cell size and neighbourhood radius in metres.
    time_lag : int
        Previous steps in the neighbourhood.
    background : float, optional
        Background radius in metres (default :data:`BACKGROUND_FACTOR` x ``distance``).

    Returns
    -------
    dict of str -> ndarray (T, ny, nx)
        ``observed``, ``expected``, ``p_upper``, ``p_lower``, ``p_exact`` (two-sided) and
        ``overdispersion`` (0-d, see :func:`overdispersion`).

    References
    ----------
    .. [1] Kulldorff, M., Heffernan, R., Hartman, J., Assuncao, R., Mostashari, F. (2005). A
       space-time permutation scan statistic for disease outbreak detection. *PLoS Medicine*
       2(3), e59.
    .. [2] Przyborowski and Wilenski (1940), the conditional binomial test of Poisson rates.
    """

    v = np.ascontiguousarray(values, dtype=np.float64)
    nt = v.shape[0]
    valid = ~np.isnan(v[0])
    phi = dispersion(v[:, valid])
    v = np.where(valid[None], v / phi, np.nan)
    bg = BACKGROUND_FACTOR * float(distance) if background is None else float(background)
    if not bg >= float(distance):
        raise ArgumentError("background", background, f"at least the neighbourhood distance {distance:g} m")
    dy, hw = kern.disk_stencil(float(distance) / float(cell))
    s_sp = np.empty_like(v)
    k_in = None
    for t in range(nt):
        s_sp[t], k_in = kern.window_sums_binary(v[t], valid, dy, hw)
    total = np.where(valid, np.nansum(v, axis=0), np.nan)
    ny, nx = valid.shape
    if not np.isfinite(bg) or bg / float(cell) > np.hypot(ny, nx):
        n_out = np.where(valid, np.nansum(total), np.nan)
        k_out = np.where(valid, float(valid.sum()), np.nan)
    else:
        dy2, hw2 = kern.disk_stencil(bg / float(cell))
        n_out, k_out = kern.window_sums_binary(total, valid, dy2, hw2)
    g = np.nansum(v.reshape(nt, -1), axis=1)
    cg = np.concatenate([[0.0], np.cumsum(g)])
    g_all = cg[-1]
    cs = np.concatenate([np.zeros((1,) + valid.shape), np.cumsum(np.nan_to_num(s_sp), axis=0)])
    obs = np.empty_like(v)
    share = np.empty(nt)
    for t in range(nt):
        t0 = max(0, t - int(time_lag))
        obs[t] = cs[t + 1] - cs[t0]
        share[t] = (cg[t + 1] - cg[t0]) / g_all if g_all > 0 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = (k_in / k_out)[None] * share[:, None, None]
    obs = np.where(valid[None], obs, np.nan)
    n_b = np.broadcast_to(n_out, obs.shape)
    pi = np.where(valid[None], pi, np.nan)
    delta = overdispersion(obs, n_b * pi, pi)
    up, lo = binomial_tails(obs / delta, n_b / delta, pi)
    p2 = np.minimum(1.0, 2.0 * np.minimum(up, lo))
    return {"observed": obs * phi, "expected": n_b * pi * phi, "p_upper": up, "p_lower": lo,
            "p_exact": p2, "overdispersion": np.asarray(delta)}

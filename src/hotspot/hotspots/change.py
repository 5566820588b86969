"""Change that is not noise: Poisson tests of each hot spot against its own history, map
similarity between cycles (ArcGIS Hot Spot Analysis Comparison) and top-N list stability.

A percent change of a small count is mostly noise: 3 offences after 1 is "+200%". For each place,
:func:`poisson_change` tests this period's count against the place's own history (counts and
exposures, e.g. this month against the previous twelve) with the E-test of Krishnamoorthy and
Thomson [1]_ (more powerful than the conditional test at small counts, and close to exact size)
or the conditional binomial C-test [2]_, and adjusts the p-values over the places (Benjamini-
Hochberg). :func:`map_similarity` compares two hot spot maps on the same grid as ArcGIS's Hot Spot
Analysis Comparison does [3]_: the share of cells in the same category (with partial credit for
the same sign at another confidence level) and the fuzzy kappa of Hagen-Zanker [4]_, which lets a
hot spot that moved one cell count as nearly the same. :func:`list_stability` compares two ranked
top-N lists of places: Jaccard overlap and rank-biased overlap [5]_.

References
----------
.. [1] Krishnamoorthy, K., Thomson, J. (2004). A more powerful test for comparing two Poisson
   means. *Journal of Statistical Planning and Inference* 119(1), 23-35.
.. [2] Przyborowski, J., Wilenski, H. (1940). Homogeneity of results in testing samples from
   Poisson series. *Biometrika* 31(3/4), 313-323.
.. [3] Esri. How Hot Spot Analysis Comparison works (ArcGIS Pro, Spatial Statistics): similarity
   and fuzzy kappa of two hot spot results.
.. [4] Hagen-Zanker, A. (2009). An improved Fuzzy Kappa statistic that accounts for spatial
   autocorrelation. *International Journal of Geographical Information Science* 23(1), 61-73.
.. [5] Webber, W., Moffat, A., Zobel, J. (2010). A similarity measure for indefinite rankings.
   *ACM Transactions on Information Systems* 28(4), 20.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, poisson

from hotspot.errors import ArgumentError
from hotspot.hotspots.fdr import adjust

_TESTS = ("e_test", "c_test")


def e_test(k1: int, k2: int, t1: float, t2: float, alternative: str = "two-sided") -> float:
    """Krishnamoorthy-Thomson E-test p-value for ``H0: lambda1 = lambda2`` (Poisson rates).

    Parameters
    ----------
    k1, k2 : int
        Counts in the two periods.
    t1, t2 : float
        Their exposures (e.g. 1 month and 12 months).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: ``lambda1 > lambda2`` (the current period is higher).

    Returns
    -------
    float
        ``P(T(X1, X2) >= T(k1, k2))`` (``<=`` for "less"; ``|T|`` for two-sided) with ``X1, X2``
        Poisson with the pooled rate, ``T = (X1/t1 - X2/t2) / sqrt(X1/t1^2 + X2/t2^2)``
        (``T = 0`` when both are 0), the tails summed exactly to 1e-12 of the mass [1]_.
    """

    if alternative not in ("two-sided", "greater", "less"):
        raise ArgumentError("alternative", alternative, "'two-sided', 'greater' or 'less'")
    k1, k2 = int(k1), int(k2)
    if k1 < 0 or k2 < 0 or not (t1 > 0 and t2 > 0):
        raise ArgumentError("k1", (k1, k2, t1, t2), "counts >= 0 and exposures > 0")
    lam = (k1 + k2) / (t1 + t2)
    if lam == 0:
        return 1.0

    def stat(a, b):
        with np.errstate(invalid="ignore", divide="ignore"):
            v = a / t1 ** 2 + b / t2 ** 2
            return np.where(v > 0, (a / t1 - b / t2) / np.sqrt(np.where(v > 0, v, 1.0)), 0.0)

    m1, m2 = lam * t1, lam * t2
    a = np.arange(0, int(poisson.isf(1e-12, m1)) + 2)
    b = np.arange(0, int(poisson.isf(1e-12, m2)) + 2)
    pa, pb = poisson.pmf(a, m1), poisson.pmf(b, m2)
    t_obs = float(stat(np.float64(k1), np.float64(k2)))
    tt = stat(a[:, None].astype(float), b[None, :].astype(float))
    eps = 1e-12
    if alternative == "greater":
        sel = tt >= t_obs - eps
    elif alternative == "less":
        sel = tt <= t_obs + eps
    else:
        sel = np.abs(tt) >= abs(t_obs) - eps
    return float(min(1.0, (pa[:, None] * pb[None, :] * sel).sum()))


def c_test(k1: int, k2: int, t1: float, t2: float, alternative: str = "two-sided") -> float:
    """Conditional binomial test: ``k1 | k1 + k2 ~ Binomial(k1 + k2, t1 / (t1 + t2))`` [2]_."""

    n = int(k1) + int(k2)
    if n == 0:
        return 1.0
    return float(binomtest(int(k1), n, t1 / (t1 + t2), alternative=alternative).pvalue)


def poisson_change(now: Any, history: Any, *, exposure_now: float = 1.0, exposure_history: float = 12.0,
                   test: str = "e_test", alpha: float = 0.05) -> pd.DataFrame:
    """Each place's change against its own history, tested as Poisson rates (not percent change).

    Parameters
    ----------
    now, history : array_like of int
        Counts per place in the current period and in the history (same places, same order).
    exposure_now, exposure_history : float
        Lengths of the two periods in the same unit (e.g. 1 and 12 months).
    test : {"e_test", "c_test"}
        Krishnamoorthy-Thomson E-test (default) or the conditional binomial test.
    alpha : float
        Level of ``change`` after the Benjamini-Hochberg adjustment over the places.

    Returns
    -------
    DataFrame
        ``now, history, rate_now, rate_history`` (per unit of exposure), ``rate_ratio``,
        ``p_value`` (two-sided), ``q_value`` and ``change``: "up", "down" or "no significant
        change".
    """

    if test not in _TESTS:
        raise ArgumentError("test", test, "'e_test' or 'c_test'")
    a = np.asarray(now, dtype=float).ravel()
    b = np.asarray(history, dtype=float).ravel()
    if a.shape != b.shape:
        raise ArgumentError("history", f"{b.size} places", f"one per place in now ({a.size})")
    if (a < 0).any() or (b < 0).any() or not np.allclose(a, np.round(a)) or not np.allclose(b, np.round(b)):
        raise ArgumentError("now", "non-integer or negative counts", "offence counts (integers >= 0)")
    if not (exposure_now > 0 and exposure_history > 0):
        raise ArgumentError("exposure_history", exposure_history, "exposures > 0 (e.g. months)")
    fn = e_test if test == "e_test" else c_test
    p = np.array([fn(int(x), int(y), exposure_now, exposure_history) for x, y in zip(a, b)])
    q = adjust(p, "bh") if p.size else p
    rn, rh = a / exposure_now, b / exposure_history
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rh > 0, rn / np.where(rh > 0, rh, 1.0), np.inf)
    ratio = np.where((rn == 0) & (rh == 0), np.nan, ratio)
    label = np.where(q <= alpha, np.where(rn > rh, "up", "down"), "no significant change")
    return pd.DataFrame({"now": a.astype(int), "history": b.astype(int), "rate_now": rn, "rate_history": rh,
                         "rate_ratio": ratio, "p_value": p, "q_value": q, "change": label})


def _classes(obj: Any) -> np.ndarray:
    v = obj["gi_class"] if hasattr(obj, "data_vars") else obj
    return np.asarray(getattr(v, "values", v), dtype=float)


def _category_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 for the same class, 0.5 for the same sign at another confidence level, else 0."""
    same = a == b
    sign = (np.sign(a) == np.sign(b)) & (a != 0) & (b != 0)
    return np.where(same, 1.0, np.where(sign, 0.5, 0.0))


def _fuzzy(a: np.ndarray, b: np.ndarray, valid: np.ndarray, radius: int, halving: float) -> np.ndarray:
    """Per cell ``max_j M(a_i, b_j) 2^(-d_ij / halving)`` over valid ``j`` within ``radius`` cells."""
    ny, nx = a.shape
    best = np.zeros(a.shape)
    bp = np.pad(np.where(valid, b, np.nan), radius, constant_values=np.nan)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            d = np.hypot(dy, dx)
            if d > radius + 1e-9:
                continue
            sh = bp[radius + dy:radius + dy + ny, radius + dx:radius + dx + nx]
            m = np.where(np.isnan(sh), 0.0, _category_similarity(a, np.nan_to_num(sh))) * 2.0 ** (-d / halving)
            np.maximum(best, m, out=best)
    return best


def map_similarity(before: Any, after: Any, *, radius: int = 2, halving: float = 1.0,
                   permutations: int = 5, seed: int = 0) -> dict[str, float]:
    """Similarity of two hot spot maps on the same grid (ArcGIS Hot Spot Analysis Comparison).

    Parameters
    ----------
    before, after : xarray.Dataset or array
        Gi* results (``gi_class``, -3..3; NaN or a NaN ``count`` outside the study area).
    radius : int
        Neighbourhood of the fuzzy comparison, in cells.
    halving : float
        Distance (cells) at which a match counts half (exponential decay ``2^(-d / halving)``).
    permutations : int
        Random rearrangements of the cells used to estimate the expected fuzzy similarity.
    seed : int
        Seed of the rearrangements.

    Returns
    -------
    dict
        ``similarity`` (mean category similarity over all valid cells), ``similarity_significant``
        (the same over cells significant in either map, the informative part of a sparse map),
        ``identical_share`` (same class), ``fuzzy_similarity`` (mean two-way fuzzy similarity),
        ``fuzzy_kappa`` (``(P - E) / (1 - E)``, ``E`` the fuzzy similarity of randomly rearranged
        maps), ``n_cells`` and ``n_significant``.

    Notes
    -----
    Hagen-Zanker [4]_ derives ``E`` analytically for his exponential membership; the Monte Carlo
    estimate here (``permutations`` rearrangements of both maps' cells) estimates the same
    expectation and is exact in the limit.
    """
    a = _classes(before)
    b = _classes(after)
    if a.shape != b.shape:
        raise ArgumentError("after", f"a grid of shape {b.shape}", f"the grid of 'before' {a.shape}")
    valid = np.isfinite(a) & np.isfinite(b)
    for obj in (before, after):
        if hasattr(obj, "data_vars") and "count" in obj:
            valid &= np.isfinite(np.asarray(obj["count"].values, dtype=float))
    a = np.where(valid, a, 0.0)
    b = np.where(valid, b, 0.0)
    n = int(valid.sum())
    if n == 0:
        raise ArgumentError("before", "no valid cells in common", "two maps of the same study area")
    sim = _category_similarity(a, b)
    sig = valid & ((a != 0) | (b != 0))

    def fuzzy_two_way(x, y):
        s = np.minimum(_fuzzy(x, y, valid, radius, halving), _fuzzy(y, x, valid, radius, halving))
        return float(s[valid].mean())

    p_obs = fuzzy_two_way(a, b)
    rng = np.random.default_rng(seed)
    exp = []
    idx = np.flatnonzero(valid.ravel())
    for _ in range(max(1, int(permutations))):
        ar, br = a.copy().ravel(), b.copy().ravel()
        ar[idx] = ar[rng.permutation(idx)]
        br[idx] = br[rng.permutation(idx)]
        exp.append(fuzzy_two_way(ar.reshape(a.shape), br.reshape(b.shape)))
    e = float(np.mean(exp))
    kappa = (p_obs - e) / (1.0 - e) if e < 1 else float("nan")
    return {"similarity": float(sim[valid].mean()),
            "similarity_significant": float(sim[sig].mean()) if sig.any() else float("nan"),
            "identical_share": float((a == b)[valid].mean()), "fuzzy_similarity": p_obs,
            "fuzzy_kappa": float(kappa), "n_cells": n, "n_significant": int(sig.sum())}


def match_places(before: pd.DataFrame, after: pd.DataFrame, distance: float = 250.0) -> list[int]:
    """For each place of ``after`` (in order), the index of the nearest ``before`` place within
    ``distance`` metres (each used once, greedily by rank), or -1."""
    used: set[int] = set()
    out = []
    bx, by = before["x"].to_numpy(float), before["y"].to_numpy(float)
    for x, y in zip(after["x"].to_numpy(float), after["y"].to_numpy(float)):
        d = np.hypot(bx - x, by - y)
        d[list(used)] = np.inf
        k = int(np.argmin(d)) if d.size else -1
        if k >= 0 and d[k] <= distance:
            used.add(k)
            out.append(k)
        else:
            out.append(-1)
    return out


def rank_biased_overlap(a: list, b: list, p: float = 0.9) -> float:
    """Extrapolated rank-biased overlap of two ranked lists of equal depth [5]_ (1 = identical)."""
    if not 0 < p < 1:
        raise ArgumentError("p", p, "a persistence in (0, 1), e.g. 0.9")
    k = min(len(a), len(b))
    if k == 0:
        return float("nan")
    sa, sb, acc, x_d = set(), set(), 0.0, 0
    for d in range(1, k + 1):
        sa.add(a[d - 1])
        sb.add(b[d - 1])
        x_d = len(sa & sb)
        acc += (x_d / d) * p ** d
    return float(x_d / k * p ** k + (1 - p) / p * acc)


def list_stability(before: pd.DataFrame, after: pd.DataFrame, *, top: int = 10, distance: float = 250.0,
                   p: float = 0.9) -> dict[str, float]:
    """Stability of a ranked top-N list of places between two cycles.

    Places (rows with ``x``, ``y``, in rank order) are the same place when their centres are
    within ``distance`` metres. Returns ``jaccard`` (shared / union of the two top-N sets),
    ``rbo`` (rank-biased overlap, persistence ``p``; weights agreement at the top) and
    ``n_shared``.
    """
    a, b = before.head(top).reset_index(drop=True), after.head(top).reset_index(drop=True)
    m = match_places(a, b, distance)
    ids_a = list(range(len(a)))
    ids_b = [k if k >= 0 else 10_000 + i for i, k in enumerate(m)]
    shared = sum(k >= 0 for k in m)
    union = len(a) + len(b) - shared
    return {"jaccard": shared / union if union else float("nan"), "rbo": rank_biased_overlap(ids_a, ids_b, p),
            "n_shared": int(shared), "top": int(top)}

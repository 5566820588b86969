"""Forecast accuracy: hit rate, PAI, PEI*, Poisson deviance, MAE and interval coverage.

Every model is scored on the same units (the study area's universe, :mod:`hotspot.grid.universe`)
by the same rules:

- **Selection.** Units are ranked by forecast, descending; ties are broken by the universe order
  (sorted unit ids), identically for every model (a stable sort over the same unit order). The top
  units are taken until they cover a share ``p`` of the STUDY AREA ``A`` (the force area, not the
  area of units that happened to have offences): for equal cells of area ``a`` that is
  ``k = max(1, floor(p * A / a))`` cells; for polygons, units are added while the cumulative area
  stays within ``p * A`` (at least one).
- **Hit rate** ``n / N``: observed offences in the selected units over all observed offences.
- **PAI** = hit rate / (selected area / ``A``) (Chainey, Tompson and Uhlig 2008).
- **PEI*** = ``n / n*`` where ``n*`` is the most offences any selection of the same number of cells
  could have captured (the top-k cells by observed count; Hunt 2016, as used by Joshi et al. 2021
  in the NIJ challenge evaluation). For unequal polygons ``n*`` is approximated greedily by observed
  density up to the selected area.
- **Deviance**: mean Poisson deviance per unit with every forecast floored at
  :data:`DEVIANCE_FLOOR` (0.01 offences per unit per horizon) for EVERY model, so that a model
  predicting exact zeros is not charged ``y log(y / 1e-9)`` while another is not.

References
----------
Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
spatial patterns of crime. Security Journal 21, 4-28.
Hunt, J. M. (2016). Do crime hot spots move? Exploring the effects of the modifiable areal unit
problem and modifiable temporal unit problem on crime hot spot stability. PhD thesis, American
University (PEI*).
Joshi, C., Curtis-Ham, S., D'Ath, C. and Searle, D. (2021). Considerations for developing predictive
spatial models of crime and new methods for measuring their accuracy. ISPRS Int. J. Geo-Inf. 10, 597.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from hotspot.errors import ArgumentError

#: Area shares (percent of the study area) reported by default: 0.25% and 0.5% are the NIJ
#: challenge's operational range.
AREA_PERCENTS = (0.25, 0.5, 1, 5, 10)
#: Floor applied to every model's forecast in the Poisson deviance (offences per unit and horizon).
DEVIANCE_FLOOR = 0.01


def pct_key(p: float) -> str:
    """Column/JSON key of an area percentage: ``0.25 -> "0.25"``, ``5 -> "5"``."""
    return f"{float(p):g}"


def _check(forecast, observed, area):
    f = np.asarray(forecast, float)
    y = np.asarray(observed, float)
    if f.shape != y.shape or f.ndim != 1:
        raise ArgumentError("forecast", f.shape, f"a 1-D array of the same shape as observed {y.shape}")
    a = np.ones_like(f) if area is None else np.asarray(area, float)
    if a.shape != f.shape or np.any(~(a > 0)):
        raise ArgumentError("area", a.shape, "positive unit areas, one per unit")
    if np.any(~np.isfinite(f)):
        raise ArgumentError("forecast", "non-finite values", "finite forecasts for every unit")
    return f, y, a


def _n_equal(share: float, total_area: float, unit_area: float) -> int:
    """Units of equal area that make up ``share`` of the study area (at least one)."""
    return max(1, int(np.floor(share * total_area / unit_area + 1e-9)))


def _take(order: np.ndarray, area: np.ndarray, share: float, equal: bool, total_area: float) -> np.ndarray:
    """Indices (in ``order``) selected until ``share`` of the study area is covered."""
    if not 0 < share <= 1:
        raise ArgumentError("share", share, "a fraction in (0, 1]")
    if equal:
        return order[: min(_n_equal(share, total_area, area[0]), len(order))]
    cum = np.cumsum(area[order])
    k = max(1, int(np.searchsorted(cum, share * total_area * (1 + 1e-12), side="right")))
    return order[:k]


def rank_units(score: np.ndarray, k: int | None = None) -> np.ndarray:
    """Descending order of ``score``; ties keep the unit (universe) order: the same for all models.

    With ``k``, only the first ``k`` of that order (the same units in the same order, found by a
    partial sort: a force-wide grid has 80,000 cells and the scorer needs the top 10%).
    """
    neg = -np.asarray(score, float)
    if k is None or k >= neg.size // 2:
        order = np.argsort(neg, kind="stable")
        return order if k is None else order[:k]
    k = max(int(k), 1)
    cut = np.partition(neg, k - 1)[k - 1]          # the k-th highest score
    cand = np.flatnonzero(neg <= cut)               # every unit up to it, ties included, unit order
    return cand[np.argsort(neg[cand], kind="stable")][:k]


def hotspot_scores(forecast, observed, *, area=None, total_area=None,
                   shares=(0.01, 0.05, 0.10)) -> dict:
    """Hit rate, PAI and PEI* at each area share.

    Parameters
    ----------
    forecast, observed : array-like
        Forecast score (any monotone risk measure) and observed count per unit, for EVERY unit of
        the study area.
    area : array-like, optional
        Unit areas (default: 1 each).
    total_area : float, optional
        The study area ``A`` that shares and PAI refer to (default: the sum of unit areas).
    shares : sequence of float
        Area shares, e.g. 0.01 for the top 1% of the area.

    Returns
    -------
    dict
        ``{"hit_rate": {share: v}, "pai": {...}, "pei": {...}}``; NaN when nothing was observed.
    """
    f, y, a = _check(forecast, observed, area)
    equal = bool(np.allclose(a, a[0]))
    total = y.sum()
    A = float(a.sum() if total_area is None else total_area)
    if not A > 0:
        raise ArgumentError("total_area", total_area, "a positive study-area area")
    if equal:  # the top of each ranking is all the scorer reads
        kmax = min(len(f), max(_n_equal(s, A, a[0]) for s in shares))
        by_f, by_y = rank_units(f, kmax), rank_units(y / a, kmax)
    else:
        by_f, by_y = rank_units(f), rank_units(y / a)
    out: dict[str, dict] = {"hit_rate": {}, "pai": {}, "pei": {}}
    for s in shares:
        sel = _take(by_f, a, s, equal, A)
        hits = y[sel].sum()
        area_share = a[sel].sum() / A
        if total <= 0:
            hr = pai = pei = float("nan")
        else:
            hr = hits / total
            pai = hr / area_share
            if equal:
                best = y[by_y[: len(sel)]].sum()
            else:
                cum = np.cumsum(a[by_y])
                k = max(1, int(np.searchsorted(cum, a[sel].sum() * (1 + 1e-12), side="right")))
                best = y[by_y[:k]].sum()
            pei = hits / best if best > 0 else float("nan")
        out["hit_rate"][s] = float(hr)
        out["pai"][s] = float(pai)
        out["pei"][s] = float(pei)
    return out


def interval_coverage(observed, low, high) -> float:
    """Share of units whose observed count lies in ``[low, high]`` (inclusive)."""
    y = np.asarray(observed, float)
    return float(np.mean((y >= np.asarray(low, float)) & (y <= np.asarray(high, float))))


def randomized_pit_coverage(observed, mu, alpha: float, level: float = 0.8, seed: int = 0) -> float:
    """Coverage of the central ``level`` interval judged on the randomised PIT of a count
    distribution (Poisson if ``alpha == 0``, else NB with variance ``mu + alpha mu^2``): the share of
    units whose PIT ``u = F(y - 1) + V (F(y) - F(y - 1))`` falls in ``[(1 - level)/2, (1 + level)/2]``.
    Free of the over-coverage that integer quantile intervals show at small means (Czado, Gneiting
    and Held 2009)."""
    y = np.asarray(observed, float)
    m = np.maximum(np.asarray(mu, float), 1e-12)
    if alpha > 1e-9:
        n = 1.0 / alpha
        dist = stats.nbinom(n, n / (n + m))
    else:
        dist = stats.poisson(m)
    lo_cdf = np.where(y > 0, dist.cdf(y - 1), 0.0)
    u = lo_cdf + np.random.default_rng(seed).random(y.size) * (dist.cdf(y) - lo_cdf)
    a = (1 - level) / 2
    return float(np.mean((u >= a) & (u <= 1 - a)))


def hit_rate(forecast, observed, share: float = 0.05, *, area=None) -> float:
    """Share of observed offences in the top units by forecast covering ``share`` of the area."""
    return hotspot_scores(forecast, observed, area=area, shares=(share,))["hit_rate"][share]


def pai(forecast, observed, share: float = 0.05, *, area=None) -> float:
    """Predictive Accuracy Index (Chainey et al. 2008): hit rate / area share."""
    return hotspot_scores(forecast, observed, area=area, shares=(share,))["pai"][share]


def pei_star(forecast, observed, share: float = 0.05, *, area=None) -> float:
    """PEI* (Hunt 2016): hits / most hits possible with the same area."""
    return hotspot_scores(forecast, observed, area=area, shares=(share,))["pei"][share]


def poisson_deviance(forecast, observed, *, floor: float = DEVIANCE_FLOOR) -> float:
    """Mean Poisson deviance per unit, ``2 * mean(y log(y/mu) - (y - mu))``, ``mu`` floored at
    ``floor`` (:data:`DEVIANCE_FLOOR` for every model)."""
    mu = np.maximum(np.asarray(forecast, float), floor)
    y = np.asarray(observed, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(np.mean(2.0 * (term - (y - mu))))


def mae(forecast, observed) -> float:
    """Mean absolute error per unit."""
    return float(np.mean(np.abs(np.asarray(forecast, float) - np.asarray(observed, float))))


def all_scores(forecast, observed, *, area=None, total_area=None, percents=AREA_PERCENTS) -> dict:
    """Every metric in one flat dict: ``hit_rate_0.25, pai_0.25, pei_0.25, ..., deviance, mae``."""
    sc = hotspot_scores(forecast, observed, area=area, total_area=total_area,
                        shares=tuple(p / 100 for p in percents))
    out = {}
    for m in ("hit_rate", "pai", "pei"):
        for p in percents:
            out[f"{m}_{pct_key(p)}"] = sc[m][p / 100]
    out["deviance"] = poisson_deviance(forecast, observed)
    out["mae"] = mae(forecast, observed)
    return out

"""Forecast accuracy: hit rate, PAI, PEI*, Poisson deviance and MAE.

The top units by forecast are selected until they cover a share ``p`` of the study area (at least
one unit; for equal cells ``floor(p * n)``). With observed counts ``y``:

- hit rate ``n/N`` = observed offences in the selected units / all observed offences;
- PAI = hit rate / area share of the selected units (Chainey, Tompson and Uhlig 2008);
- PEI* = ``n / n*`` where ``n*`` is the most offences any selection of the same area could have
  captured: the top units by observed count (Hunt 2016). For unequal polygon areas ``n*`` is
  approximated greedily by observed density (count / area) up to the same area.

References
----------
Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
spatial patterns of crime. Security Journal 21, 4-28.
Hunt, J. M. (2016). Do crime hot spots move? Exploring the effects of the modifiable areal unit
problem and modifiable temporal unit problem on crime hot spot stability. PhD thesis, American
University (PEI*).
"""

from __future__ import annotations

import numpy as np

from hotspot.errors import ArgumentError

#: Area shares (percent) reported by default.
AREA_PERCENTS = (1, 5, 10)


def _check(forecast, observed, area):
    f = np.asarray(forecast, float)
    y = np.asarray(observed, float)
    if f.shape != y.shape or f.ndim != 1:
        raise ArgumentError("forecast", f.shape, f"a 1-D array of the same shape as observed {y.shape}")
    a = np.ones_like(f) if area is None else np.asarray(area, float)
    if a.shape != f.shape or np.any(~(a > 0)):
        raise ArgumentError("area", a.shape, "positive unit areas, one per unit")
    return f, y, a


def _take(order: np.ndarray, area: np.ndarray, share: float, equal: bool) -> np.ndarray:
    """Indices (in ``order``) selected until ``share`` of the total area is covered."""
    if not 0 < share <= 1:
        raise ArgumentError("share", share, "a fraction in (0, 1]")
    if equal:
        k = max(1, int(np.floor(share * len(order) + 1e-9)))
        return order[:k]
    cum = np.cumsum(area[order])
    k = max(1, int(np.searchsorted(cum, share * area.sum() * (1 + 1e-12), side="right")))
    return order[:k]


def _rank(score: np.ndarray) -> np.ndarray:
    """Descending order; ties keep unit order (stable)."""
    return np.argsort(-score, kind="stable")


def hotspot_scores(forecast, observed, *, area=None, shares=(0.01, 0.05, 0.10)) -> dict:
    """Hit rate, PAI and PEI* at each area share.

    Parameters
    ----------
    forecast, observed : array-like
        Forecast score (any monotone risk measure) and observed count per unit.
    area : array-like, optional
        Unit areas (default: equal, i.e. grid cells).
    shares : sequence of float
        Area shares, e.g. 0.01 for the top 1% of the area.

    Returns
    -------
    dict
        ``{"hit_rate": {share: v}, "pai": {...}, "pei": {...}}``; NaN when nothing was observed.
    """
    f, y, a = _check(forecast, observed, area)
    equal = area is None or np.allclose(a, a[0])
    total, total_area = y.sum(), a.sum()
    by_f = _rank(f)
    by_y = _rank(y / a) if not equal else _rank(y)
    out: dict[str, dict] = {"hit_rate": {}, "pai": {}, "pei": {}}
    for s in shares:
        sel = _take(by_f, a, s, equal)
        hits = y[sel].sum()
        area_share = a[sel].sum() / total_area
        if total <= 0:
            hr = pai = pei = float("nan")
        else:
            hr = hits / total
            pai = hr / area_share
            if equal:
                best = np.sort(y)[::-1][: len(sel)].sum()
            else:
                cum = np.cumsum(a[by_y])
                k = max(1, int(np.searchsorted(cum, a[sel].sum() * (1 + 1e-12), side="right")))
                best = y[by_y[:k]].sum()
            pei = hits / best if best > 0 else float("nan")
        out["hit_rate"][s] = float(hr)
        out["pai"][s] = float(pai)
        out["pei"][s] = float(pei)
    return out


def hit_rate(forecast, observed, share: float = 0.05, *, area=None) -> float:
    """Share of observed offences in the top units by forecast covering ``share`` of the area."""
    return hotspot_scores(forecast, observed, area=area, shares=(share,))["hit_rate"][share]


def pai(forecast, observed, share: float = 0.05, *, area=None) -> float:
    """Predictive Accuracy Index (Chainey et al. 2008): hit rate / area share."""
    return hotspot_scores(forecast, observed, area=area, shares=(share,))["pai"][share]


def pei_star(forecast, observed, share: float = 0.05, *, area=None) -> float:
    """PEI* (Hunt 2016): hits / most hits possible with the same area."""
    return hotspot_scores(forecast, observed, area=area, shares=(share,))["pei"][share]


def poisson_deviance(forecast, observed, *, eps: float = 1e-9) -> float:
    """Mean Poisson deviance per unit, ``2 * mean(y log(y/mu) - (y - mu))`` (mu clipped at eps)."""
    mu = np.clip(np.asarray(forecast, float), eps, None)
    y = np.asarray(observed, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(np.mean(2.0 * (term - (y - mu))))


def mae(forecast, observed) -> float:
    """Mean absolute error per unit."""
    return float(np.mean(np.abs(np.asarray(forecast, float) - np.asarray(observed, float))))


def all_scores(forecast, observed, *, area=None, percents=AREA_PERCENTS) -> dict:
    """Every metric in one flat dict: ``hit_rate_1, pai_1, pei_1, ..., deviance, mae``."""
    sc = hotspot_scores(forecast, observed, area=area, shares=tuple(p / 100 for p in percents))
    out = {}
    for m in ("hit_rate", "pai", "pei"):
        for p in percents:
            out[f"{m}_{p}"] = sc[m][p / 100]
    out["deviance"] = poisson_deviance(forecast, observed)
    out["mae"] = mae(forecast, observed)
    return out

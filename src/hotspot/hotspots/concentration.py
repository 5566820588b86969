"""Crime concentration: share of offences in the top units, Lorenz curve and Gini coefficient.

Units are whatever the counts are per: grid cells, LSOAs, beats or street segments. The "law of
crime concentration" (Weisburd 2015) is usually reported as the share of crime in the top 1%, 5%
or 10% of units; the Lorenz curve and Gini coefficient summarise the whole distribution.

References
----------
.. [1] Weisburd, D. (2015). The law of crime concentration and the criminology of place.
   *Criminology* 53(2), 133-157. https://doi.org/10.1111/1745-9125.12070
.. [2] Bernasco, W., Steenbeek, W. (2017). More places than crimes: implications for evaluating
   the law of crime concentration at place. *J. Quantitative Criminology* 33, 451-467.
.. [3] Gini, C. (1912). *Variabilità e mutabilità*; computational form in Damgaard, C., Weiner, J.
   (2000). Describing inequality in plant size or fecundity. *Ecology* 81(4), 1139-1142.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError

DEFAULT_SHARES = (0.01, 0.05, 0.10)


def _counts(counts: Any) -> np.ndarray:
    """Finite counts as a flat float array (NaN = outside the study area, dropped)."""
    a = np.asarray(getattr(counts, "values", counts), dtype=float).ravel()
    a = a[~np.isnan(a)]
    if a.size == 0:
        raise ArgumentError("counts", "no finite values", "counts for at least one unit")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ArgumentError("counts", "negative or infinite values", "counts >= 0 per unit")
    return a


def unit_counts(codes: Any, units: Any) -> pd.Series:
    """Offences per unit, with every unit present (zeros included).

    Concentration measures must count the units without offences too (Bernasco and
    Steenbeek 2017), so counts come from the full list of units, not from the offences alone.

    Parameters
    ----------
    codes : array_like of str
        Unit code of each offence (e.g. the ``lsoa_code`` column of the offences table).
    units : array_like of str
        Every unit of the study area (e.g. ``areas.lsoa["lsoa_code"]``).

    Returns
    -------
    Series
        int64 counts indexed by unit code, in the order of ``units``; offences whose code is not
        among ``units`` are left out (``attrs["unmatched"]`` says how many).
    """
    c = pd.Series(np.asarray(codes, dtype=object))
    u = pd.Index(pd.unique(np.asarray(units, dtype=object)))
    if len(u) == 0:
        raise ArgumentError("units", "an empty list", "every unit code of the study area")
    vc = c.value_counts()
    out = vc.reindex(u, fill_value=0).astype(np.int64)
    out.attrs["unmatched"] = int(vc[~vc.index.isin(u)].sum())
    return out


def top_share(counts: Any, share: float) -> float:
    """Share of all offences in the top ``share`` of units (ranked by count).

    The number of units is ``ceil(share * n_units)`` (at least one), so the top 1% of 50
    units is the single busiest unit. Ties at the boundary do not matter: the count taken is the
    sum of the largest values.

    Parameters
    ----------
    counts : array_like or DataArray
        Offences per unit; NaN units (outside the study area) are ignored.
    share : float
        Fraction of units, in (0, 1].

    Returns
    -------
    float
        Fraction of offences (0..1); NaN when there are no offences.
    """
    if not (isinstance(share, (int, float)) and 0 < share <= 1):
        raise ArgumentError("share", share, "a fraction of units in (0, 1], e.g. 0.05")
    a = _counts(counts)
    total = a.sum()
    if total == 0:
        return float("nan")
    k = max(1, int(np.ceil(share * a.size - 1e-9)))
    top = np.partition(a, a.size - k)[a.size - k:]
    return float(top.sum() / total)


def lorenz(counts: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve of offences over units.

    Parameters
    ----------
    counts : array_like
        Offences per unit.

    Returns
    -------
    units, offences : ndarray
        Cumulative share of units (0..1, units sorted from fewest to most offences) and
        cumulative share of offences; both start at 0 and end at 1 (length ``n + 1``).
    """
    a = np.sort(_counts(counts))
    total = a.sum()
    cum = np.concatenate([[0.0], np.cumsum(a)])
    off = cum / total if total > 0 else np.linspace(0.0, 1.0, a.size + 1)
    return np.linspace(0.0, 1.0, a.size + 1), off


def gini(counts: Any) -> float:
    """Gini coefficient of offences over units (0 = equal, (n-1)/n = all in one unit).

    ``G = sum_i (2i - n - 1) x_(i) / (n sum x)`` with ``x_(i)`` sorted ascending, i = 1..n
    (Damgaard and Weiner 2000) - equal to one minus twice the area under the Lorenz curve
    (trapezoids).

    Returns
    -------
    float
        NaN when there are no offences.
    """
    a = np.sort(_counts(counts))
    n = a.size
    total = a.sum()
    if total == 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * a) / (n * total))


def concentration_table(counts: Any, *, shares: Sequence[float] = DEFAULT_SHARES,
                        unit: str = "cell") -> pd.DataFrame:
    """Tidy concentration summary for reporting.

    Parameters
    ----------
    counts : array_like, Series or DataArray
        Offences per unit.
    shares : sequence of float
        Fractions of units for the "top" rows (default 1%, 5%, 10%).
    unit : str
        Name of the unit (``"cell"``, ``"lsoa"``...), written in the table.

    Returns
    -------
    DataFrame
        Columns ``unit, measure, units_share, n_units, value``: one ``top_share`` row per share
        (``value`` = share of offences), then ``gini``, ``units_with_offences`` (share of units
        with at least one offence) and ``offences`` (total).
    """
    a = _counts(counts)
    rows = []
    for s in shares:
        k = max(1, int(np.ceil(s * a.size - 1e-9)))
        rows.append({"unit": unit, "measure": "top_share", "units_share": float(s), "n_units": k,
                     "value": top_share(a, s)})
    rows.append({"unit": unit, "measure": "gini", "units_share": np.nan, "n_units": a.size, "value": gini(a)})
    rows.append({"unit": unit, "measure": "units_with_offences", "units_share": np.nan,
                 "n_units": int((a > 0).sum()), "value": float((a > 0).mean())})
    rows.append({"unit": unit, "measure": "offences", "units_share": np.nan, "n_units": a.size,
                 "value": float(a.sum())})
    return pd.DataFrame(rows, columns=["unit", "measure", "units_share", "n_units", "value"])

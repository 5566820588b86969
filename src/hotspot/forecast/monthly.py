"""Forecasts and backtests for month-only data (police.uk publishes a month, not a day, per row).

A :class:`MonthlyPanel` holds offence counts per unit of a fixed
:class:`~hotspot.grid.universe.Universe` and calendar month. A month with no rows at all is a
GAP (missing, NaN), never zero: police.uk downloads skip months, and a gap read as "no crime"
would rank every unit's recent history as falling. Forecasts are for whole months (``"2M"``: the
two months starting at the origin month) and may start after a gap or after unobserved months
(data through June with May missing, forecast August and September).

Models (all ``predict(panel, origin, horizon_months)`` -> expected count per unit over the
horizon, from months strictly before the origin that are present):

- ``past_counts``: the mean count per present month times the horizon: ranking cells by their past
  counts, the reference an analyst would use;
- ``recent``: months weighted by ``0.5 ** (age / half_life)``;
- ``smoothed``: ``(1 - beta) * own + beta * mean of the 3x3 (cells) / 5 nearest (areas)`` of the
  recency-weighted rate;
- ``monthly_model``: ``smoothed`` with ``half_life`` and ``beta`` chosen by temporal
  cross-validation inside the training months (each of the last present months is forecast from
  the months before it; the candidate capturing most offences in the top 1% and 5% of the area
  wins), so nothing is tuned on the scored months.

References
----------
Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
spatial patterns of crime. Security Journal 21, 4-28.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.features import cell_keys, neighbour_matrix
from hotspot.forecast.metrics import AREA_PERCENTS, all_scores, hotspot_scores
from hotspot.grid.universe import Universe, require_universe

MONTHLY_MODELS = ("past_counts", "recent", "smoothed", "monthly_model")


def parse_horizon(text) -> tuple[int, str]:
    """``"2M"`` -> ``(2, "M")`` (whole months), ``"7D"``/``7`` -> ``(7, "D")`` (days)."""
    if isinstance(text, (int, np.integer)):
        return int(text), "D"
    m = re.fullmatch(r"\s*(\d+)\s*([MmDd]?)\s*", str(text))
    if not m or int(m.group(1)) < 1:
        raise ArgumentError("horizon", text, "a whole number of months or days, e.g. '2M' or '7D' (or 7)")
    return int(m.group(1)), (m.group(2) or "D").upper()


@dataclass
class MonthlyPanel:
    """Counts per unit and calendar month; missing months are NaN rows.

    Attributes
    ----------
    universe : Universe
    months : PeriodIndex
        Every calendar month from the first to the last month present (monthly frequency).
    counts : ndarray, shape (n_months, n_units)
        Offences per month and unit; NaN for every unit in a month absent from the data.
    present : ndarray of bool
        Which months are present.
    """

    universe: Universe
    months: pd.PeriodIndex
    counts: np.ndarray
    present: np.ndarray
    _nb: dict = field(default_factory=dict, repr=False)

    @property
    def missing_months(self) -> list[str]:
        """Gaps inside the covered range, ``"YYYY-MM"``."""
        return [str(m) for m, p in zip(self.months, self.present) if not p]

    def before(self, origin: pd.Period) -> tuple[np.ndarray, np.ndarray]:
        """Counts of the PRESENT months strictly before ``origin`` and their ages in months
        (1 = the month before the origin)."""
        keep = (self.months < origin) & self.present
        ages = np.array([(origin - m).n for m in self.months[keep]], dtype=float)
        return self.counts[keep], ages

    def horizon(self, origin: pd.Period, months: int) -> tuple[np.ndarray | None, list[str]]:
        """Observed counts over the present months of ``[origin, origin + months)`` and their
        labels (None if none of them is present or they lie beyond the data)."""
        want = [origin + k for k in range(months)]
        idx = [self.months.get_loc(m) for m in want if m in self.months]
        idx = [i for i in idx if self.present[i]]
        if not idx:
            return None, []
        return self.counts[idx].sum(axis=0), [str(self.months[i]) for i in idx]

    def neighbours(self):
        if "near" not in self._nb:
            u = self.universe
            self._nb["near"] = neighbour_matrix(u.x, u.y, kind=u.kind, cell=u.cell, which="near")
        return self._nb["near"]


def monthly_panel(offences: pd.DataFrame, universe: Universe, *, months_present=None,
                  crime_types=None, serious_only: bool = False) -> MonthlyPanel:
    """Count offences per unit and month.

    Parameters
    ----------
    offences : DataFrame
        Geocoded offences with a ``month`` column (``"YYYY-MM"``) and coordinates (cells) or
        ``<unit>_code`` (areas). Timestamped data work too (the month of ``occurred_at``).
    universe : Universe
        The study area's units (required; never derived from the offences).
    months_present : sequence of str, optional
        Months the source covers (default: months with at least one row). A month of the range
        that is not listed is a gap.
    crime_types : sequence of str, optional
        Keep only these ``crime_type`` values.
    serious_only : bool
        Keep only ``serious_violence`` rows.
    """
    universe = require_universe(universe)
    df = offences
    if crime_types is not None:
        df = df[df["crime_type"].isin(list(crime_types))]
    if serious_only and "serious_violence" in df.columns:
        df = df[df["serious_violence"].astype(bool)]
    if "month" in df.columns:
        month = pd.PeriodIndex(df["month"].astype(str), freq="M")
    elif "occurred_at" in df.columns:
        month = pd.DatetimeIndex(df["occurred_at"]).to_period("M")
    else:
        raise InputError("offences have neither 'month' nor 'occurred_at'", column="month")
    if len(df) == 0:
        raise InputError("no offences to count (check crime_types / serious_only)")
    present = (pd.PeriodIndex(sorted(set(pd.PeriodIndex(list(months_present), freq="M"))), freq="M")
               if months_present is not None else pd.PeriodIndex(sorted(set(month)), freq="M"))
    months = pd.period_range(present.min(), present.max(), freq="M")
    if universe.kind == "cell":
        x0, y0 = cell_keys(df["easting"].to_numpy(), df["northing"].to_numpy(), universe.cell)
        keys = pd.Index([f"{a:.0f}_{b:.0f}" for a, b in zip(x0, y0)])
    else:
        col = f"{universe.kind}_code"
        if col not in df.columns:
            raise InputError(f"offences have no {col!r} column; geocode them first", column=col)
        keys = pd.Index(df[col].astype(str).to_numpy())
    u = universe.units.get_indexer(keys)
    m = months.get_indexer(month)
    ok = (u >= 0) & (m >= 0)
    counts = np.zeros((len(months), len(universe)))
    np.add.at(counts, (m[ok], u[ok]), 1.0)
    is_present = months.isin(present)
    counts[~is_present] = np.nan
    return MonthlyPanel(universe=universe, months=months, counts=counts, present=np.asarray(is_present))


def _recent_rate(panel: MonthlyPanel, origin: pd.Period, half_life: float | None) -> np.ndarray:
    c, ages = panel.before(origin)
    if c.shape[0] == 0:
        raise InputError(f"no present month before {origin} to forecast from")
    w = np.ones(len(ages)) if half_life is None else 0.5 ** ((ages - ages.min()) / half_life)
    return (w @ c) / w.sum()


def predict_monthly(panel: MonthlyPanel, origin, horizon_months: int, model: str = "monthly_model",
                    *, half_life: float | None = 3.0, beta: float = 0.3) -> np.ndarray:
    """Expected count per unit over ``horizon_months`` months from ``origin`` (a month) using only
    present months before it (see the module docstring for the models)."""
    origin = pd.Period(origin, freq="M")
    if model == "past_counts":
        return _recent_rate(panel, origin, None) * horizon_months
    if model == "recent":
        return _recent_rate(panel, origin, half_life) * horizon_months
    if model == "smoothed":
        r = _recent_rate(panel, origin, half_life)
        return ((1 - beta) * r + beta * (panel.neighbours() @ r)) * horizon_months
    if model == "monthly_model":
        hl, b = choose_monthly(panel, origin)
        return predict_monthly(panel, origin, horizon_months, "smoothed", half_life=hl, beta=b)
    raise ArgumentError("model", model, f"one of {MONTHLY_MODELS}")


#: Candidate (half_life months or None = equal weights, beta) of the monthly model.
MONTHLY_GRID = tuple((h, b) for h in (None, 6.0, 3.0) for b in (0.0, 0.05, 0.1, 0.2, 0.35))


def choose_monthly(panel: MonthlyPanel, origin, *, folds: int = 2) -> tuple[float | None, float]:
    """Temporal cross-validation inside the months before ``origin``: each of the last ``folds``
    present months (with at least one present month before it) is forecast from the months
    before it; returns the (half_life, beta) of :data:`MONTHLY_GRID` with the highest mean hit
    rate at 1% + 5% of the area (ties: the first, i.e. equal weights and no smoothing)."""
    origin = pd.Period(origin, freq="M")
    prior = [m for m, p in zip(panel.months, panel.present) if p and m < origin]
    tests = [m for m in prior[1:]][-folds:]
    if not tests:
        return None, 0.0
    u = panel.universe
    best, best_score = MONTHLY_GRID[0], -np.inf
    for hl, b in MONTHLY_GRID:
        s = []
        for t in tests:
            y = panel.counts[panel.months.get_loc(t)]
            pred = predict_monthly(panel, t, 1, "smoothed", half_life=hl, beta=b)
            sc = hotspot_scores(pred, y, area=u.area, total_area=u.total_area_m2, shares=(0.01, 0.05))
            s.append(sc["hit_rate"][0.01] + sc["hit_rate"][0.05])
        score = float(np.nanmean(s))
        if score > best_score + 1e-12:
            best, best_score = (hl, b), score
    return best


def monthly_backtest(panel: MonthlyPanel, *, horizon="1M", models=MONTHLY_MODELS,
                     min_history: int = 2, percents=AREA_PERCENTS) -> pd.DataFrame:
    """Rolling monthly origins: every month with at least ``min_history`` present months before it
    and at least one present month in its horizon is an origin; each model forecasts the horizon
    from the present months before the origin and is scored on the present horizon months
    (``scored_months``; a gap month is neither history nor target).

    Returns
    -------
    DataFrame
        One row per (origin, model): ``origin, model, scored_months, observed_total,
        hit_rate_*, pai_*, pei_*, deviance, mae``.
    """
    n, unit = parse_horizon(horizon)
    if unit != "M":
        raise ArgumentError("horizon", horizon, "whole months for monthly data, e.g. '1M' or '2M'")
    u = panel.universe
    rows = []
    for o in panel.months:
        hist = int(np.sum(panel.present & (panel.months < o)))
        if hist < min_history:
            continue
        y, labels = panel.horizon(o, n)
        if y is None:
            continue
        scale = len(labels) / n  # only the present months of the horizon are scored
        for name in models:
            pred = predict_monthly(panel, o, n, name) * scale
            sc = all_scores(pred, y, area=u.area, total_area=u.total_area_m2, percents=percents)
            rows.append({"origin": str(o), "model": name, "scored_months": ",".join(labels),
                         "history_months": hist, "observed_total": float(y.sum()), **sc})
    if not rows:
        raise InputError("no monthly origin has both history and a present horizon month; give more "
                         "months of data or a shorter horizon")
    return pd.DataFrame(rows)


def forecast_monthly(panel: MonthlyPanel, origin, horizon="2M", model: str = "monthly_model") -> pd.DataFrame:
    """Expected offences per unit over the whole months ``[origin, origin + horizon)`` from the
    present months before ``origin`` (unobserved or missing months in between are skipped, not
    zero). Columns ``unit, expected, rank``; the chosen parameters in ``attrs``."""
    n, unit = parse_horizon(horizon)
    if unit != "M":
        raise ArgumentError("horizon", horizon, "whole months, e.g. '2M'")
    origin = pd.Period(origin, freq="M")
    pred = predict_monthly(panel, origin, n, model)
    out = pd.DataFrame({"unit": panel.universe.units, "expected": pred})
    order = np.argsort(-pred, kind="stable")
    rank = np.empty(len(pred), int)
    rank[order] = np.arange(1, len(pred) + 1)
    out["rank"] = rank
    out.attrs.update(origin=str(origin), horizon_months=n, model=model,
                     history=[str(m) for m, p in zip(panel.months, panel.present) if p and m < origin],
                     missing=panel.missing_months)
    if model == "monthly_model":
        hl, b = choose_monthly(panel, origin)
        out.attrs.update(half_life=hl, beta=b)
    return out.sort_values("rank", ignore_index=True)

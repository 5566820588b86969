"""Reopening scenarios: expected violence when the night-time economy reopens.

Method (a simple, transparent recovery model):

1. **Baseline**: offences per unit x day of week x hour in the same weeks of the pre-lockdown
   year (default 2019; dates shifted back by whole multiples of 364 days so weekdays align),
   as a weekly rate.
2. **Unit type**: night-time-economy (NTE) units are those whose share of offences on Friday and
   Saturday nights (Fri 20:00 - Sun 04:00) before lockdown is at least ``nte_factor`` times the
   all-unit share, with at least ``nte_min`` offences; the others are "other".
3. **Effect learned from past reopenings** of the same kind in the data (4 July 2020 and 17 May
   2021 indoor hospitality, 12 April 2021 outdoor): ``after`` = offences in the first ``weeks``
   weeks after that reopening / the same weeks of the baseline year, per unit type and period
   (night 20:00-03:59, day); the scenario ratio is the mean ``after`` over those reopenings.
4. **No past reopening** before the scenario date (e.g. forecasting July 2020 from data before
   it): the ratio is ``before + prior_recovery * (1 - before)``, where ``before`` is the level of
   the ``before_weeks`` weeks before the reopening (or the data end) relative to the baseline, i.e.
   a recovery of ``prior_recovery`` of the gap (reported as ``source="prior"``).
5. **Scenario**: expected weekly offences = baseline x ratio, per unit, day of week and hour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.features import UNITS, _select, cell_keys
from hotspot.forecast.metrics import mae, poisson_deviance
from hotspot.forecast.regimes import REOPENINGS

LOCKDOWN_START = pd.Timestamp("2020-03-23")
DAYS = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])


@dataclass
class ScenarioResult:
    """Output of :func:`reopening`.

    Attributes
    ----------
    table : DataFrame
        ``unit, unit_type, day_of_week, day, hour, baseline_weekly, expected_weekly, ratio``.
    effects : DataFrame
        ``unit_type, period, before, after_learned, ratio, source`` (``source``: ``"learned"`` from
        past reopenings or ``"prior"``).
    meta : dict
        Dates, reopenings learned from, thresholds.
    """

    table: pd.DataFrame
    effects: pd.DataFrame
    meta: dict

    def by_unit(self) -> pd.DataFrame:
        """Weekly baseline and expected totals per unit."""
        g = self.table.groupby(["unit", "unit_type"], as_index=False)[
            ["baseline_weekly", "expected_weekly"]].sum()
        return g.sort_values("expected_weekly", ascending=False, ignore_index=True)


def _events(offences: pd.DataFrame, unit: str, cell: float, serious_only: bool) -> pd.DataFrame:
    if unit not in UNITS:
        raise ArgumentError("unit", unit, "one of 'cell', 'lsoa', 'beat'")
    df = _select(offences, serious_only)
    t = pd.DatetimeIndex(pd.to_datetime(df["occurred_at"]))
    if unit == "cell":
        x0, y0 = cell_keys(df["easting"].to_numpy(), df["northing"].to_numpy(), cell)
        u = [f"{a:.0f}_{b:.0f}" for a, b in zip(x0, y0)]
    else:
        if f"{unit}_code" not in df.columns:
            raise InputError(f"offences have no {unit}_code column; geocode them first",
                             column=f"{unit}_code")
        u = df[f"{unit}_code"].astype(str).to_numpy()
    hour = t.hour.to_numpy()
    dow = t.dayofweek.to_numpy()
    return pd.DataFrame({"unit": u, "t": t, "dow": dow, "hour": hour,
                         "night": (hour >= 20) | (hour < 4),
                         "weekend_night": ((dow == 4) & (hour >= 20)) | ((dow == 5) & ((hour >= 20) | (hour < 4)))
                         | ((dow == 6) & (hour < 4))})


def _shift_to_year(t: pd.Timestamp, year: int) -> pd.Timedelta:
    """Whole multiple of 364 days taking ``t`` into (or nearest to) ``year``."""
    k = round((t - pd.Timestamp(f"{year}-07-01")).days / 364)
    return pd.Timedelta(days=364 * k)


def _between(ev: pd.DataFrame, a, b) -> pd.DataFrame:
    return ev[(ev["t"] >= a) & (ev["t"] < b)]


def nte_units(ev: pd.DataFrame, *, end=LOCKDOWN_START, nte_factor: float = 1.5,
              nte_min: int = 10) -> pd.Series:
    """Boolean per unit: night-time-economy unit (see module docstring), from the year before
    ``end``."""
    pre = _between(ev, pd.Timestamp(end) - pd.Timedelta(days=364), pd.Timestamp(end))
    if len(pre) == 0:
        raise InputError(f"no offences in the year before {pd.Timestamp(end).date()}: the pre-lockdown "
                         "baseline needs data from 2019")
    g = pre.groupby("unit")["weekend_night"].agg(["mean", "size"])
    overall = pre["weekend_night"].mean()
    return (g["mean"] >= nte_factor * overall) & (g["size"] >= nte_min)


def _ratio(ev: pd.DataFrame, types: pd.Series, a, b, year: int) -> pd.DataFrame:
    """Observed / baseline-year counts over ``[a, b)`` per unit type and period."""
    shift = _shift_to_year(pd.Timestamp(a), year)
    cur = _between(ev, a, b)
    base = _between(ev, pd.Timestamp(a) - shift, pd.Timestamp(b) - shift)
    rows = []
    for ut in ("nte", "other"):
        for period, is_night in (("night", True), ("day", False)):
            def _n(frame, ut=ut, is_night=is_night):
                typ = frame["unit"].map(types).fillna("other")
                return int(((typ == ut) & (frame["night"] == is_night)).sum())
            n_cur, n_base = _n(cur), _n(base)
            rows.append({"unit_type": ut, "period": period, "observed": n_cur, "baseline": n_base,
                         "ratio": n_cur / n_base if n_base > 0 else np.nan})
    return pd.DataFrame(rows)


def reopening(offences: pd.DataFrame, reopen, *, regime: str = "open", unit: str = "lsoa",
              cell: float = 250.0, weeks: int = 6, baseline_year: int = 2019,
              before_weeks: int = 4, prior_recovery: float = 0.5, nte_factor: float = 1.5,
              nte_min: int = 10, serious_only: bool = True) -> ScenarioResult:
    """Expected violence by unit, day of week and hour after a reopening.

    Parameters
    ----------
    offences : DataFrame
        Timestamped, geocoded offences (only those before ``reopen`` are used).
    reopen : date-like
        Reopening date of the scenario.
    regime : {"open", "outdoor_only"}
        What reopens; past reopenings of this kind teach the recovery.
    unit : {"lsoa", "beat", "cell"}
    cell : float
        Cell size when ``unit="cell"``.
    weeks : int
        Weeks after a reopening over which its effect is measured (4-8).
    baseline_year : int
        Pre-lockdown year whose same weeks are the baseline.
    before_weeks : int
        Weeks before the reopening giving the current level.
    prior_recovery : float
        Share of the gap to baseline recovered when no past reopening is in the data (an
        assumption, reported in ``meta``; 0.5 = half way back to the pre-lockdown level).
    nte_factor, nte_min : float, int
        NTE unit rule (see module docstring).
    serious_only : bool

    Returns
    -------
    ScenarioResult
    """
    if regime not in REOPENINGS:
        raise ArgumentError("regime", regime, f"one of {sorted(REOPENINGS)}")
    if not 1 <= weeks <= 26:
        raise ArgumentError("weeks", weeks, "a number of weeks between 1 and 26 (4-8 recommended)")
    reopen = pd.Timestamp(reopen).normalize()
    ev = _events(offences, unit, cell, serious_only)
    ev = ev[ev["t"] < reopen]  # the scenario sees nothing on or after the reopening
    if len(ev) == 0:
        raise InputError(f"no offences before the reopening date {reopen.date()}")
    data_end = ev["t"].max().normalize() + pd.Timedelta(days=1)
    is_nte = nte_units(ev, nte_factor=nte_factor, nte_min=nte_min)
    types = pd.Series(np.where(is_nte, "nte", "other"), index=is_nte.index)

    # level now
    now_end = min(reopen, data_end)
    now = _ratio(ev, types, now_end - pd.Timedelta(weeks=before_weeks), now_end, baseline_year)
    # effect of past reopenings fully observed before the scenario's data end
    afters, used = [], []
    for r in REOPENINGS[regime]:
        if r + pd.Timedelta(weeks=weeks) <= data_end and r - pd.Timedelta(weeks=52) >= ev["t"].min():
            a = _ratio(ev, types, r, r + pd.Timedelta(weeks=weeks), baseline_year)
            afters.append(a["ratio"].to_numpy())
            used.append(str(r.date()))
    before = now["ratio"].fillna(1.0).to_numpy()
    effects = now[["unit_type", "period"]].copy()
    effects["before"] = before
    if afters:
        after = np.nanmean(np.vstack(afters), axis=0)
        effects["after_learned"] = after
        effects["ratio"] = np.where(np.isfinite(after), after, before + prior_recovery * (1 - before))
        source = "learned"
    else:
        effects["after_learned"] = np.nan
        effects["ratio"] = before + prior_recovery * (1.0 - before)
        source = "prior"
    effects["source"] = source

    # baseline per unit x dow x hour over the scenario weeks, shifted to the baseline year
    shift = _shift_to_year(reopen, baseline_year)
    base = _between(ev, reopen - shift, reopen - shift + pd.Timedelta(weeks=weeks))
    all_units = pd.Index(sorted(ev["unit"].unique()))
    counts = np.zeros((len(all_units), 7, 24))
    ui = all_units.get_indexer(base["unit"])
    np.add.at(counts, (ui, base["dow"].to_numpy(), base["hour"].to_numpy()), 1.0)
    weekly = counts / weeks
    utype = types.reindex(all_units).fillna("other").to_numpy()
    eff = effects.set_index(["unit_type", "period"])["ratio"]
    hours = np.arange(24)
    night = (hours >= 20) | (hours < 4)
    ratio = np.empty((len(all_units), 24))
    for ut in ("nte", "other"):
        m = utype == ut
        ratio[m] = np.where(night, eff[(ut, "night")], eff[(ut, "day")])[None, :]
    expected = weekly * ratio[:, None, :]
    u_idx, d_idx, h_idx = np.meshgrid(np.arange(len(all_units)), np.arange(7), hours, indexing="ij")
    table = pd.DataFrame({
        "unit": all_units.to_numpy()[u_idx.ravel()], "unit_type": utype[u_idx.ravel()],
        "day_of_week": d_idx.ravel(), "day": DAYS[d_idx.ravel()], "hour": h_idx.ravel(),
        "baseline_weekly": weekly.ravel(), "expected_weekly": expected.ravel(),
        "ratio": np.broadcast_to(ratio[:, None, :], expected.shape).ravel()})
    meta = {"reopen": str(reopen.date()), "regime": regime, "unit": unit, "weeks": weeks,
            "baseline_year": baseline_year, "baseline_window": [str((reopen - shift).date()),
            str((reopen - shift + pd.Timedelta(weeks=weeks)).date())],
            "level_window": [str((now_end - pd.Timedelta(weeks=before_weeks)).date()), str(now_end.date())],
            "learned_from": used, "effect_source": source,
            "prior_recovery": prior_recovery if source == "prior" else None, "n_nte_units": int(is_nte.sum()),
            "nte_rule": f"Fri/Sat-night share >= {nte_factor} x overall and >= {nte_min} offences"}
    return ScenarioResult(table=table, effects=effects, meta=meta)


def reopening_backtest(offences: pd.DataFrame, *, reopen="2020-07-04", weeks: int = 8,
                       unit: str = "lsoa", cell: float = 250.0, before_weeks: int = 4,
                       serious_only: bool = True, **kwargs) -> pd.DataFrame:
    """Forecast the weeks after a past reopening from data before it and score against naive.

    The scenario sees only offences before ``reopen``; it is compared per unit (total over the
    ``weeks`` weeks) with the observed counts, and with two naive forecasts: the pre-lockdown
    level (baseline-year same weeks) and the last-weeks level (mean of the ``before_weeks`` weeks
    before the reopening).

    Returns
    -------
    DataFrame
        ``method, mae, deviance, forecast_total, observed_total`` (MAE and mean Poisson deviance
        per unit over the whole window).
    """
    reopen = pd.Timestamp(reopen).normalize()
    res = reopening(offences, reopen, unit=unit, cell=cell, weeks=weeks, before_weeks=before_weeks,
                    serious_only=serious_only, **kwargs)
    per_unit = res.by_unit().set_index("unit")
    ev = _events(offences, unit, cell, serious_only)
    obs = _between(ev, reopen, reopen + pd.Timedelta(weeks=weeks))["unit"].value_counts()
    last = _between(ev, reopen - pd.Timedelta(weeks=before_weeks), reopen)["unit"].value_counts()
    units = per_unit.index.union(obs.index)
    y = obs.reindex(units).fillna(0).to_numpy(float)
    fc = {
        "scenario": per_unit["expected_weekly"].reindex(units).fillna(0).to_numpy() * weeks,
        "naive_prelockdown": per_unit["baseline_weekly"].reindex(units).fillna(0).to_numpy() * weeks,
        "naive_last_weeks": last.reindex(units).fillna(0).to_numpy(float) / before_weeks * weeks,
    }
    rows = [{"method": k, "mae": mae(v, y), "deviance": poisson_deviance(v, y),
             "forecast_total": float(v.sum()), "observed_total": float(y.sum())} for k, v in fc.items()]
    out = pd.DataFrame(rows)
    out.attrs["meta"] = res.meta
    return out

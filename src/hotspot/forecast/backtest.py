"""Rolling-origin backtest of forecasters over weekly origins.

For each of ``folds`` weekly origins (the last one's horizon ends on the last day of data), every
model is fitted on data strictly before the origin, predicts the next ``horizon`` days, and is
scored against the observed counts (:mod:`hotspot.forecast.metrics`). The summary gives, per model
and metric, the mean over origins and a 95% confidence interval (Student t over origins).

References
----------
Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
International Journal of Forecasting 16(4), 437-450.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from hotspot.errors import ArgumentError
from hotspot.forecast import baselines
from hotspot.forecast.features import CountPanel, build_panel
from hotspot.forecast.metrics import (
    AREA_PERCENTS,
    DEVIANCE_FLOOR,
    all_scores,
    interval_coverage,
    pct_key,
    randomized_pit_coverage,
)
from hotspot.forecast.models import PoissonGBM
from hotspot.grid.universe import Universe, require_universe
from hotspot.io import write_json, write_with
from hotspot.progress import track

#: The learned model and every peer, scored on the same units by the same scorer.
DEFAULT_MODELS = ("gbm", "last4", "seasonal_naive", "kde", "prospective", "counting", "kde_exp", "sepp",
                  "counting_kde")


@dataclass
class BacktestResult:
    """Per-fold scores and their summary.

    Attributes
    ----------
    folds : DataFrame
        One row per (origin, model): ``origin, model, observed_total, hit_rate_1 ... mae``.
    summary : dict
        ``{"meta": {...}, "models": {model: {"hit_rate": {"1": {"mean", "ci_low", "ci_high"},
        "5": ..., "10": ...}, "pai": ..., "pei": ..., "deviance": {...}, "mae": {...}}}}``.
    """

    folds: pd.DataFrame
    summary: dict

    def to_json(self, path: str | Path) -> Path:
        """Write :attr:`summary` (with the per-fold table under ``"folds"``) atomically."""

        out = dict(self.summary)
        f = self.folds.copy()
        f["origin"] = f["origin"].astype(str)
        out["folds"] = f.to_dict(orient="records")
        return write_json(path, out)

    def chart(self, path: str | Path) -> Path:
        """PNG: mean PAI with 95% CI by area share and model, and hit rate (5%) by origin."""
        return backtest_chart(self, path)


def _ci(values: np.ndarray, level: float = 0.95) -> dict:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    m = float(v.mean())
    if v.size < 2:
        return {"mean": m, "ci_low": m, "ci_high": m, "n": int(v.size)}
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return {"mean": m, "ci_low": m - half, "ci_high": m + half, "n": int(v.size)}


def summarise(folds: pd.DataFrame, percents=AREA_PERCENTS) -> dict:
    """Mean and 95% CI over origins per model and metric (the JSON layout of the backtest)."""
    out: dict = {}
    for name, g in folds.groupby("model", sort=False):
        d: dict = {}
        for m in ("hit_rate", "pai", "pei"):
            d[m] = {pct_key(p): _ci(g[f"{m}_{pct_key(p)}"].to_numpy()) for p in percents}
        d["deviance"] = _ci(g["deviance"].to_numpy())
        d["mae"] = _ci(g["mae"].to_numpy())
        for c in ("coverage_80", "pit_coverage_80", "coverage_80_expected_ge1", "alpha"):
            if c in g.columns and g[c].notna().any():
                d[c] = _ci(g[c].to_numpy())
        out[str(name)] = d
    return out


def _make_model(name: str, horizon: int, seed: int, train_weeks: int, n_threads: int | None = None):
    if name == "gbm":
        return PoissonGBM(horizon=horizon, intervals="negbin", seed=seed, train_weeks=train_weeks,
                          n_threads=n_threads)
    if not isinstance(name, str):
        return name
    return baselines.make(name)


def _score_origin(origin: pd.Timestamp, panel: CountPanel, *, horizon: int, models: Sequence,
                  covariates: pd.DataFrame | None, seed: int, train_weeks: int,
                  n_threads: int | None = None) -> list[dict]:
    """Fit every model on data before ``origin`` and score its forecast of the next ``horizon`` days."""
    y = panel.target(origin, horizon)
    rows = []
    for name in models:
        m = _make_model(name, horizon, seed, train_weeks, n_threads)
        label = name if isinstance(name, str) else type(name).__name__
        extra = {}
        if isinstance(m, PoissonGBM):
            m.fit(panel, until=origin, covariates=covariates)
            iv = m.predict_interval(origin, panel=panel, covariates=covariates)
            pred = iv["expected"].to_numpy()
            lo, hi = iv.iloc[:, 1].to_numpy(), iv.iloc[:, 2].to_numpy()
            busy = pred >= 1.0  # where an integer 80% interval can be narrower than "0 or more"
            extra = {"coverage_80": interval_coverage(y, lo, hi), "alpha": m.alpha_,
                     "pit_coverage_80": randomized_pit_coverage(y, pred, m.alpha_, 0.8, seed=seed),
                     "coverage_80_expected_ge1": (interval_coverage(y[busy], lo[busy], hi[busy])
                                                  if busy.any() else np.nan),
                     "units_expected_ge1": int(busy.sum()),
                     "blend": f"{m.blend_['peer']}@{m.blend_['weight']:g}"}
        else:
            pred = m.fit(panel, until=origin).predict(origin, horizon)
        sc = all_scores(pred, y, area=panel.area, total_area=panel.total_area_m2)
        rows.append({"origin": origin, "model": label, "observed_total": float(y.sum()),
                     "forecast_total": float(np.sum(pred)), **sc, **extra})
    return rows


def backtest_panel(panel: CountPanel, *, folds: int = 26, horizon: int = 7,
                   models: Sequence = DEFAULT_MODELS, covariates: pd.DataFrame | None = None,
                   seed: int = 0, train_weeks: int = 52, last_origin=None, client=None) -> pd.DataFrame:
    """Per-fold scores of ``models`` on an existing panel (see :func:`rolling_origin`).

    With a Dask ``client`` (:func:`hotspot.scale.get_client`) each origin is one task; the panel
    is broadcast to the workers once. Scores equal the single-process ones.
    """
    if folds < 1:
        raise ArgumentError("folds", folds, "a positive number of weekly origins")
    last = (pd.Timestamp(last_origin).normalize() if last_origin is not None
            else panel.end - pd.Timedelta(days=horizon))
    origins = [last - pd.Timedelta(weeks=k) for k in range(folds)][::-1]
    if origins[0] - pd.Timedelta(weeks=5) < panel.start:
        raise ArgumentError("folds", folds, f"at most {int((last - panel.start).days // 7) - 5} for "
                            f"data from {panel.start.date()} (each origin needs 5 weeks of history)")
    # on Dask each worker process has one core: boosting must not start more threads there
    kw: dict[str, Any] = {"horizon": horizon, "models": list(models), "covariates": covariates, "seed": seed,
          "train_weeks": train_weeks, "n_threads": None if client is None else 1}
    if client is None:
        parts = [_score_origin(o, panel, **kw) for o in track(origins, desc="backtest folds", unit="fold")]
    else:
        # any object with Dask's scatter/map/gather (hotspot.scale.get_client): the Dask layer
        # sits above the stages it distributes, so it is passed in, never imported here
        shared = client.scatter(panel, broadcast=True)
        parts = client.gather(client.map(_score_origin, origins, pure=False, panel=shared, **kw))
    return pd.DataFrame([r for part in parts for r in part])


def rolling_origin(offences: pd.DataFrame, universe: Universe | None = None, *, folds: int = 26,
                   horizon: int = 7, models: Sequence = DEFAULT_MODELS,
                   covariates: pd.DataFrame | None = None, serious_only: bool = True,
                   seed: int = 0, train_weeks: int = 52, last_origin=None, start=None, end=None,
                   client=None) -> BacktestResult:
    """Rolling-origin backtest over weekly origins.

    Parameters
    ----------
    offences : DataFrame
        Geocoded offences (:data:`hotspot.schema.OFFENCE_COLUMNS` + area codes).
    universe : Universe
        Every unit of the study area (:func:`hotspot.grid.universe.study_universe`). Required:
        units, the PAI area (the force area) and tie order come from geography, never from where
        offences happened, so no fold's score depends on data after its horizon.
    folds : int
        Number of weekly origins.
    horizon : int
        Days forecast at each origin (7 or 28).
    models : sequence
        Names among ``"gbm"`` and :data:`hotspot.forecast.baselines.BASELINES`, or estimator
        objects with ``fit(panel, until)``/``predict(origin, horizon)``.
    covariates : DataFrame, optional
        Area covariates by unit for the learned model.
    serious_only : bool
        Use only serious-violence offences.
    seed : int
    train_weeks : int
        Training origins of the learned model.
    last_origin : date-like, optional
        Latest origin (default: the horizon ends on the last day of data).
    start, end : date-like, optional
        Panel range (default: first and last offence day).
    client : distributed.Client, optional
        Run one Dask task per origin (:func:`hotspot.scale.get_client`).

    Returns
    -------
    BacktestResult
    """
    universe = require_universe(universe)
    unit, cell = universe.kind, universe.cell
    panel = build_panel(offences, universe, serious_only=serious_only, start=start, end=end)
    table = backtest_panel(panel, folds=folds, horizon=horizon, models=models, covariates=covariates,
                           seed=seed, train_weeks=train_weeks, last_origin=last_origin, client=client)
    meta = {"unit": unit, "cell": cell if unit == "cell" else None, "folds": folds,
            "horizon": horizon, "n_units": len(panel.units), "seed": seed,
            "first_origin": str(table["origin"].min().date()),
            "last_origin": str(table["origin"].max().date()),
            "data_start": str(panel.start.date()), "data_end": str((panel.end - pd.Timedelta(days=1)).date()),
            "study_area_km2": round(panel.total_area_m2 / 1e6, 3),
            "ci": "95% Student t interval of the mean over origins",
            "area_shares_percent": list(AREA_PERCENTS),
            "ties": "broken by the universe's unit order (sorted ids), the same for every model",
            "deviance_floor": DEVIANCE_FLOOR,
            "intervals": "gbm: negative-binomial 10%-90% (nominal 80%), dispersion fitted on held-out "
                         "weeks; coverage_80 = share of units with q10 <= y <= q90 (near 1 where "
                         "most cells expect ~0: [0, 0] covers them); coverage_80_expected_ge1 = the "
                         "same over units expecting >= 1 offence; pit_coverage_80 = randomised-PIT "
                         "coverage"}
    return BacktestResult(folds=table, summary={"meta": meta, "models": summarise(table)})


def backtest_chart(result: BacktestResult, path: str | Path) -> Path:
    """Draw the backtest chart to a PNG (atomic write)."""

    matplotlib.use("Agg")


    models = result.summary["models"]
    names = list(models)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(len(names), 1)
    for k, name in enumerate(names):
        means = [models[name]["pai"][pct_key(p)]["mean"] or 0 for p in AREA_PERCENTS]
        lo = [models[name]["pai"][pct_key(p)]["ci_low"] or 0 for p in AREA_PERCENTS]
        hi = [models[name]["pai"][pct_key(p)]["ci_high"] or 0 for p in AREA_PERCENTS]
        xs = np.arange(len(AREA_PERCENTS)) + k * width
        ax1.bar(xs, means, width, label=name,
                yerr=[np.subtract(means, lo), np.subtract(hi, means)], capsize=2)
    ax1.set_xticks(np.arange(len(AREA_PERCENTS)) + width * (len(names) - 1) / 2)
    ax1.set_xticklabels([f"top {pct_key(p)}%" for p in AREA_PERCENTS])
    ax1.set_ylabel("PAI (mean, 95% CI over origins)")
    ax1.legend(fontsize=8)
    for name, g in result.folds.groupby("model", sort=False):
        ax2.plot(pd.to_datetime(g["origin"]), g["hit_rate_5"], marker=".", label=name)
    ax2.set_ylabel("hit rate, top 5% of area")
    ax2.set_xlabel("forecast origin")
    fig.autofmt_xdate()
    meta = result.summary.get("meta", {})
    fig.suptitle(f"Rolling-origin backtest: {meta.get('unit', '')}, {meta.get('folds', '')} weekly "
                 f"origins, {meta.get('horizon', '')}-day horizon")
    fig.tight_layout()

    def _w(tmp: Path) -> None:
        fig.savefig(tmp, dpi=110, format="png")

    try:
        return write_with(path, _w)
    finally:
        plt.close(fig)

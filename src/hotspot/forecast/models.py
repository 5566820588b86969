"""Learned count model: gradient-boosted Poisson regression on the weekly-origin features.

:class:`PoissonGBM` fits :class:`sklearn.ensemble.HistGradientBoostingRegressor` with
``loss="poisson"`` on features stacked over past weekly origins (:func:`features.training_frame`)
whose horizons end on or before the training cut-off. Prediction intervals:

- ``intervals="quantile"``: two extra models with ``loss="quantile"`` at ``quantiles`` (default
  q10 and q90), clipped so that ``q_low <= expected <= q_high`` is not forced but both are >= 0;
- ``intervals="poisson"``: the 10% and 90% quantiles of a Poisson distribution with the predicted
  mean (no extra fitting; ignores parameter uncertainty, so intervals are narrower);
- ``intervals="negbin"`` (default): quantiles of a negative binomial with the predicted mean and
  variance ``mu + alpha * mu**2``. ``alpha`` is fitted on HELD-OUT weeks: the model is trained on
  the origins before the last ``calib_weeks`` training weeks, predicts those weeks, and
  ``alpha = max(0, sum((y - mu)**2 - mu) / sum(mu**2))`` (moments) on its out-of-sample residuals;
  the same model then forecasts (one fit). In-sample residuals of boosting are too small (the
  in-sample estimate came out 0 on the embedded data and the intervals over-covered). The
  backtest scores exactly these intervals.

:func:`day_hour_split` spreads a unit's expected count over day of week x hour using the unit's
own day-hour profile shrunk towards the global profile.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats
from shapely.geometry import box
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from hotspot.errors import ArgumentError, InputError
from hotspot.forecast import baselines
from hotspot.forecast.features import CountPanel, build_panel, cached_features, training_frame, weekly_origins
from hotspot.forecast.metrics import hotspot_scores
from hotspot.grid.universe import study_universe
from hotspot.schema import BNG

HORIZONS = (7, 28)


class PoissonGBM(BaseEstimator):
    """Histogram gradient boosting with a Poisson loss, on features at weekly origins.

    Parameters
    ----------
    horizon : int
        Days forecast (7 or 28).
    train_weeks : int
        Number of weekly training origins before the cut-off.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization :
        Passed to :class:`~sklearn.ensemble.HistGradientBoostingRegressor` (the quantile models
        use at most 100 iterations: the quantile loss is several times slower to fit).
    intervals : {"negbin", "quantile", "poisson"}
        How ``predict_interval`` works (see module docstring).
    quantiles : tuple of float
        Lower and upper interval quantiles.
    seed : int
        Random state of the boosting.
    max_rows : int or None
        Train on a seeded random subsample of at most this many (origin, unit) rows (uniform
        sampling keeps the Poisson mean unbiased; bounds fit time on fine grids). None: all rows.
    quiet_rate : float or None
        Keep this share of the rows without any nearby offence (:func:`features.training_frame`;
        the sample depends on the features only, so the conditional mean the booster learns is
        unchanged and no weights are needed). None: all rows.
    calib_weeks : int
        Held-out training weeks (the last ones before the cut-off) on which the blend and the
        negative-binomial dispersion are chosen, out of sample.
    blend_peers, blend_weights : tuple
        The forecast is ``w * boosting + (1 - w) * peer`` for the peer (names of
        :data:`hotspot.forecast.baselines.BASELINES`) and weight ``w`` that capture the most
        offences in the top 1% and 5% of the area over the held-out weeks (temporal cross-validation
        of what is scored; ``w = 1`` is boosting alone). Empty ``blend_peers``: boosting alone.
        The default peers include ``counting_kde``, the all-history KDE whose bandwidth is itself
        chosen by temporal cross-validation (:class:`~hotspot.forecast.baselines.CountingKDE`).
    target_days : int or None
        Train the booster on counts over this many days (default 28: four times less noisy targets
        for a weekly ranking) and scale its forecasts by ``horizon / target_days``; never shorter
        than the horizon (None: the horizon). Training targets always end before the held-out
        weeks and the cut-off.
    n_threads : int or None
        OpenMP threads for boosting (default None: every core; scores do not depend on it). Give 1
        where each process has one core, as Dask workers do: more threads there oversubscribe the
        CPU and run up to ~10x slower.

    Attributes
    ----------
    model_ : HistGradientBoostingRegressor
    alpha_ : float
        Negative-binomial over-dispersion fitted on held-out weeks (0 unless ``intervals="negbin"``).
    calibration_ : dict
        How ``alpha_`` and the blend were chosen: held-out origins, rows, the 80% coverage and the
        hit rates of every candidate on them.
    blend_ : dict
        ``{"peer": name or None, "weight": w}``.
    quantile_models_ : dict of float -> HistGradientBoostingRegressor (``intervals="quantile"``)
    feature_names_ : list of str
    train_start_, train_end_ : str
        Training period (first origin, cut-off), ISO dates.
    n_train_rows_ : int
    panel_ : CountPanel or None
        History used by ``predict`` when no panel is passed (dropped on save).
    """

    def __init__(self, horizon: int = 7, train_weeks: int = 52, max_iter: int = 100,
                 learning_rate: float = 0.1, max_leaf_nodes: int = 15, min_samples_leaf: int = 40,
                 l2_regularization: float = 1.0, intervals: str = "negbin",
                 quantiles: tuple = (0.1, 0.9), seed: int = 0, n_threads: int | None = None,
                 max_rows: int | None = 100_000, quiet_rate: float | None = 0.05,
                 calib_weeks: int = 8, blend_peers: tuple = ("counting", "kde_exp", "counting_kde"),
                 blend_weights: tuple = (0.0, 0.25, 0.5, 0.75, 1.0),
                 target_days: int | None = 28) -> None:
        self.horizon = horizon
        self.train_weeks = train_weeks
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.intervals = intervals
        self.quantiles = quantiles
        self.seed = seed
        self.n_threads = n_threads
        self.max_rows = max_rows
        self.quiet_rate = quiet_rate
        self.calib_weeks = calib_weeks
        self.blend_peers = blend_peers
        self.blend_weights = blend_weights
        self.target_days = target_days

    def _hgb(self, max_iter: int | None = None, **kw) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=max_iter or self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, early_stopping=False,
            random_state=self.seed, **kw)

    def fit(self, panel: CountPanel, until=None, covariates: pd.DataFrame | None = None) -> PoissonGBM:
        """Train on origins whose horizon ends on or before ``until`` (default: the data end).

        Parameters
        ----------
        panel : CountPanel
        until : date-like, optional
            Training cut-off (exclusive): no offence on or after it is used.
        covariates : DataFrame, optional
            Area covariates by unit id (see :func:`features.build_features`).
        """
        if self.horizon not in HORIZONS:
            raise ArgumentError("horizon", self.horizon, f"one of {HORIZONS} days")
        if self.intervals not in ("negbin", "quantile", "poisson"):
            raise ArgumentError("intervals", self.intervals, "'negbin', 'quantile' or 'poisson'")
        until = pd.Timestamp(until).normalize() if until is not None else panel.end
        origins = weekly_origins(panel, until=until, n=self.train_weeks, horizon=self.horizon,
                                 min_history_days=28)
        if len(origins) < 2:
            raise InputError(f"only {len(origins)} training origin(s) before {until.date()}: need at "
                             "least 2 weeks of history plus a horizon; give more data or a later date")
        # the booster is trained on all but the last calib_weeks weeks, which are held out to
        # choose the blend and fit the dispersion on out-of-sample residuals; the SAME model then
        # forecasts (one fit: the intervals that ship are the ones calibrated)
        td = pd.Timedelta(days=self._td)
        fit_origins, calib = [o for o in origins if o + td <= until], []
        if self.calib_weeks > 0:
            k = int(min(self.calib_weeks, max(len(origins) // 3, 1)))
            first = origins[-k]
            early = [o for o in origins if o + td <= first]
            if len(early) >= 2:
                fit_origins, calib = early, origins[-k:]
        if len(fit_origins) < 2:
            raise InputError(f"only {len(fit_origins)} training origin(s) with a full {self._td}-day "
                             f"target before {until.date()}; give more data or a later date")
        X, y, _ = self._rows(panel, fit_origins, covariates)
        self.feature_names_ = list(X.columns)
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            # no sample weights: the quiet-row sample depends on the features only, so E[y | X] is
            # unchanged (and weighted binning is ~10x slower)
            self.model_ = self._hgb(loss="poisson").fit(X.to_numpy(), y)
            self.quantile_models_ = {}
            if self.intervals == "quantile":
                for q in self.quantiles:
                    self.quantile_models_[float(q)] = self._hgb(
                        min(self.max_iter, 100), loss="quantile", quantile=float(q)).fit(X.to_numpy(), y)
        self.calibration_: dict[str, Any] = {}
        self.blend_: dict[str, Any] = {"peer": None, "weight": 1.0}
        self.alpha_ = 0.0
        self.alpha_, self.calibration_ = self._held_out_alpha(panel, calib, covariates)
        self.train_start_ = str(origins[0].date())
        self.train_end_ = str(until.date())
        self.n_train_rows_ = int(len(y))  # after subsampling
        self.has_covariates_ = covariates is not None
        self.panel_ = panel
        self.covariates_ = covariates
        return self

    @property
    def _td(self) -> int:
        return max(int(getattr(self, "target_days", None) or self.horizon), int(self.horizon))

    def _rows(self, panel, origins, covariates):
        return training_frame(panel, origins, self._td, covariates, quiet_rate=self.quiet_rate,
                              seed=self.seed, max_rows=self.max_rows)

    def _held_out_alpha(self, panel, calib, covariates) -> tuple[float, dict]:
        """Choose the blend on the held-out weeks ``calib`` (every unit, out of sample: the booster
        was trained before them), then the dispersion of the chosen forecast's residuals there:
        ``alpha = max(0, sum((y - mu)^2 - mu) / sum(mu^2))``."""

        if not calib:
            return 0.0, {"method": "none: too few training weeks for a held-out fit (Poisson)"}
        ys: list[np.ndarray] = []
        gbm: list[np.ndarray] = []
        peers: dict[str, list[np.ndarray]] = {name: [] for name in self.blend_peers}
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            for o in calib:
                X = cached_features(panel, o, self._td, covariates).to_numpy()
                gbm.append(np.clip(self.model_.predict(X), 0.0, None) * self.horizon / self._td)
                ys.append(panel.target(o, self.horizon))
                for name in self.blend_peers:
                    peers[name].append(_peer_prediction(name, panel, o, self.horizon))
        cands = {("boosting", 1.0): gbm}
        for name in self.blend_peers:
            for w in self.blend_weights:
                if w < 1.0:
                    cands[(name, float(w))] = [w * g + (1 - w) * q for g, q in zip(gbm, peers[name])]
        table = {}
        for key, preds in cands.items():
            hits = []
            for mu, y in zip(preds, ys):
                sc = hotspot_scores(mu, y, area=panel.area, total_area=panel.total_area_m2,
                                    shares=(0.01, 0.05))
                hits.append(sc["hit_rate"][0.01] + sc["hit_rate"][0.05])
            table[f"{key[0]}@{key[1]:g}"] = float(np.nanmean(hits)) if np.isfinite(hits).any() else 0.0
        best = max(cands, key=lambda k: (table[f"{k[0]}@{k[1]:g}"], k[1]))  # ties: more boosting
        self.blend_ = {"peer": None if best[1] == 1.0 else best[0], "weight": best[1]}
        y, mu = np.concatenate(ys), np.concatenate(cands[best])
        alpha = float(max(0.0, np.sum((y - mu) ** 2 - mu) / max(np.sum(mu ** 2), 1e-12)))
        if self.intervals != "negbin":
            alpha = 0.0
        lo, hi = _nb_interval(mu, alpha, self.quantiles)
        info = {"method": "moments on held-out weeks (model trained before them)",
                "held_out_origins": [str(o.date()) for o in calib], "rows": int(len(y)),
                "alpha": alpha, "nominal": float(self.quantiles[1] - self.quantiles[0]),
                "coverage_held_out": float(np.mean((y >= lo) & (y <= hi))),
                "blend": dict(self.blend_), "held_out_hit_rate_1_plus_5": table}
        return alpha, info

    def _mean(self, origin, panel, covariates) -> np.ndarray:
        p = panel if panel is not None else getattr(self, "panel_", None)
        if p is None:
            raise ArgumentError("panel", None, "the count panel to forecast from (fit the model first)")
        X = self._features(origin, panel, covariates).to_numpy()
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            mu = np.clip(self.model_.predict(X), 0.0, None) * self.horizon / self._td
        blend = getattr(self, "blend_", None) or {"peer": None, "weight": 1.0}
        if blend["peer"] is not None:
            w = float(blend["weight"])
            mu = w * mu + (1 - w) * _peer(blend["peer"], p).predict(origin, self.horizon, panel=p)
        return mu

    def _features(self, origin, panel, covariates) -> pd.DataFrame:
        if not hasattr(self, "model_"):
            raise ArgumentError("model", "unfitted PoissonGBM", "a fitted model: call fit() first")
        p = panel if panel is not None else getattr(self, "panel_", None)
        if p is None:
            raise ArgumentError("panel", None, "the offence history (a CountPanel) for a loaded model")
        cov = covariates if covariates is not None else getattr(self, "covariates_", None)
        X = cached_features(p, origin, self._td, cov)
        if list(X.columns) != self.feature_names_:
            raise InputError(f"features {list(X.columns)} differ from those the model was trained on "
                             f"{self.feature_names_}; pass the same covariates as at training")
        return X

    def predict(self, origin, horizon: int | None = None, panel: CountPanel | None = None,
                covariates: pd.DataFrame | None = None) -> np.ndarray:
        """Expected count per unit over ``[origin, origin + horizon)``."""
        if horizon is not None and horizon != self.horizon:
            raise ArgumentError("horizon", horizon, f"{self.horizon} (the horizon this model was "
                                "trained for); train another model for other horizons")
        return self._mean(origin, panel, covariates)

    def predict_interval(self, origin, panel: CountPanel | None = None,
                         covariates: pd.DataFrame | None = None) -> pd.DataFrame:
        """``expected``, ``q10``, ``q90`` (names follow ``quantiles``) per unit."""
        lo_q, hi_q = (float(q) for q in self.quantiles)
        mu = self._mean(origin, panel, covariates)
        if self.intervals == "quantile" and self.quantile_models_:
            X = self._features(origin, panel, covariates).to_numpy()
            with threadpool_limits(limits=self.n_threads, user_api="openmp"):
                lo = np.clip(self.quantile_models_[lo_q].predict(X), 0.0, None)
                hi = np.clip(self.quantile_models_[hi_q].predict(X), 0.0, None)
        if self.intervals == "quantile" and self.quantile_models_:
            lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        else:
            lo, hi = _nb_interval(mu, self.alpha_ if self.intervals == "negbin" else 0.0, (lo_q, hi_q))
        p = panel if panel is not None else self.panel_
        names = [f"q{round(lo_q * 100):02d}", f"q{round(hi_q * 100):02d}"]
        return pd.DataFrame({"expected": mu, names[0]: lo, names[1]: hi}, index=p.units)


def _peer(name: str, panel: CountPanel):
    """A peer forecaster fitted on ``panel`` (kept per panel: kernels are built once)."""

    key = ("peer", name)
    if key not in panel._nb:
        panel._nb[key] = baselines.make(name).fit(panel)
    return panel._nb[key]


def _peer_prediction(name: str, panel: CountPanel, origin, horizon: int) -> np.ndarray:
    """A peer's forecast at ``origin`` (kept per panel: consecutive backtest folds share 7 of their
    8 held-out weeks, and a peer's forecast depends only on the panel before the origin)."""
    key = ("peer_prediction", name, pd.Timestamp(origin), int(horizon))
    if key not in panel._nb:
        panel._nb[key] = _peer(name, panel).predict(origin, horizon, panel=panel)
    return panel._nb[key]


def _nb_interval(mu: np.ndarray, alpha: float, quantiles=(0.1, 0.9)) -> tuple[np.ndarray, np.ndarray]:
    """Integer interval ``[lo, hi]`` of NB(mean mu, variance mu + alpha mu^2) (Poisson when alpha is
    ~0) from MID-distribution quantiles: ``lo`` the smallest ``k`` with ``(F(k-1) + F(k)) / 2 >=
    q_low``, ``hi`` the largest ``k`` with ``(F(k-1) + F(k)) / 2 <= q_high`` (at least ``lo``).

    The plain quantiles ``[F^-1(0.1), F^-1(0.9)]`` of a count distribution over-cover (86% for a
    nominal 80% at means 2-12): each end adds about half of its point mass. Mid-quantiles take
    half of each end's mass out, so the expected coverage is close to nominal wherever the counts
    are not tiny; at means well below 1 every integer interval holding 0 covers more than 80%
    (the backtest reports this, and the randomised-PIT coverage, which has no such floor).
    """
    mu_ = np.maximum(np.asarray(mu, float), 1e-12)
    lo_q, hi_q = (float(q) for q in quantiles)
    if alpha > 1e-9:
        n = 1.0 / alpha
        dist = stats.nbinom(n, n / (n + mu_))
    else:
        dist = stats.poisson(mu_)

    def mid(k):
        return 0.5 * (dist.cdf(k - 1) + dist.cdf(k))

    k0 = dist.ppf(lo_q)
    lo = np.where(mid(k0) >= lo_q, k0, k0 + 1)
    k1 = dist.ppf(hi_q)
    hi = np.where(mid(k1) <= hi_q, k1, k1 - 1)
    return lo.astype(float), np.maximum(hi, lo).astype(float)


def day_hour_profiles(panel: CountPanel, until, *, prior: float = 20.0,
                      weeks: int = 52) -> np.ndarray:
    """Per-unit day-of-week x hour shares, shape ``(n_units, 7, 24)``, rows summing to 1.

    Uses events of the ``weeks`` weeks before ``until``. Each unit's profile is
    ``(counts_u + prior * global) / (n_u + prior)``: units with few events take the global shape.
    """
    until = pd.Timestamp(until)
    t = pd.DatetimeIndex(panel.ev_time)
    keep = (t < until) & (t >= until - pd.Timedelta(weeks=weeks))
    u = panel.ev_unit[keep]
    slot = (t[keep].dayofweek * 24 + t[keep].hour).to_numpy()
    n = len(panel.units)
    counts = np.zeros((n, 168))
    np.add.at(counts, (u, slot), 1.0)
    glob = counts.sum(axis=0) + 1.0  # +1: no empty slot in the global shape
    glob /= glob.sum()
    prof = (counts + prior * glob) / (counts.sum(axis=1, keepdims=True) + prior)
    return prof.reshape(n, 7, 24)


def day_hour_split(panel: CountPanel, expected: np.ndarray, until, *, prior: float = 20.0,
                   top: int | None = 50) -> pd.DataFrame:
    """Expected offences by unit, day of week (0 = Monday) and hour.

    Parameters
    ----------
    expected : ndarray
        Expected count per unit over the horizon.
    until : date-like
        Forecast origin: profiles use only earlier events.
    top : int or None
        Keep only the ``top`` units by expected count (None: all) plus a force-wide ``"ALL"``
        row set summed over every unit.

    Returns
    -------
    DataFrame
        Long table ``unit, day_of_week, day, hour, expected``.
    """
    prof = day_hour_profiles(panel, until, prior=prior)
    split = prof * np.asarray(expected, float)[:, None, None]
    order = np.argsort(-np.asarray(expected), kind="stable")
    sel = order if top is None else order[:top]
    days = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    frames = []
    d_idx, h_idx = np.meshgrid(np.arange(7), np.arange(24), indexing="ij")
    for name, grid in [("ALL", split.sum(axis=0))] + [(panel.units[i], split[i]) for i in sel]:
        frames.append(pd.DataFrame({"unit": name, "day_of_week": d_idx.ravel(),
                                    "day": days[d_idx.ravel()], "hour": h_idx.ravel(),
                                    "expected": grid.ravel()}))
    return pd.concat(frames, ignore_index=True)


def forecast_next(offences: pd.DataFrame, origin, horizon: int = 7, unit: str = "cell", *,
                  cell: float = 250.0, areas=None, universe=None, model: PoissonGBM | None = None,
                  covariates: pd.DataFrame | None = None, serious_only: bool = True,
                  top_day_hour: int | None = 50, seed: int = 0, return_model: bool = False):
    """Forecast the next ``horizon`` days from ``origin`` for every unit.

    Parameters
    ----------
    offences : DataFrame
        Geocoded offences; only those strictly before ``origin`` are used.
    origin : date-like
        First forecast day.
    horizon : {7, 28}
    unit : {"cell", "lsoa", "beat"}
    cell : float
        Cell size in metres for ``unit="cell"``.
    areas : hotspot.geography.areas.Areas, optional
        The study area's boundaries (default: the embedded boundaries).
    universe : hotspot.grid.universe.Universe, optional
        The units to forecast (default: :func:`~hotspot.grid.universe.study_universe` of
        ``areas``: every cell of the force polygon, or every LSOA / beat).
    model : PoissonGBM, optional
        A fitted (e.g. loaded) model; default: train a new one on the data before ``origin``.
    covariates : DataFrame, optional
        Area covariates by unit id.
    top_day_hour : int or None
        Units kept in the day x hour table (plus the ``"ALL"`` total).
    return_model : bool
        Also return the (trained or given) model, e.g. to save it.

    Returns
    -------
    (GeoDataFrame, DataFrame) or (GeoDataFrame, DataFrame, PoissonGBM)
        Layer ``unit, expected, q10, q90, rank`` + geometry (cell square or area polygon) in
        EPSG:27700, sorted by rank; and the day x hour split (:func:`day_hour_split`).
    """


    origin = pd.Timestamp(origin).normalize()
    sel = offences[pd.to_datetime(offences["occurred_at"]) < origin]
    if len(sel) == 0:
        raise InputError(f"no offences before the forecast origin {origin.date()}")
    last = pd.to_datetime(sel["occurred_at"]).max()
    if (origin - last).days > 14:
        raise ArgumentError("origin", str(origin.date()), f"a date within 14 days after the last "
                            f"offence ({last.date()}): later origins would read the gap as no crime")
    if areas is None:
        raise ArgumentError("areas", None, "the study area's boundary layers (hotspot.study_area(...)); the "
                            "embedded synthetic world is never used unasked")
    if universe is None:
        universe = study_universe(areas, unit, cell)
    poly = areas.level(unit) if unit != "cell" else None
    cell = universe.cell
    panel = build_panel(sel, universe, serious_only=serious_only, end=origin - pd.Timedelta(days=1))
    if model is None:
        model = PoissonGBM(horizon=horizon, seed=seed).fit(panel, until=origin, covariates=covariates)
    elif model.horizon != horizon:
        raise ArgumentError("horizon", horizon, f"{model.horizon} (the loaded model's horizon)")
    pred = model.predict_interval(origin, panel=panel, covariates=covariates)
    pred.columns = ["expected", "q10", "q90"]
    pred.index.name = "unit"
    pred = pred.reset_index()
    pred["rank"] = pred["expected"].rank(ascending=False, method="first").astype(int)
    if unit == "cell":
        geoms = [box(x - cell / 2, y - cell / 2, x + cell / 2, y + cell / 2)
                 for x, y in zip(panel.x, panel.y)]
    else:
        if poly is None:
            raise ArgumentError("areas", None, f"the {unit} polygons of the study area")
        g = poly.set_index(poly[f"{unit}_code"].astype(str)).geometry
        geoms = g.reindex(pred["unit"]).to_numpy()
    layer = gpd.GeoDataFrame(pred, geometry=list(geoms), crs=BNG)
    layer["origin"] = str(origin.date())
    layer["horizon_days"] = int(horizon)
    layer = layer.sort_values("rank", ignore_index=True)
    table = day_hour_split(panel, pred["expected"].to_numpy(), origin, top=top_day_hour)
    return (layer, table, model) if return_model else (layer, table)

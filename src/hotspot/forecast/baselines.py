"""Peer forecasters scored inside the backtest on the same units: last-k-weeks average, seasonal
naive, retrospective KDE, prospective hotspotting, plain counting (all history), exponential
time-decay KDE and a self-exciting point process on the grid (Mohler et al. 2011 / 2015 ETAS, EM).

All follow one convention (scikit-learn style): hyper-parameters in ``__init__``; ``fit(panel)``
keeps the :class:`~hotspot.forecast.features.CountPanel`; ``predict(origin, horizon)`` returns the
expected count per unit (``panel.units`` order) over ``[origin, origin + horizon)`` computed only
from days strictly before ``origin``.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator

from hotspot.errors import ArgumentError
from hotspot.forecast.features import CountPanel, decayed_counts
from hotspot.forecast.metrics import hotspot_scores


class PanelForecaster(BaseEstimator):
    """Base class: ``fit`` stores the panel, ``predict`` slices the history before the origin."""

    def fit(self, panel: CountPanel, until=None) -> PanelForecaster:
        """Keep ``panel`` (``until`` is accepted for a common interface; predictions never read
        days on or after their origin)."""
        if not isinstance(panel, CountPanel):
            raise ArgumentError("panel", type(panel).__name__, "a CountPanel (features.build_panel)")
        self.panel_ = panel
        self.n_units_ = len(panel.units)
        return self

    def _panel(self, panel: CountPanel | None) -> CountPanel:
        p = panel if panel is not None else getattr(self, "panel_", None)
        if p is None:
            raise ArgumentError("panel", None, "a CountPanel: call fit(panel) first or pass panel=")
        return p

    def _past(self, panel: CountPanel, origin, weeks: int) -> list[np.ndarray]:
        """Counts per unit in each of the ``weeks`` weeks before ``origin`` (0 = latest)."""
        h = panel.history(origin)
        return [h.row(max(h.i - 7 * w, 0)) - h.row(max(h.i - 7 * (w + 1), 0)) for w in range(weeks)]

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        raise NotImplementedError


def _check_horizon(horizon: int) -> int:
    if int(horizon) != horizon or horizon < 1:
        raise ArgumentError("horizon", horizon, "a whole number of days >= 1 (7 or 28)")
    return int(horizon)


class LastWeeks(PanelForecaster):
    """Mean weekly count over the last ``weeks`` weeks, scaled to the horizon."""

    def __init__(self, weeks: int = 4) -> None:
        self.weeks = weeks

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        return np.sum(self._past(p, origin, self.weeks), axis=0) / self.weeks * h / 7.0


class SeasonalNaive(PanelForecaster):
    """Count over the same days ``364 * k`` days earlier, averaged over ``years`` years (weekday
    aligned)."""

    def __init__(self, years: int = 1) -> None:
        self.years = years

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        hist = p.history(origin)
        i = hist.i
        out = np.zeros(p.n_units)
        for k in range(1, self.years + 1):
            j0 = max(i - 364 * k, 0)
            j1 = min(max(i - 364 * k + h, 0), i)
            out += hist.row(j1) - hist.row(j0)
        return out / self.years


def _pairs(x: np.ndarray, y: np.ndarray, radius: float) -> sparse.coo_matrix:
    """Pairwise centroid distances within ``radius`` (self pairs included with distance 0)."""
    pts = np.column_stack([x, y])
    tree = cKDTree(pts)
    d = tree.sparse_distance_matrix(tree, max_distance=radius, output_type="coo_matrix")
    off = d.row != d.col
    n = len(x)
    rows = np.concatenate([d.row[off], np.arange(n)])
    cols = np.concatenate([d.col[off], np.arange(n)])
    vals = np.concatenate([d.data[off], np.zeros(n)])
    return sparse.coo_matrix((vals, (rows, cols)), shape=(n, n))


class RetrospectiveKDE(PanelForecaster):
    """Counts of the last ``weeks`` weeks smoothed with a quartic kernel of ``bandwidth`` metres.

    Each unit's count is spread over the units whose centroids lie within the bandwidth with
    weights ``(1 - (d/h)^2)^2`` normalised to sum to one, so the total is preserved; the result is
    scaled to the horizon. This is the retrospective hotspot map used as the standard comparison
    in the prospective-mapping literature.

    References
    ----------
    Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
    spatial patterns of crime. Security Journal 21, 4-28.
    """

    def __init__(self, weeks: int = 13, bandwidth: float = 400.0) -> None:
        self.weeks = weeks
        self.bandwidth = bandwidth

    def fit(self, panel: CountPanel, until=None) -> RetrospectiveKDE:
        super().fit(panel, until)
        if not self.bandwidth > 0:
            raise ArgumentError("bandwidth", self.bandwidth, "a positive distance in metres")
        d = _pairs(panel.x, panel.y, self.bandwidth)
        w = (1.0 - (d.data / self.bandwidth) ** 2) ** 2
        k = sparse.csr_matrix((w, (d.row, d.col)), shape=d.shape)
        colsum = np.asarray(k.sum(axis=0)).ravel()
        self.kernel_ = (k @ sparse.diags(1.0 / colsum)).tocsr()  # column j spreads unit j's count
        return self

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        c = np.sum(self._past(p, origin, self.weeks), axis=0)
        return self.kernel_ @ c / self.weeks * h / 7.0


class ProspectiveHotspot(PanelForecaster):
    """Prospective hotspotting (Bowers, Johnson and Pease 2004).

    Every event of the last ``weeks`` weeks within ``radius`` metres contributes
    ``1 / (1 + distance band) * 1 / (1 + weeks ago)`` to a unit's risk, where the distance band
    is the centroid distance in multiples of ``band`` metres (default: the cell size) rounded to
    the nearest whole band and ``weeks ago`` is 0 for the last 7 days. Events are placed at their
    unit's centroid. The risk is rescaled so its total equals the recent mean weekly count times
    the horizon, making it usable as an expected count as well as a ranking.

    References
    ----------
    Bowers, K. J., Johnson, S. D. and Pease, K. (2004). Prospective hot-spotting: the future of
    crime mapping? British Journal of Criminology 44(5), 641-658.
    """

    def __init__(self, radius: float = 400.0, weeks: int = 8, band: float | None = None) -> None:
        self.radius = radius
        self.weeks = weeks
        self.band = band

    def fit(self, panel: CountPanel, until=None) -> ProspectiveHotspot:
        super().fit(panel, until)
        band = self.band or (panel.cell if panel.kind == "cell" else 200.0)
        d = _pairs(panel.x, panel.y, self.radius)
        w = 1.0 / (1.0 + np.round(d.data / band))
        self.spread_ = sparse.csr_matrix((w, (d.row, d.col)), shape=d.shape)
        return self

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        weekly = self._past(p, origin, self.weeks)
        recency = sum(c / (1.0 + w) for w, c in enumerate(weekly))
        risk = self.spread_ @ recency
        total = np.sum(weekly) / self.weeks * h / 7.0
        s = risk.sum()
        return risk * (total / s) if s > 0 else risk


def quartic_kernel(panel: CountPanel, bandwidth: float) -> sparse.csr_matrix:
    """Column-normalised quartic kernel over unit centroids: column ``j`` spreads unit ``j``'s
    count over the units within ``bandwidth`` with weights ``(1 - (d/h)^2)^2`` summing to one."""
    if not bandwidth > 0:
        raise ArgumentError("bandwidth", bandwidth, "a positive distance in metres")
    d = _pairs(panel.x, panel.y, bandwidth)
    w = (1.0 - (d.data / bandwidth) ** 2) ** 2
    k = sparse.csr_matrix((w, (d.row, d.col)), shape=d.shape)
    colsum = np.asarray(k.sum(axis=0)).ravel()
    return (k @ sparse.diags(1.0 / colsum)).tocsr()


class Counting(PanelForecaster):
    """Plain counting: every offence of the whole history before the origin, per unit, as a mean
    daily rate times the horizon (open_cp's "naive counting" grid predictor)."""

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        hist = p.history(origin)
        return hist.row(hist.i) / max(hist.i, 1) * h


class ExpDecayKDE(PanelForecaster):
    """Exponential time-decay KDE: each past offence weighs ``exp(-age / tau)`` (age in days) and
    is spread with a quartic kernel of ``bandwidth`` metres; scaled so the total equals the
    recent (last 8 weeks) mean daily count times the horizon.

    References
    ----------
    Johnson, S. D., Bowers, K. J., Birks, D. J. and Pease, K. (2009). Predictive mapping of crime by
    ProMap. In Weisburd et al. (eds) Putting Crime in its Place. Springer (time-weighted KDE).
    """

    def __init__(self, tau: float = 60.0, bandwidth: float = 400.0, days: int = 730) -> None:
        self.tau = tau
        self.bandwidth = bandwidth
        self.days = days

    def fit(self, panel: CountPanel, until=None) -> ExpDecayKDE:
        super().fit(panel, until)
        self.kernel_ = quartic_kernel(panel, self.bandwidth)
        return self

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        hist = p.history(origin)
        w = decayed_counts(hist, (self.tau,), self.days)[self.tau]
        risk = self.kernel_ @ w
        total = hist.window(0, 56).sum() / 56.0 * h
        s = risk.sum()
        return risk * (total / s) if s > 0 else risk


@numba.njit(cache=True)
def _sepp_em(n, iters, mu, theta, omega):  # pragma: no cover - compiled
    """EM for a per-cell Hawkes process on daily counts ``n`` (days x cells): background
    ``mu[c]`` per day, triggering ``theta * omega * exp(-omega * dt)`` from earlier days of the same
    cell. Returns (mu, theta, omega, S) with ``S[c]`` the triggering sum at the day after the
    window (for prediction)."""
    D, C = n.shape
    for _ in range(iters):
        decay = np.exp(-omega)
        trig = 0.0
        lag = 0.0
        expected_kids = 0.0
        new_mu = np.zeros(C)
        for c in range(C):
            S = 0.0
            R = 0.0
            bsum = 0.0
            for d in range(D):
                if d > 0:
                    S = decay * (S + omega * n[d - 1, c])
                    R = decay * R + S
                k = n[d, c]
                if k > 0:
                    lam = mu[c] + theta * S
                    if lam > 0:
                        bsum += k * mu[c] / lam
                        trig += k * theta * S / lam
                        lag += k * theta * R / lam
                    expected_kids += k * (1.0 - np.exp(-omega * (D - d)))
            new_mu[c] = bsum / D
        mu = new_mu
        if expected_kids > 0:
            theta = min(trig / expected_kids, 0.95)
        if lag > 1e-12 and trig > 1e-12:
            omega = min(max(trig / lag, 1.0 / 365.0), 5.0)
    decay = np.exp(-omega)
    Send = np.zeros(C)
    for c in range(C):
        S = 0.0
        for d in range(1, D + 1):
            S = decay * (S + omega * n[d - 1, c])
        Send[c] = S
    return mu, theta, omega, Send


class GridSEPP(PanelForecaster):
    """Self-exciting point process on the grid (Mohler et al. 2011; the grid ETAS of Mohler et al.
    2015), fitted by expectation-maximisation on the last ``days`` days before each origin.

    The intensity of unit ``c`` on day ``t`` is ``mu_c + theta * sum_{t_i < t} omega *
    exp(-omega (t - t_i))`` over earlier offences of the same unit (days binned; same-day offences
    do not trigger each other). The E-step splits each day's offences into background and triggered
    shares; the M-step sets ``mu_c`` to the background count over the window length, ``theta`` to
    the triggered share per expected offspring (edge-corrected) and ``omega`` to the reciprocal of
    the mean triggering lag. The forecast over ``[T, T + h)`` is ``mu_c h + theta S_c(T) / omega
    (1 - exp(-omega h))`` (offspring of forecast-period events ignored).

    References
    ----------
    Mohler, G. O., Short, M. B., Brantingham, P. J., Schoenberg, F. P. and Tita, G. E. (2011).
    Self-exciting point process modeling of crime. JASA 106(493), 100-108.
    Mohler, G. O., Short, M. B., Malinowski, S., Johnson, M., Tita, G. E., Bertozzi, A. L. and
    Brantingham, P. J. (2015). Randomized controlled field trials of predictive policing. JASA
    110(512), 1399-1411.
    """

    def __init__(self, days: int = 365, iters: int = 30, theta0: float = 0.2,
                 omega0: float = 0.1) -> None:
        self.days = days
        self.iters = iters
        self.theta0 = theta0
        self.omega0 = omega0

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        hist = p.history(origin)
        days = min(self.days, hist.i)
        out = np.zeros(p.n_units)
        if days < 1:
            return out
        n = np.ascontiguousarray(hist.daily(days))
        used = n.sum(axis=0) > 0
        if not used.any():
            return out
        n = np.ascontiguousarray(n[:, used])
        mu0 = n.sum(axis=0) / days * 0.8
        mu, theta, omega, S = _sepp_em(n, int(self.iters), mu0, float(self.theta0), float(self.omega0))
        self.theta_, self.omega_ = float(theta), float(omega)
        pred = mu * h + theta * S / omega * (1.0 - np.exp(-omega * h))
        out[p.active[used]] = pred
        return out


class CountingKDE(PanelForecaster):
    """All-history counts smoothed with a quartic kernel whose bandwidth is chosen, at each origin,
    by temporal cross-validation inside the history.

    The forecast is the whole-history daily rate per unit, spread with a column-normalised quartic
    kernel of bandwidth ``h`` (:func:`quartic_kernel`; ``h = 0``: plain counting), times the
    horizon. ``h`` is the candidate of ``bandwidths`` whose forecasts, made at each of the
    ``cv_weeks`` horizons just before the origin from the data before each of them, put the most
    offences in the top 1% and 5% of the area (the quantity the backtest scores); ties go to the
    smaller bandwidth. Only days before the origin are read.

    Attributes
    ----------
    bandwidth_ : float
        The bandwidth chosen at the last ``predict``.
    cv_ : dict
        Bandwidth -> mean held-out hit rate (1% + 5%) at the last ``predict``.

    References
    ----------
    Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
    spatial patterns of crime. Security Journal 21, 4-28 (long-term KDE hotspot maps).
    Mohler, G. O. and Porter, M. D. (2018). Rotational grid, PAI-maximizing crime forecasts.
    Statistical Analysis and Data Mining 11(5), 227-236 (choosing the smoothing for what is scored).
    """

    def __init__(self, bandwidths: tuple = (0.0, 300.0, 400.0, 600.0, 800.0), cv_weeks: int = 13) -> None:
        self.bandwidths = bandwidths
        self.cv_weeks = cv_weeks

    def fit(self, panel: CountPanel, until=None) -> CountingKDE:
        super().fit(panel, until)
        if any(not (b >= 0) for b in self.bandwidths) or not self.bandwidths:
            raise ArgumentError("bandwidths", self.bandwidths, "distances in metres >= 0 (0: no smoothing)")
        self.kernels_ = {}
        for b in (float(v) for v in self.bandwidths if v > 0):
            key = ("quartic_kernel", b)  # geometry only: kept per panel (one fit per backtest fold)
            if key not in panel._nb:
                panel._nb[key] = quartic_kernel(panel, b)
            self.kernels_[b] = panel._nb[key]
        return self

    def _smooth(self, counts: np.ndarray, bandwidth: float) -> np.ndarray:
        return counts if bandwidth == 0 else self.kernels_[bandwidth] @ counts

    def predict(self, origin, horizon: int = 7, panel: CountPanel | None = None) -> np.ndarray:
        p = self._panel(panel)
        h = _check_horizon(horizon)
        hist = p.history(origin)
        i = hist.i
        cands = [float(b) for b in self.bandwidths]
        score: dict[float, list[float]] = {b: [] for b in cands}
        for k in range(1, int(self.cv_weeks) + 1):
            j = i - h * k  # a held-out horizon [j, j + h) that ends on or before the origin
            if j < 28:
                break
            past = hist.row(j)
            y = hist.row(j + h) - past
            if y.sum() <= 0:
                continue
            for b in cands:
                # a held-out week's score depends on the days before j + h only: kept per panel,
                # consecutive backtest origins share all but one of their held-out weeks
                key = ("counting_kde_cv", j, h, b)
                if key not in p._nb:
                    sc = hotspot_scores(self._smooth(past, b), y, area=p.area, total_area=p.total_area_m2,
                                        shares=(0.01, 0.05))
                    p._nb[key] = sc["hit_rate"][0.01] + sc["hit_rate"][0.05]
                score[b].append(p._nb[key])
        self.cv_ = {b: float(np.mean(v)) if v else float("nan") for b, v in score.items()}
        valid = [b for b in cands if np.isfinite(self.cv_[b])]
        self.bandwidth_ = max(valid, key=lambda b: (self.cv_[b], -b)) if valid else cands[0]
        return self._smooth(hist.row(i), self.bandwidth_) / max(i, 1) * h


#: Baselines by name (used by the backtest and the CLI).
BASELINES = {
    "last4": lambda: LastWeeks(4),
    "seasonal_naive": lambda: SeasonalNaive(1),
    "kde": lambda: RetrospectiveKDE(13, 400.0),
    "prospective": lambda: ProspectiveHotspot(400.0, 8),
    "counting": lambda: Counting(),
    "kde_exp": lambda: ExpDecayKDE(60.0, 400.0),
    "sepp": lambda: GridSEPP(),
    "counting_kde": lambda: CountingKDE(),
}


def make(name: str):
    """A fresh baseline by name (see :data:`BASELINES`)."""
    if name not in BASELINES:
        raise ArgumentError("model", name, f"one of {sorted(BASELINES)}")
    return BASELINES[name]()


def as_frame(panel: CountPanel, pred: np.ndarray, name: str = "expected") -> pd.DataFrame:
    """Predictions as a DataFrame indexed by unit."""
    return pd.DataFrame({name: pred}, index=panel.units)

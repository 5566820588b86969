"""Baseline forecasters: last-k-weeks average, seasonal naive, retrospective KDE, prospective
hotspotting.

All follow one convention (scikit-learn style): hyper-parameters in ``__init__``; ``fit(panel)``
keeps the :class:`~hotspot.forecast.features.CountPanel`; ``predict(origin, horizon)`` returns the
expected count per unit (``panel.units`` order) over ``[origin, origin + horizon)`` computed only
from days strictly before ``origin``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator

from hotspot.errors import ArgumentError
from hotspot.forecast.features import CountPanel


class PanelForecaster(BaseEstimator):
    """Base class: ``fit`` stores the panel, ``predict`` slices the history before the origin."""

    def fit(self, panel: CountPanel, until=None) -> "PanelForecaster":
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
        i = panel.day_index(origin)
        past = panel.cum[: i + 1]
        return [past[max(i - 7 * w, 0)] - past[max(i - 7 * (w + 1), 0)] for w in range(weeks)]

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
        i = p.day_index(origin)
        past = p.cum[: i + 1]
        out = np.zeros(past.shape[1])
        for k in range(1, self.years + 1):
            j0 = max(i - 364 * k, 0)
            j1 = min(max(i - 364 * k + h, 0), i)
            out += past[j1] - past[j0]
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

    def fit(self, panel: CountPanel, until=None) -> "RetrospectiveKDE":
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

    def fit(self, panel: CountPanel, until=None) -> "ProspectiveHotspot":
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


#: Baselines by name (used by the backtest and the CLI).
BASELINES = {
    "last4": lambda: LastWeeks(4),
    "seasonal_naive": lambda: SeasonalNaive(1),
    "kde": lambda: RetrospectiveKDE(13, 400.0),
    "prospective": lambda: ProspectiveHotspot(400.0, 8),
}


def make(name: str):
    """A fresh baseline by name (see :data:`BASELINES`)."""
    if name not in BASELINES:
        raise ArgumentError("model", name, f"one of {sorted(BASELINES)}")
    return BASELINES[name]()


def as_frame(panel: CountPanel, pred: np.ndarray, name: str = "expected") -> pd.DataFrame:
    """Predictions as a DataFrame indexed by unit."""
    return pd.DataFrame({name: pred}, index=panel.units)

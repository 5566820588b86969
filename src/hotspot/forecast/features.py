"""Daily count panels per unit and leakage-free forecasting features at weekly origins.

A :class:`CountPanel` holds the daily offence counts of every unit (grid cell, LSOA or beat) as a
cumulative-sum array, so that the count of any unit over any window of days is one subtraction.
:func:`build_features` computes the features at an origin ``t`` from the rows of the cumulative
array strictly before ``t`` only (the slice is taken first, so later data cannot leak in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from hotspot.covariates.imd import read_imd
from hotspot.covariates.profiles import area_profile
from hotspot.covariates.universal_credit import read_statxplore
from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.regimes import REGIME_COLUMNS, bank_holiday_days, daily_regimes
from hotspot.grid.universe import UNITS, Universe, require_universe  # noqa: F401
from hotspot.paths import data_dir

#: Lookback windows in weeks.
WINDOWS = (1, 2, 4, 13, 52)


@dataclass
class CountPanel:
    """Daily counts per unit of a fixed :class:`~hotspot.grid.universe.Universe`.

    Attributes
    ----------
    kind : str
        ``"cell"``, ``"lsoa"`` or ``"beat"``.
    cell : float
        Cell size in metres (cells only; also the distance band width for areas' neighbours).
    start : Timestamp
        First day (midnight) of the panel.
    n_days : int
        Number of days covered.
    units : Index
        Unit identifiers of the universe (every unit of the study area, offences or not).
    x, y : ndarray
        Unit centroids (EPSG:27700 metres).
    area : ndarray
        Unit areas in square metres.
    total_area_m2 : float
        Study-area area (PAI's denominator).
    cum : ndarray, shape (n_days + 1, n_active)
        ``cum[i, k]`` = counts on days ``< start + i`` of unit ``active[k]`` (storage only: units
        without any offence are all-zero columns and are not stored; use :meth:`cum_row`).
    active : ndarray of int
        Universe indices of the stored columns.
    ev_unit, ev_time : ndarray
        Unit index and timestamp of each event (for day-hour profiles and scenarios).
    """

    kind: str
    cell: float
    start: pd.Timestamp
    n_days: int
    units: pd.Index
    x: np.ndarray
    y: np.ndarray
    area: np.ndarray
    total_area_m2: float
    cum: np.ndarray
    active: np.ndarray
    ev_unit: np.ndarray
    ev_time: np.ndarray
    _nb: dict = field(default_factory=dict, repr=False)
    _features: dict = field(default_factory=dict, repr=False)

    @property
    def end(self) -> pd.Timestamp:
        """The day after the last day covered (exclusive end)."""
        return self.start + pd.Timedelta(days=self.n_days)

    @property
    def n_units(self) -> int:
        """Number of units in the universe."""
        return len(self.units)

    def day_index(self, t) -> int:
        """Index of day ``t`` (midnight) in the cumulative array; error if outside the panel."""
        t = pd.Timestamp(t)
        i = (t.normalize() - self.start).days
        if i < 0 or i > self.n_days:
            raise ArgumentError("origin", str(t.date()), f"a date between {self.start.date()} and "
                                f"{self.end.date()} (the data's range)")
        return i

    def cum_row(self, i: int) -> np.ndarray:
        """Counts per unit (every unit of the universe) on days ``< start + i`` (``i`` clipped to
        ``[0, n_days]``)."""
        i = int(np.clip(i, 0, self.n_days))
        out = np.zeros(self.n_units)
        out[self.active] = self.cum[i]
        return out

    def history(self, origin) -> History:
        """Read-only view of the counts before ``origin``: asking for a later day is an error."""
        return History(self, self.day_index(origin))

    def window(self, t0, t1) -> np.ndarray:
        """Counts per unit on days ``[t0, t1)`` (clipped to the panel)."""
        i0 = int(np.clip((pd.Timestamp(t0).normalize() - self.start).days, 0, self.n_days))
        i1 = int(np.clip((pd.Timestamp(t1).normalize() - self.start).days, 0, self.n_days))
        return self.cum_row(max(i1, i0)) - self.cum_row(i0)

    def target(self, origin, horizon: int) -> np.ndarray:
        """Observed counts per unit on days ``[origin, origin + horizon)`` (must lie in the panel)."""
        i = self.day_index(origin)
        if i + horizon > self.n_days:
            raise ArgumentError("origin", str(pd.Timestamp(origin).date()),
                                f"a date at least {horizon} days before the data end {self.end.date()}")
        return self.cum_row(i + horizon) - self.cum_row(i)

    def daily_active(self, i0: int, i1: int) -> np.ndarray:
        """Daily counts, shape ``(i1 - i0, n_active)``, of the stored units on days ``[i0, i1)``."""
        i0, i1 = int(np.clip(i0, 0, self.n_days)), int(np.clip(i1, 0, self.n_days))
        return np.diff(self.cum[i0:i1 + 1], axis=0)

    def neighbours(self, which: str) -> sparse.csr_matrix:
        """Sparse smoothing matrix: ``"near"`` (cells 3x3, areas 5 nearest) or ``"far"``
        (cells 5x5, areas 15 nearest); rows sum to 1 for areas, to count/window for cells."""
        if which not in self._nb:
            self._nb[which] = neighbour_matrix(self.x, self.y, kind=self.kind, cell=self.cell,
                                               which=which)
        return self._nb[which]


@dataclass(frozen=True)
class History:
    """The counts of a panel strictly before an origin (day index ``i``)."""

    panel: CountPanel
    i: int

    def row(self, j: int) -> np.ndarray:
        """Cumulative counts per unit on days ``< start + j``; ``j`` must be ``<= i``."""
        if j > self.i:
            raise ArgumentError("day", j, f"a day before the origin (index <= {self.i}): no peeking")
        return self.panel.cum_row(max(j, 0))

    def window(self, days_back0: int, days_back1: int) -> np.ndarray:
        """Counts per unit from ``days_back1`` days before the origin up to ``days_back0`` days
        before it (``days_back0 < days_back1``)."""
        return self.row(self.i - days_back0) - self.row(self.i - days_back1)

    def daily(self, days: int) -> np.ndarray:
        """Daily counts of the stored (active) units over the last ``days`` days, oldest first
        (rows before the panel start are zero)."""
        got = self.panel.daily_active(self.i - days, self.i)
        if got.shape[0] < days:
            got = np.vstack([np.zeros((days - got.shape[0], got.shape[1])), got])
        return got


def cell_keys(easting: np.ndarray, northing: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corner (metres) of the BNG-aligned cell holding each point."""
    return (np.floor(np.asarray(easting, float) / cell) * cell,
            np.floor(np.asarray(northing, float) / cell) * cell)


def _select(offences: pd.DataFrame, serious_only: bool) -> pd.DataFrame:
    if "occurred_at" not in offences.columns:
        raise InputError("offences have no 'occurred_at' column; forecasting needs timestamped records",
                         column="occurred_at")
    df = offences
    if serious_only and "serious_violence" in df.columns:
        df = df[df["serious_violence"].astype(bool)]
    df = df[pd.notna(df["occurred_at"])]
    if len(df) == 0:
        raise InputError("no timestamped offences to forecast from (police.uk month-only records "
                         "cannot be used here: use hotspot.forecast.monthly; or pass serious_only=False)")
    return df


def unit_keys(offences: pd.DataFrame, universe: Universe) -> pd.Index:
    """The universe unit id of each offence (cells from coordinates, areas from ``<unit>_code``)."""
    if universe.kind == "cell":
        x0, y0 = cell_keys(offences["easting"].to_numpy(), offences["northing"].to_numpy(), universe.cell)
        return pd.Index([f"{a:.0f}_{b:.0f}" for a, b in zip(x0, y0)])
    col = f"{universe.kind}_code"
    if col not in offences.columns:
        raise InputError(f"offences have no {col!r} column; geocode them first "
                         "(hotspot.geography.geocode.load_offences)", column=col)
    return pd.Index(offences[col].astype(str).to_numpy())


def build_panel(offences: pd.DataFrame, universe: Universe | None = None, *,
                serious_only: bool = True, start=None, end=None) -> CountPanel:
    """Daily count panel of offences per unit of a fixed universe.

    Parameters
    ----------
    offences : DataFrame
        :data:`hotspot.schema.OFFENCE_COLUMNS` (+ ``lsoa_code``/``beat_code`` for areal units).
    universe : Universe
        Every unit of the study area (:func:`hotspot.grid.universe.study_universe`). Required:
        the units are never derived from where offences happened. Offences outside it are dropped.
    serious_only : bool
        Keep only ``serious_violence`` rows (when the column exists).
    start, end : date-like, optional
        Panel range, inclusive (default: first and last offence day).
    """
    universe = require_universe(universe)
    df = _select(offences, serious_only)
    t = pd.to_datetime(df["occurred_at"]).to_numpy()
    keys = unit_keys(df, universe)
    units = universe.units
    uidx = units.get_indexer(keys)
    keep = uidx >= 0
    uidx, t = uidx[keep], t[keep]
    days = pd.DatetimeIndex(t).normalize()
    if len(days) == 0 and (start is None or end is None):
        raise InputError("no offence falls inside the study area's units; check the boundaries and "
                         "the offences' coordinates (EPSG:27700)")
    start = pd.Timestamp(start).normalize() if start is not None else days.min()
    end = pd.Timestamp(end).normalize() if end is not None else days.max()
    n_days = (end - start).days + 1
    if n_days < 1:
        raise ArgumentError("end", str(end.date()), f"a day on or after the start {start.date()}")
    d = (days - start).days.to_numpy()
    ok = (d >= 0) & (d < n_days)
    active, col = np.unique(uidx[ok], return_inverse=True)
    daily = np.zeros((n_days, len(active)), dtype=np.float64)
    np.add.at(daily, (d[ok], col), 1.0)
    cum = np.zeros((n_days + 1, len(active)), dtype=np.float64)
    np.cumsum(daily, axis=0, out=cum[1:])
    return CountPanel(kind=universe.kind, cell=float(universe.cell), start=start, n_days=n_days,
                      units=units, x=np.asarray(universe.x, float), y=np.asarray(universe.y, float),
                      area=np.asarray(universe.area, float), total_area_m2=float(universe.total_area_m2),
                      cum=cum, active=active.astype(np.int64), ev_unit=uidx[ok], ev_time=t[ok])


def neighbour_matrix(x: np.ndarray, y: np.ndarray, *, kind: str, cell: float,
                     which: str = "near") -> sparse.csr_matrix:
    """Spatial smoothing matrix over units.

    Cells: the 3x3 (``"near"``) or 5x5 (``"far"``) window including the cell itself, divided by
    the window size (cells absent from the panel count as zero). Areas: the mean over the 5
    (``"near"``) or 15 (``"far"``) nearest other units by centroid distance.
    """
    n = len(x)
    pts = np.column_stack([x, y])
    if kind == "cell":
        r = 1 if which == "near" else 2
        pairs = cKDTree(pts).query_pairs(r * cell + 1e-6, p=np.inf, output_type="ndarray")
        rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
        cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
        vals = np.full(rows.size, 1.0 / (2 * r + 1) ** 2)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
    k = min(5 if which == "near" else 15, max(n - 1, 1))
    if n < 2:
        return sparse.identity(n, format="csr")
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    rows = np.repeat(np.arange(n), k)
    cols = idx[:, 1:].ravel()
    return sparse.csr_matrix((np.full(rows.size, 1.0 / k), (rows, cols)), shape=(n, n))


#: Time constants (days) of the exponentially decayed counts.
DECAYS = (7, 30, 120, 365)
#: Days of history read by the decayed counts (weights beyond are below exp(-2) of the longest).
DECAY_DAYS = 730


def feature_names(covariates: pd.DataFrame | None = None) -> list[str]:
    """Column names produced by :func:`build_features`, in order."""
    names = [f"c{w}" for w in WINDOWS]
    names += [f"near{w}" for w in WINDOWS] + [f"far{w}" for w in WINDOWS]
    names += [f"d{t}" for t in DECAYS] + [f"near_d{t}" for t in DECAYS] + [f"far_d{t}" for t in DECAYS]
    names += ["rate_all", "near_rate_all"]
    names += ["c_last_year", "near_last_year", "history_weeks", "woy_sin", "woy_cos",
              "bank_holidays"]
    names += [f"h_{c}" for c in REGIME_COLUMNS] + ["past4_nte_closed", "past4_nte_open"]
    if covariates is not None:
        names += [f"cov_{c}" for c in covariates.columns]
    return names


def decayed_counts(hist: History, taus=DECAYS, days: int = DECAY_DAYS) -> dict[float, np.ndarray]:
    """Exponentially time-decayed counts per unit, ``sum_i exp(-age_i / tau)`` over the events
    of the last ``days`` days (age in days, 0.5 for yesterday's events).

    Computed from the cumulative rows directly (summation by parts: ``sum_d w_d (C[d+1] - C[d])``
    with one matrix product for every ``tau``), without materialising daily counts."""
    panel = hist.panel
    i = hist.i
    d = min(days, i)
    out = {tau: np.zeros(panel.n_units) for tau in taus}
    if d <= 0 or panel.cum.shape[1] == 0:
        return out
    age = np.arange(d, 0, -1) - 0.5                  # day i-d .. i-1
    w = np.exp(-age[None, :] / np.asarray(taus, float)[:, None])   # (n_taus, d)
    coef = np.zeros((len(taus), d + 1))              # rows i-d .. i of the cumulative array
    coef[:, 1:] += w
    coef[:, :-1] -= w
    v = coef @ panel.cum[i - d: i + 1]
    for k, tau in enumerate(taus):
        out[tau][panel.active] = v[k]
    return out


def build_features(panel: CountPanel, origin, horizon: int = 7,
                   covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features of every unit at a weekly origin, from offences strictly before ``origin``.

    Parameters
    ----------
    panel : CountPanel
    origin : date-like
        First day of the forecast horizon (midnight).
    horizon : int
        Days forecast (7 or 28).
    covariates : DataFrame, optional
        Indexed by unit id, numeric columns (e.g. IMD score, UC rate, population); missing units
        take the column median.

    Returns
    -------
    DataFrame
        Indexed by unit, columns :func:`feature_names`: counts in the last 1, 2, 4, 13 and 52
        weeks, exponentially decayed counts (7, 30, 120, 365 days), the same smoothed over near
        (3x3) and far (5x5) neighbours, the mean daily count over all history, the count in the same
        horizon a year earlier, weeks of history available, week of year (sin/cos), bank holidays
        in the horizon, the share of horizon days in each restriction regime, regime shares in the
        past 4 weeks and the covariates. Every count is read through :meth:`CountPanel.history`,
        which refuses days on or after the origin.
    """
    origin = pd.Timestamp(origin).normalize()
    hist = panel.history(origin)
    i = hist.i
    cols: dict[str, np.ndarray] = {}
    near, far = panel.neighbours("near"), panel.neighbours("far")
    now = hist.row(i)
    for w in WINDOWS:
        cols[f"c{w}"] = now - hist.row(max(i - 7 * w, 0))
    for w in WINDOWS:
        cols[f"near{w}"] = near @ cols[f"c{w}"]
    for w in WINDOWS:
        cols[f"far{w}"] = far @ cols[f"c{w}"]
    dec = decayed_counts(hist)
    for t in DECAYS:
        cols[f"d{t}"] = dec[t]
    for t in DECAYS:
        cols[f"near_d{t}"] = near @ dec[t]
    for t in DECAYS:
        cols[f"far_d{t}"] = far @ dec[t]
    cols["rate_all"] = now / max(i, 1)
    cols["near_rate_all"] = near @ cols["rate_all"]
    j0, j1 = max(i - 364, 0), max(min(i - 364 + horizon, i), 0)
    ly = hist.row(j1) - hist.row(j0)
    cols["c_last_year"] = ly
    cols["near_last_year"] = near @ ly
    n = len(panel.units)
    cols["history_weeks"] = np.full(n, min(i / 7.0, 52.0))
    woy = (origin.dayofyear - 1) / 365.25 * 2 * np.pi
    cols["woy_sin"] = np.full(n, np.sin(woy))
    cols["woy_cos"] = np.full(n, np.cos(woy))
    h_end = origin + pd.Timedelta(days=horizon - 1)
    cols["bank_holidays"] = np.full(n, float(len(bank_holiday_days(origin, h_end))))
    reg = daily_regimes(origin, h_end).mean()
    for c in REGIME_COLUMNS:
        cols[f"h_{c}"] = np.full(n, reg[c])
    past4 = daily_regimes(origin - pd.Timedelta(days=28), origin - pd.Timedelta(days=1)).mean()
    cols["past4_nte_closed"] = np.full(n, past4["nte_closed"])
    cols["past4_nte_open"] = np.full(n, past4["nte_open"] + past4["nte_restricted"])
    out = pd.DataFrame(cols, index=panel.units)
    if covariates is not None:
        cov = covariates.reindex(panel.units)
        cov = cov.fillna(cov.median(numeric_only=True)).fillna(0.0)
        for c in covariates.columns:
            out[f"cov_{c}"] = cov[c].to_numpy(dtype=float)
    return out[feature_names(covariates)].astype(np.float32)


def weekly_origins(panel: CountPanel, *, until, n: int, horizon: int = 7,
                   min_history_days: int = 0) -> list[pd.Timestamp]:
    """Up to ``n`` weekly origins whose horizon ends on or before ``until`` (latest last, oldest
    first), keeping at least ``min_history_days`` of history before each."""
    until = pd.Timestamp(until).normalize()
    last = until - pd.Timedelta(days=horizon)
    origins = [last - pd.Timedelta(weeks=k) for k in range(n)]
    first_ok = panel.start + pd.Timedelta(days=min_history_days)
    return sorted(o for o in origins if o >= first_ok)


#: Full feature frames kept per panel (forecast and held-out origins; about 14 MB each for
#: 80,000 cells).
FULL_FEATURE_CACHE_SIZE = 48


def cached_features(panel: CountPanel, origin, horizon: int = 7,
                    covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`build_features`, remembered per panel (features depend only on the panel before the
    origin, so successive folds of a backtest reuse them)."""
    cov_key = None if covariates is None else int(pd.util.hash_pandas_object(covariates).sum())
    key = ("full", pd.Timestamp(origin).normalize(), int(horizon), cov_key)
    got = panel._features.get(key)
    if got is None:
        got = build_features(panel, origin, horizon, covariates)
        full = [k for k in panel._features if k[0] == "full"]
        if len(full) >= FULL_FEATURE_CACHE_SIZE:
            del panel._features[full[0]]
        panel._features[key] = got
    return got


#: Training frames kept per panel (the sampled rows of one origin).
FEATURE_CACHE_SIZE = 120


def quiet_rows(X: pd.DataFrame) -> np.ndarray:
    """Rows with no offence in the 5x5 neighbourhood in the last year and none ever in the unit:
    their features carry almost no information, so training keeps only a weighted sample."""
    return (X["far52"].to_numpy() == 0) & (X["rate_all"].to_numpy() == 0)


def training_frame(panel: CountPanel, origins, horizon: int = 7,
                   covariates: pd.DataFrame | None = None, *, quiet_rate: float | None = None,
                   seed: int = 0, max_rows: int | None = None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Stack features, observed targets (counts in ``[origin, origin + horizon)``) and sample
    weights over origins.

    With ``quiet_rate`` (0 < q <= 1), the :func:`quiet_rows` of each origin are kept with
    probability ``q`` and weight ``1 / q`` (every other row weight 1), so weighted sums, and the
    Poisson loss, stay unbiased while most of the empty countryside of a force-wide grid is not
    fitted row by row. The sample of an origin depends only on ``seed`` and the origin date.

    With ``max_rows``, at most that many stacked rows are returned: a uniform sample without
    replacement drawn by ``numpy.random.default_rng(seed)`` over the stacked rows, kept in stack
    order. The rows are taken from each origin before stacking (the full stack is never built:
    for a force-wide grid it is over a gigabyte).
    """
    xs, ys, ws = [], [], []
    cov_key = None if covariates is None else int(pd.util.hash_pandas_object(covariates).sum())
    for o in origins:
        # a rolling-origin backtest asks for nearly the same origins at every fold: the rows of an
        # origin depend only on the panel before it (and its target), so they are computed once
        key = (pd.Timestamp(o), int(horizon), cov_key, quiet_rate, seed)
        got = panel._features.get(key)
        if got is None:
            X = build_features(panel, o, horizon, covariates)
            y = panel.target(o, horizon)
            w = np.ones(len(y))
            if quiet_rate is not None and quiet_rate < 1:
                rng = np.random.default_rng([seed, pd.Timestamp(o).toordinal()])
                q = quiet_rows(X)
                keep = ~q | (rng.random(len(y)) < quiet_rate)
                w = np.where(q, 1.0 / quiet_rate, 1.0)[keep]
                X, y = X[keep], y[keep]
            got = (X.reset_index(drop=True), y, w)
            if sum(k[0] != "full" for k in panel._features) < FEATURE_CACHE_SIZE:
                panel._features[key] = got
        xs.append(got[0])
        ys.append(got[1])
        ws.append(got[2])
    if not xs:
        raise InputError("not enough history to train: need at least one origin with a full horizon "
                         "of observed data; give more data or a later origin")
    y_all, w_all = np.concatenate(ys), np.concatenate(ws)
    if max_rows is None or len(y_all) <= max_rows:
        return pd.concat(xs, ignore_index=True), y_all, w_all
    keep = np.sort(np.random.default_rng(seed).choice(len(y_all), int(max_rows), replace=False))
    starts = np.cumsum([0] + [len(x) for x in xs])
    parts = [x.iloc[keep[(keep >= a) & (keep < b)] - a] for x, a, b in zip(xs, starts[:-1], starts[1:])]
    return pd.concat(parts, ignore_index=True), y_all[keep], w_all[keep]


#: Static area covariates taken by :func:`area_covariates`.
COVARIATE_COLUMNS = ["imd_score", "uc_per_100_households", "population"]


def area_covariates(offences: pd.DataFrame, areas, level: str = "lsoa", *, imd_path=None,
                    uc_path=None, uc_month: str | None = None) -> pd.DataFrame:
    """IMD score, Universal Credit households per 100 households and population per area.

    Uses :func:`hotspot.covariates.profiles.area_profile` on the embedded covariates by default
    (``data/covariates/imd2019_file7.csv``, ``uc_households_lsoa.csv``). The UC month defaults to
    the EARLIEST month in the file so the covariate describes the area, not the forecast period.
    Offence counts of the profile are dropped (they would leak the future into features).

    Returns
    -------
    DataFrame
        Indexed by ``<level>_code``, columns :data:`COVARIATE_COLUMNS`.
    """


    if level not in ("lsoa", "beat"):
        raise ArgumentError("level", level, "'lsoa' or 'beat' (grid cells have no area covariates)")
    imd = read_imd(imd_path or data_dir() / "covariates" / "imd2019_file7.csv")
    uc = read_statxplore(uc_path or data_dir() / "covariates" / "uc_households_lsoa.csv")
    months = sorted(c for c in uc.columns if re.fullmatch(r"\d{4}-\d{2}", str(c)))
    if "lsoa_code" in offences.columns:  # counts are dropped: keep only placeable rows (no warnings)
        offences = offences[offences["lsoa_code"].astype(str).isin(areas.lsoa["lsoa_code"].astype(str))]
    prof = area_profile(offences, areas, imd=imd, uc=uc, level=level,
                        uc_month=uc_month or (months[0] if months else None))
    return prof.set_index(prof[f"{level}_code"].astype(str))[COVARIATE_COLUMNS].astype(float)

"""Daily count panels per unit and leakage-free forecasting features at weekly origins.

A :class:`CountPanel` holds the daily offence counts of every unit (grid cell, LSOA or beat) as a
cumulative-sum array, so that the count of any unit over any window of days is one subtraction.
:func:`build_features` computes the features at an origin ``t`` from the rows of the cumulative
array strictly before ``t`` only (the slice is taken first, so later data cannot leak in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.regimes import REGIME_COLUMNS, bank_holiday_days, daily_regimes

UNITS = ("cell", "lsoa", "beat")
#: Lookback windows in weeks.
WINDOWS = (1, 2, 4, 13, 52)


@dataclass
class CountPanel:
    """Daily counts per unit.

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
        Unit identifiers (cells: ``"<x0>_<y0>"``, the lower-left corner in metres).
    x, y : ndarray
        Unit centroids (EPSG:27700 metres).
    area : ndarray
        Unit areas in square metres (equal for cells).
    cum : ndarray, shape (n_days + 1, n_units)
        ``cum[i]`` = counts on days ``< start + i``.
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
    cum: np.ndarray
    ev_unit: np.ndarray
    ev_time: np.ndarray
    _nb: dict = field(default_factory=dict, repr=False)
    _features: dict = field(default_factory=dict, repr=False)

    @property
    def end(self) -> pd.Timestamp:
        """The day after the last day covered (exclusive end)."""
        return self.start + pd.Timedelta(days=self.n_days)

    def day_index(self, t) -> int:
        """Index of day ``t`` (midnight) in the cumulative array; error if outside the panel."""
        t = pd.Timestamp(t)
        i = (t.normalize() - self.start).days
        if i < 0 or i > self.n_days:
            raise ArgumentError("origin", str(t.date()), f"a date between {self.start.date()} and "
                                f"{self.end.date()} (the data's range)")
        return i

    def window(self, t0, t1) -> np.ndarray:
        """Counts per unit on days ``[t0, t1)`` (clipped to the panel)."""
        i0 = int(np.clip((pd.Timestamp(t0).normalize() - self.start).days, 0, self.n_days))
        i1 = int(np.clip((pd.Timestamp(t1).normalize() - self.start).days, 0, self.n_days))
        return self.cum[max(i1, i0)] - self.cum[i0]

    def target(self, origin, horizon: int) -> np.ndarray:
        """Observed counts per unit on days ``[origin, origin + horizon)`` (must lie in the panel)."""
        i = self.day_index(origin)
        if i + horizon > self.n_days:
            raise ArgumentError("origin", str(pd.Timestamp(origin).date()),
                                f"a date at least {horizon} days before the data end {self.end.date()}")
        return self.cum[i + horizon] - self.cum[i]

    def neighbours(self, which: str) -> sparse.csr_matrix:
        """Sparse smoothing matrix: ``"near"`` (cells 3x3, areas 5 nearest) or ``"far"``
        (cells 5x5, areas 15 nearest); rows sum to 1 for areas, to count/window for cells."""
        if which not in self._nb:
            self._nb[which] = neighbour_matrix(self.x, self.y, kind=self.kind, cell=self.cell,
                                               which=which)
        return self._nb[which]


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
                         "cannot be used; give the timestamped extract, or pass serious_only=False)")
    return df


def build_panel(offences: pd.DataFrame, *, unit: str = "cell", cell: float = 250.0,
                serious_only: bool = True, areas=None, start=None, end=None,
                units: pd.Index | None = None) -> CountPanel:
    """Daily count panel of offences per unit.

    Parameters
    ----------
    offences : DataFrame
        :data:`hotspot.schema.OFFENCE_COLUMNS` (+ ``lsoa_code``/``beat_code`` for areal units).
    unit : {"cell", "lsoa", "beat"}
    cell : float
        Grid cell size in metres; cells are aligned to multiples of ``cell``.
    serious_only : bool
        Keep only ``serious_violence`` rows (when the column exists).
    areas : GeoDataFrame, optional
        Polygons of the areal unit with a ``<unit>_code`` column: every polygon becomes a unit
        (also those without offences) and areas/centroids come from the polygons. Without it,
        an area's centroid is the mean location of all its offences in the panel (treated as
        static geography) and areas are equal; pass polygons for exact, data-free geometry.
    start, end : date-like, optional
        Panel range (default: first and last offence day).
    units : Index, optional
        Fix the unit universe (events outside it are dropped).
    """
    if unit not in UNITS:
        raise ArgumentError("unit", unit, "one of 'cell', 'lsoa', 'beat'")
    if not cell > 0:
        raise ArgumentError("cell", cell, "a positive number of metres")
    df = _select(offences, serious_only)
    t = pd.to_datetime(df["occurred_at"]).to_numpy()
    if unit == "cell":
        x0, y0 = cell_keys(df["easting"].to_numpy(), df["northing"].to_numpy(), cell)
        keys = pd.Index([f"{a:.0f}_{b:.0f}" for a, b in zip(x0, y0)])
    else:
        col = f"{unit}_code"
        if col not in df.columns:
            raise InputError(f"offences have no {col!r} column; geocode them first "
                             "(hotspot.geography.geocode.load_offences)", column=col)
        keys = pd.Index(df[col].astype(str).to_numpy())
    if units is None:
        if areas is not None and unit != "cell":
            units = pd.Index(areas[f"{unit}_code"].astype(str)).unique()
        else:
            units = keys.unique().sort_values()
    units = pd.Index(units)
    uidx = units.get_indexer(keys)
    keep = uidx >= 0
    uidx, t = uidx[keep], t[keep]
    days = pd.DatetimeIndex(t).normalize()
    start = pd.Timestamp(start).normalize() if start is not None else days.min()
    end = pd.Timestamp(end).normalize() if end is not None else days.max()
    n_days = (end - start).days + 1
    d = (days - start).days.to_numpy()
    ok = (d >= 0) & (d < n_days)
    daily = np.zeros((n_days, len(units)), dtype=np.float64)
    np.add.at(daily, (d[ok], uidx[ok]), 1.0)
    cum = np.zeros((n_days + 1, len(units)), dtype=np.float64)
    np.cumsum(daily, axis=0, out=cum[1:])
    if unit == "cell":
        parts = np.array([u.split("_") for u in units], dtype=float).reshape(-1, 2)
        x, y = parts[:, 0] + cell / 2, parts[:, 1] + cell / 2
        area = np.full(len(units), cell * cell)
    elif areas is not None:
        a = areas.set_index(areas[f"{unit}_code"].astype(str)).reindex(units)
        cen = a.geometry.centroid
        x, y, area = cen.x.to_numpy(), cen.y.to_numpy(), a.geometry.area.to_numpy()
    else:
        g = pd.DataFrame({"u": keys[keep], "x": df["easting"].to_numpy()[keep],
                          "y": df["northing"].to_numpy()[keep]}).groupby("u")[["x", "y"]].mean()
        g = g.reindex(units)
        g = g.fillna(g.mean()).fillna(0.0)  # units without any offence: placed at the mean centroid
        x, y = g["x"].to_numpy(), g["y"].to_numpy()
        area = np.ones(len(units))
    return CountPanel(kind=unit, cell=float(cell), start=start, n_days=n_days, units=units,
                      x=np.asarray(x, float), y=np.asarray(y, float), area=np.asarray(area, float),
                      cum=cum, ev_unit=uidx[ok], ev_time=t[ok])


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
        tree = cKDTree(pts)
        m = tree.sparse_distance_matrix(tree, max_distance=r * cell + 1e-6, p=np.inf).tocsr()
        m.data[:] = 1.0
        m = m + sparse.identity(n, format="csr")
        m.data[:] = 1.0 / (2 * r + 1) ** 2
        return m.tocsr()
    k = min(5 if which == "near" else 15, max(n - 1, 1))
    if n < 2:
        return sparse.identity(n, format="csr")
    _, idx = cKDTree(pts).query(pts, k=k + 1)
    rows = np.repeat(np.arange(n), k)
    cols = idx[:, 1:].ravel()
    return sparse.csr_matrix((np.full(rows.size, 1.0 / k), (rows, cols)), shape=(n, n))


def feature_names(covariates: pd.DataFrame | None = None) -> list[str]:
    """Column names produced by :func:`build_features`, in order."""
    names = [f"c{w}" for w in WINDOWS]
    names += [f"near{w}" for w in WINDOWS] + [f"far{w}" for w in WINDOWS]
    names += ["c_last_year", "near_last_year", "history_weeks", "woy_sin", "woy_cos",
              "bank_holidays"]
    names += [f"h_{c}" for c in REGIME_COLUMNS] + ["past4_nte_closed", "past4_nte_open"]
    if covariates is not None:
        names += [f"cov_{c}" for c in covariates.columns]
    return names


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
        weeks, the same smoothed over neighbours, the count in the same horizon a year earlier,
        weeks of history available, week of year (sin/cos), bank holidays in the horizon, the
        share of horizon days in each restriction regime, regime shares in the past 4 weeks and
        the covariates.
    """
    origin = pd.Timestamp(origin).normalize()
    i = panel.day_index(origin)
    past = panel.cum[: i + 1]  # rows for days < origin only: nothing later can be read below
    assert past.shape[0] == i + 1
    cols: dict[str, np.ndarray] = {}
    near, far = panel.neighbours("near"), panel.neighbours("far")
    for w in WINDOWS:
        c = past[i] - past[max(i - 7 * w, 0)]
        cols[f"c{w}"] = c
    for w in WINDOWS:
        cols[f"near{w}"] = near @ cols[f"c{w}"]
    for w in WINDOWS:
        cols[f"far{w}"] = far @ cols[f"c{w}"]
    j0, j1 = max(i - 364, 0), max(min(i - 364 + horizon, i), 0)
    ly = past[j1] - past[j0]
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
    return out[feature_names(covariates)]


def weekly_origins(panel: CountPanel, *, until, n: int, horizon: int = 7,
                   min_history_days: int = 0) -> list[pd.Timestamp]:
    """Up to ``n`` weekly origins whose horizon ends on or before ``until`` (latest last, oldest
    first), keeping at least ``min_history_days`` of history before each."""
    until = pd.Timestamp(until).normalize()
    last = until - pd.Timedelta(days=horizon)
    origins = [last - pd.Timedelta(weeks=k) for k in range(n)]
    first_ok = panel.start + pd.Timedelta(days=min_history_days)
    return sorted(o for o in origins if o >= first_ok)


#: Feature frames kept per panel (about 4 MB each for 15,000 units).
FEATURE_CACHE_SIZE = 120


def training_frame(panel: CountPanel, origins, horizon: int = 7,
                   covariates: pd.DataFrame | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Stack features and observed targets (counts in ``[origin, origin + horizon)``) over origins."""
    xs, ys = [], []
    cov_key = None if covariates is None else int(pd.util.hash_pandas_object(covariates).sum())
    for o in origins:
        # a rolling-origin backtest asks for nearly the same origins at every fold: features of an
        # origin depend only on the panel before it, so they are computed once per panel
        key = (pd.Timestamp(o), int(horizon), cov_key)
        feats = panel._features.get(key)
        if feats is None:
            feats = build_features(panel, o, horizon, covariates)
            if len(panel._features) < FEATURE_CACHE_SIZE:
                panel._features[key] = feats
        xs.append(feats)
        ys.append(panel.target(o, horizon))
    if not xs:
        raise InputError("not enough history to train: need at least one origin with a full horizon "
                         "of observed data; give more data or a later origin")
    return pd.concat(xs, ignore_index=True), np.concatenate(ys)


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
    import re

    from hotspot.covariates.imd import read_imd
    from hotspot.covariates.profiles import area_profile
    from hotspot.covariates.universal_credit import read_statxplore
    from hotspot.paths import data_dir

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

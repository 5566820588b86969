"""Space-time cubes: offence counts per grid cell per week or month.

A cube is an :class:`xarray.DataArray` with dims ``("time", "y", "x")``: ``time`` is the start
of each step (weeks start on Monday, months on the 1st), ``y``/``x`` the cell centres of a
:class:`~hotspot.grid.spec.GridSpec` (y descending). Every step between the first and the last
is present, empty steps included (zeros), so a cell's series has no gaps. Cells outside the
study area are NaN at every step.

References
----------
.. [1] Esri. *Create Space Time Cube By Aggregating Points* (ArcGIS Pro): bins of equal duration,
   every location has a value at every step.
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/create-space-time-cube.htm
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from hotspot.errors import ArgumentError, InputError
from hotspot.grid.binning import as_mask, as_xy
from hotspot.grid.io import write_netcdf
from hotspot.grid.spec import GridSpec

STEPS = ("week", "month")


def _step_start(t: pd.Series | pd.DatetimeIndex, step: str) -> pd.DatetimeIndex:
    """Start of the step containing each time (Monday 00:00 or the 1st of the month)."""
    idx = pd.DatetimeIndex(t)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    if step == "week":
        day = idx.normalize()
        return day - pd.to_timedelta(day.dayofweek, unit="D")
    return idx.to_period("M").to_timestamp()


def step_starts(start: Any, end: Any, step: str) -> pd.DatetimeIndex:
    """Every step start from the step containing ``start`` to the one containing ``end``."""
    s = _step_start(pd.DatetimeIndex([pd.Timestamp(start)]), step)[0]
    e = _step_start(pd.DatetimeIndex([pd.Timestamp(end)]), step)[0]
    freq = "W-MON" if step == "week" else "MS"
    return pd.date_range(s, e, freq=freq)


def _times_of(df: pd.DataFrame, step: str) -> pd.DatetimeIndex:
    """Time of each row: ``occurred_at``; month-only rows use the 1st of ``month`` (monthly only)."""
    if "occurred_at" in df.columns:
        occ = pd.to_datetime(df["occurred_at"], errors="coerce")
        if getattr(occ.dt, "tz", None) is not None:
            occ = occ.dt.tz_localize(None)
    else:
        occ = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    missing = occ.isna()
    if missing.any():
        if "month" not in df.columns:
            raise InputError(f"{int(missing.sum())} offences have no 'occurred_at' and there is no "
                             "'month' column; give every offence a date", column="occurred_at")
        if step == "week":
            raise InputError(f"{int(missing.sum())} offences have a month but no date (police.uk "
                             "street-level data); weekly steps need exact dates: use step='month' "
                             "(--step month) or a timestamped extract", column="occurred_at")
        mon = pd.to_datetime(df.loc[missing, "month"].astype(str), format="%Y-%m", errors="coerce")
        if mon.isna().any():
            bad = df.loc[missing, "month"][mon.isna()].iloc[0]
            raise InputError(f"month {bad!r} is not YYYY-MM", column="month")
        occ = occ.copy()
        occ[missing] = mon
    return pd.DatetimeIndex(occ)


def space_time_cube(offences_or_xy_t: Any, spec: GridSpec, step: str = "week", start: Any = None,
                    end: Any = None, mask: Any = None):
    """Count offences per cell per week or month.

    Parameters
    ----------
    offences_or_xy_t : DataFrame or tuple (x, y, t)
        Offences with ``easting``, ``northing`` and ``occurred_at`` (and ``month`` ``YYYY-MM``
        for month-only rows, which need ``step="month"``), or three arrays of eastings,
        northings and times.
    spec : GridSpec
        The grid.
    step : {"week", "month"}
        Step length; weeks start on Monday, months on the 1st.
    start, end : date-like, optional
        First and last day to include (inclusive; the cube runs from the step containing
        ``start`` to the step containing ``end``). Default: the data's first and last times.
        Offences outside ``[start, end]`` are left out.
    mask : bool array (ny, nx), shapely geometry or GeoDataFrame, optional
        Study area; cells whose centre is outside are NaN at every step.

    Returns
    -------
    xarray.DataArray
        float64 counts, dims ``("time", "y", "x")``, name ``"count"``; attrs ``crs``, ``cell``,
        ``step``, ``n_points`` (input rows), ``counted``, ``outside_grid`` (rows outside the grid
        or without coordinates), ``outside_period``, ``masked_points``.
    """


    if not isinstance(spec, GridSpec):
        raise ArgumentError("spec", type(spec).__name__, "a hotspot.grid.spec.GridSpec")
    if step not in STEPS:
        raise ArgumentError("step", step, f"one of {STEPS}")
    if isinstance(offences_or_xy_t, pd.DataFrame):
        df = offences_or_xy_t
        for need in ("easting", "northing"):
            if need not in df.columns:
                raise InputError(f"offences need an {need!r} column (EPSG:27700 metres)", column=need)
        x, y = as_xy(df["easting"].to_numpy(dtype=float), df["northing"].to_numpy(dtype=float))
        t = _times_of(df, step)
    elif isinstance(offences_or_xy_t, (tuple, list)) and len(offences_or_xy_t) == 3:
        x, y = as_xy(offences_or_xy_t[0], offences_or_xy_t[1])
        try:
            t = pd.DatetimeIndex(pd.to_datetime(np.asarray(offences_or_xy_t[2])))
        except (TypeError, ValueError):
            raise ArgumentError("t", type(offences_or_xy_t[2]).__name__, "an array of datetimes") from None
        if t.tz is not None:
            t = t.tz_localize(None)
        if len(t) != x.size:
            raise ArgumentError("t", f"{len(t)} times", f"one time per point ({x.size})")
        if t.isna().any():
            raise ArgumentError("t", f"{int(t.isna().sum())} missing times", "a time for every point")
    else:
        raise ArgumentError("offences_or_xy_t", type(offences_or_xy_t).__name__,
                            "a DataFrame with easting, northing, occurred_at (and month) or a tuple (x, y, t)")
    n = x.size
    t0 = pd.Timestamp(start) if start is not None else (t.min() if n else None)
    t1 = pd.Timestamp(end) if end is not None else (t.max() if n else None)
    if t0 is None or t1 is None or pd.isna(t0) or pd.isna(t1):
        raise ArgumentError("start", start, "a start and end date (the input has no offences to take them from)")
    if t1 < t0:
        raise ArgumentError("end", str(t1.date()), f"a date on or after start ({t0.date()})")
    times = step_starts(t0, t1, step)
    # inclusive bounds; a date given without a time of day includes that whole day
    lo = t0.normalize() if start is not None else t0
    whole_day = end is not None and t1 == t1.normalize()
    in_period = (t >= lo) & ((t < t1 + pd.Timedelta(days=1)) if whole_day else (t <= t1))
    in_period = np.asarray(in_period)
    starts = _step_start(t, step)
    k = np.asarray(times.get_indexer(starts), dtype=np.int64)
    row, col = spec.index(x, y)
    ok = in_period & (k >= 0) & (row >= 0) & (col >= 0)
    flat = (k[ok] * spec.ny + row[ok]) * spec.nx + col[ok]
    counts = np.bincount(flat, minlength=len(times) * spec.size).astype(np.float64)
    counts = counts.reshape(len(times), spec.ny, spec.nx)
    m = as_mask(mask, spec)
    masked_points = 0
    if m is not None:
        masked_points = int(counts[:, ~m].sum())
        counts[:, ~m] = np.nan
    attrs = {"crs": spec.crs, "cell": spec.cell, "step": step, "n_points": int(n),
             "counted": int(ok.sum()) - masked_points,
             "outside_grid": int((in_period & ((row < 0) | (col < 0))).sum()),
             "outside_period": int((~in_period).sum()), "masked_points": masked_points,
             "units": "offences per cell per " + step}
    return xr.DataArray(counts, dims=("time", "y", "x"),
                        coords={"time": times.values, "y": spec.y, "x": spec.x}, name="count", attrs=attrs)


def write_cube(cube: Any, path: str | Path) -> Path:
    """Write a cube (or an emerging hot spot Dataset) to NetCDF atomically.

    Uses :func:`hotspot.grid.io.write_netcdf` (CF grid mapping for EPSG:27700); string variables
    are stored as NetCDF strings.
    """

    return write_netcdf(cube, path)


def read_cube(path: str | Path, name: str = "count"):
    """Read a cube written by :func:`write_cube` back as a ``(time, y, x)`` DataArray."""

    path = Path(path)
    if not path.exists():
        raise InputError("cube file not found; write one with `hotspot emerging --cube`", path=path)
    with xr.open_dataset(path) as ds:
        if name not in ds:
            raise InputError(f"no variable {name!r} (has {list(ds.data_vars)})", path=path)
        da = ds[name].load()
    da.attrs.pop("grid_mapping", None)
    da.attrs.setdefault("cell", float(abs(da["x"][1] - da["x"][0])) if da.sizes["x"] > 1 else None)
    return da.transpose("time", "y", "x")

"""COVID-19 restriction regimes in England as daily features, and England & Wales bank holidays.

The timeline comes from ``data/reference/restrictions_timeline_england.csv`` (columns ``date,
event, night_time_economy, schools``): each row starts a regime that lasts until the next row.
Days before the first row are fully open; days after the last row keep the last regime.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hotspot.errors import InputError
from hotspot.paths import reference_dir

#: Daily regime columns produced by :func:`daily_regimes` (each in [0, 1]).
REGIME_COLUMNS = ["nte_closed", "nte_curfew", "nte_outdoor_only", "nte_restricted", "nte_open",
                  "schools_open"]

_NTE = {  # night_time_economy value -> the one-hot column it sets
    "closed": "nte_closed", "curfew_22": "nte_curfew", "curfew_23": "nte_curfew",
    "outdoor_only": "nte_outdoor_only", "open_restricted": "nte_restricted",
    "advised_against": "nte_restricted", "open": "nte_open",
}
_SCHOOLS = {"open": 1.0, "partly_open": 0.5, "closed_to_most": 0.0, "summer_holiday": 0.0}

#: Dates on which hospitality reopened after a closure, by the regime it reopened to.
REOPENINGS = {
    "open": [pd.Timestamp("2020-07-04"), pd.Timestamp("2021-05-17")],
    "outdoor_only": [pd.Timestamp("2021-04-12")],
}


def timeline_path() -> Path:
    """Path of the restrictions timeline CSV in the reference folder."""
    return reference_dir() / "restrictions_timeline_england.csv"


@lru_cache(maxsize=4)
def read_timeline(path: str | None = None) -> pd.DataFrame:
    """Read and validate the restrictions timeline.

    Parameters
    ----------
    path : str, optional
        CSV with columns ``date, event, night_time_economy, schools`` (default: the reference copy).

    Returns
    -------
    DataFrame
        Sorted by ``date`` (datetime64).
    """
    p = Path(path) if path else timeline_path()
    if not p.exists():
        raise InputError("restrictions timeline not found; pass its path or set HOTSPOT_REFERENCE",
                         path=p)
    df = pd.read_csv(p, dtype=str)
    for col in ("date", "night_time_economy", "schools"):
        if col not in df.columns:
            raise InputError(f"missing column {col!r}; expected date,event,night_time_economy,schools",
                             path=p, column=col)
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    for i, (nte, sch) in enumerate(zip(df["night_time_economy"], df["schools"])):
        if nte not in _NTE:
            raise InputError(f"unknown night_time_economy value {nte!r}; use one of {sorted(_NTE)}",
                             path=p, row=i + 2, column="night_time_economy")
        if sch not in _SCHOOLS:
            raise InputError(f"unknown schools value {sch!r}; use one of {sorted(_SCHOOLS)}",
                             path=p, row=i + 2, column="schools")
    return df.sort_values("date").reset_index(drop=True)


def daily_regimes(start, end, *, path: str | None = None) -> pd.DataFrame:
    """One row per day in ``[start, end]`` with the regime columns :data:`REGIME_COLUMNS`.

    ``nte_*`` are one-hot (night-time economy closed, 10/11pm curfew, outdoor only, restricted
    opening, fully open); ``schools_open`` is 1 open, 0.5 partly open, 0 closed or holiday.
    """
    days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    tl = read_timeline(str(path) if path else None)
    out = pd.DataFrame(0.0, index=days, columns=REGIME_COLUMNS)
    idx = np.searchsorted(tl["date"].to_numpy(), days.to_numpy(), side="right") - 1
    nte = np.where(idx >= 0, tl["night_time_economy"].to_numpy()[np.clip(idx, 0, None)], "open")
    sch = np.where(idx >= 0, tl["schools"].to_numpy()[np.clip(idx, 0, None)], "open")
    for value, col in _NTE.items():
        out.loc[nte == value, col] = 1.0
    out["schools_open"] = [_SCHOOLS[s] for s in sch]
    out.index.name = "date"
    return out


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = ((h + l_ - 7 * m + 114) % 31) + 1
    return date(year, month, day)


def _weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def bank_holidays(year: int) -> list[date]:
    """England & Wales bank holidays of ``year`` (with substitute days and the one-off moves of
    2020 (VE day), 2022 (Platinum Jubilee, Queen's funeral) and 2023 (Coronation))."""
    hol: list[date] = []
    ny = date(year, 1, 1)
    hol.append(ny if ny.weekday() < 5 else _weekday_on_or_after(ny, 0))
    e = _easter(year)
    hol += [e - timedelta(days=2), e + timedelta(days=1)]
    early_may = {2020: date(2020, 5, 8)}.get(year, _weekday_on_or_after(date(year, 5, 1), 0))
    hol.append(early_may)
    spring = {2022: date(2022, 6, 2)}.get(year, _last_weekday(year, 5, 0))
    hol.append(spring)
    hol.append(_last_weekday(year, 8, 0))
    xmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if xmas.weekday() == 5:      # Sat -> Mon 27, Tue 28
        hol += [date(year, 12, 27), date(year, 12, 28)]
    elif xmas.weekday() == 6:    # Sun -> Boxing Mon 26, Christmas substitute Tue 27
        hol += [boxing, date(year, 12, 27)]
    elif xmas.weekday() == 4:    # Fri -> Boxing Day substitute Mon 28
        hol += [xmas, date(year, 12, 28)]
    else:
        hol += [xmas, boxing]
    extra = {2022: [date(2022, 6, 3), date(2022, 9, 19)], 2023: [date(2023, 5, 8)]}
    hol += extra.get(year, [])
    return sorted(hol)


def bank_holiday_days(start, end) -> pd.DatetimeIndex:
    """Bank holidays falling in ``[start, end]``."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    days = [d for y in range(s.year, e.year + 1) for d in bank_holidays(y)]
    idx = pd.DatetimeIndex(pd.to_datetime(days))
    return idx[(idx >= s.normalize()) & (idx <= e.normalize())]

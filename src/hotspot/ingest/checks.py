"""Row checks shared by every reader: flags, coordinates, dates, ids, quarantine and report frames.

The readers (:mod:`~hotspot.ingest.policeuk`, :mod:`~hotspot.ingest.extract`,
:mod:`~hotspot.ingest.canonical`) record the first problem of each row in a :class:`Flags`
object with these checks; :mod:`hotspot.ingest.validate` runs the readers and reconciles the
counts (see its docstring for the order of the checks). Kept apart from the entry point so
the readers and the entry point import in one direction only.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from hotspot.crs import BNG_BOUNDS, UK_LONLAT_BOUNDS, to_bng
from hotspot.errors import ArgumentError
from hotspot.schema import OFFENCE_COLUMNS, QUARANTINE_REASONS

STAGE_COLUMNS = [c for c in OFFENCE_COLUMNS if c not in ("serious_violence", "sv_category")] + ["postcode"]
QUARANTINE_COLUMNS = ["source_file", "source_line", "reason", "detail", "offence_id", "raw"]


class Flags:
    """First quarantine reason and detail per row (``""`` while the row is good)."""

    def __init__(self, n: int) -> None:
        self.reason = np.full(n, "", dtype=object)
        self.detail = np.full(n, "", dtype=object)

    def flag(self, mask, reason: str, detail) -> None:
        """Set ``reason``/``detail`` where ``mask`` is True and no earlier reason is set.

        ``detail`` is a string, an array/Series aligned with the rows, or a callable taking the
        boolean mask of newly flagged rows and returning their details (see :func:`lazy`).
        """
        if reason not in QUARANTINE_REASONS:
            raise ValueError(f"unknown quarantine reason {reason!r}")
        m = np.asarray(mask, dtype=bool) & (self.reason == "")
        if not m.any():
            return
        self.reason[m] = reason
        if callable(detail):
            self.detail[m] = np.asarray(list(detail(m)), dtype=object)
        else:
            self.detail[m] = detail if isinstance(detail, str) else np.asarray(detail, dtype=object)[m]

    @property
    def ok(self) -> np.ndarray:
        return self.reason == ""


def lazy(template: str, *columns):
    """A detail builder formatting ``template`` with each column's value, for flagged rows only.

    Examples
    --------
    >>> flags.flag(bad, "unparseable_date", lazy("Month {!r} is not YYYY-MM", month))
    """
    arrays = [np.asarray(c, dtype=object) for c in columns]
    return lambda m: [template.format(*vals) for vals in zip(*(a[m] for a in arrays))]


def _esc(text: str) -> str:
    """Escape braces so ``text`` is literal inside a :meth:`str.format` template."""
    return str(text).replace("{", "{{").replace("}", "}}")


# ---- coordinate checks ----------------------------------------------------------------------

def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text to float; returns values, empty mask, unparseable mask."""
    t = s.fillna("").astype(str).str.strip()
    empty = (t == "").to_numpy()
    v = pd.to_numeric(t.where(~empty, None), errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~empty & ~np.isfinite(v)
    v[bad] = np.nan
    return v, empty, bad


def check_bng(e_txt: pd.Series, n_txt: pd.Series, flags: Flags, names=("easting", "northing")
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse and check British National Grid coordinates.

    Returns
    -------
    x, y : ndarray
        Metres (NaN where missing or bad).
    missing : ndarray of bool
        Both values empty.
    """
    x, ex, bx = _numbers(e_txt)
    y, ey, by = _numbers(n_txt)
    ne, nn = names

    def detail(suffix: str):
        return lazy(f"{_esc(ne)} {{!r}}, {_esc(nn)} {{!r}}{_esc(suffix)}", e_txt, n_txt)

    flags.flag(bx | by, "unparseable_coordinates", detail(" are not numbers"))
    flags.flag(ex ^ ey, "unparseable_coordinates", detail(": one of the pair is empty"))
    x0, y0, x1, y1 = BNG_BOUNDS
    good = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    swapped = ~good & (y >= x0) & (y <= x1) & (x > x1) & (x <= y1)
    flags.flag(swapped, "swapped_coordinates", detail(f": {ne} and {nn} appear swapped"))
    looks_deg = (np.abs(x) <= 180) & (np.abs(y) <= 90) & np.isfinite(x)
    flags.flag(~good & np.isfinite(x) & np.isfinite(y) & looks_deg, "invalid_coordinates",
               detail(" look like degrees; map the columns as longitude/latitude"))
    flags.flag(~good & np.isfinite(x) & np.isfinite(y), "invalid_coordinates",
               detail(f" outside the British National Grid (0..{x1:.0f}, 0..{y1:.0f} m)"))
    keep = good & flags.ok
    x = np.where(keep, x, np.nan)
    y = np.where(keep, y, np.nan)
    return x, y, ex & ey


def check_lonlat(lon_txt: pd.Series, lat_txt: pd.Series, flags: Flags
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse and check WGS84 longitude/latitude and transform them to BNG metres.

    Returns
    -------
    x, y : ndarray
        BNG metres (NaN where missing or bad).
    missing : ndarray of bool
        Both values empty.
    """
    lon, elon, blon = _numbers(lon_txt)
    lat, elat, blat = _numbers(lat_txt)

    def detail(suffix: str):
        return lazy("longitude {!r}, latitude {!r}" + _esc(suffix), lon_txt, lat_txt)

    flags.flag(blon | blat, "unparseable_coordinates", detail(" are not numbers"))
    flags.flag(elon ^ elat, "unparseable_coordinates", detail(": one of the pair is empty"))
    lo0, la0, lo1, la1 = UK_LONLAT_BOUNDS
    good = (lon >= lo0) & (lon <= lo1) & (lat >= la0) & (lat <= la1)
    swapped = ~good & (lat >= lo0) & (lat <= lo1) & (lon >= la0) & (lon <= la1)
    flags.flag(swapped, "swapped_coordinates", detail(": latitude and longitude appear swapped"))
    flags.flag(~good & np.isfinite(lon) & np.isfinite(lat), "invalid_coordinates",
               detail(f" outside Great Britain (longitude {lo0}..{lo1}, latitude {la0}..{la1})"))
    keep = good & flags.ok
    x = np.full(len(lon), np.nan)
    y = np.full(len(lon), np.nan)
    if keep.any():
        x[keep], y[keep] = to_bng(lon[keep], lat[keep])
    return x, y, elon & elat


# ---- run-level checks -----------------------------------------------------------------------

def now_limit(now) -> tuple[pd.Timestamp, bool]:
    """The instant after which a date is in the future.

    Returns
    -------
    limit : Timestamp
    inclusive : bool
        True when ``limit`` itself is already the future (date-only ``now``: next midnight).
    """
    if now is None:
        return pd.Timestamp.now().tz_localize(None), False
    if isinstance(now, datetime):
        ts = pd.Timestamp(now)
        return (ts.tz_convert("Europe/London").tz_localize(None) if ts.tz else ts), False
    if isinstance(now, date):
        return pd.Timestamp(now) + pd.Timedelta(days=1), True
    if isinstance(now, str):
        try:
            ts = pd.Timestamp(now.strip())
        except (ValueError, TypeError):
            raise ArgumentError("now", now, "a date such as 2021-06-30 (or an ISO date-time)") from None
        if len(now.strip()) <= 10:
            return ts + pd.Timedelta(days=1), True
        return (ts.tz_convert("Europe/London").tz_localize(None) if ts.tz else ts), False
    raise ArgumentError("now", now, "a date string YYYY-MM-DD, a date or a datetime")


def check_future(staged: pd.DataFrame, flags: Flags, now) -> None:
    """Quarantine rows dated after ``now`` (month-only rows: a month starting after it)."""
    limit, inclusive = now_limit(now)
    t = staged["occurred_at"]
    months = staged["month"].where((staged["month"] != "") & ~out_of_range_text(staged["month"]))
    when = t.where(t.notna(), pd.to_datetime(months, format="%Y-%m", errors="coerce").astype("datetime64[ns]"))
    fut = (when >= limit) if inclusive else (when > limit)
    fut = fut.fillna(False).to_numpy(dtype=bool)
    if fut.any():
        shown = t.dt.strftime("%Y-%m-%d %H:%M").where(t.notna(), staged["month"])
        flags.flag(fut, "future_date", lazy("{} is after " + str(now if now is not None else "now"), shown))


def seen_before(values: Sequence[Any] | np.ndarray, seen: set) -> np.ndarray:
    """True where a value is already in ``seen``: set lookups, O(len(values)) (``Series.isin(seen)``
    would copy every id seen so far on each call, quadratic over many files)."""
    return np.fromiter((v in seen for v in values), dtype=bool, count=len(values))


def check_duplicates(ids: pd.Series, flags: Flags, seen: set) -> None:
    """Quarantine ids already accepted in this run (updates ``seen`` with this batch's new ids)."""
    ok = flags.ok
    cand = ids[ok]
    dup_prev = seen_before(cand.tolist(), seen)
    dup_here = cand.duplicated(keep="first").to_numpy()
    dup = np.zeros(len(ids), dtype=bool)
    dup[np.flatnonzero(ok)] = dup_prev | dup_here
    flags.flag(dup, "duplicate_id", lazy("offence id {!r} already seen earlier in this run", ids))
    seen.update(ids[flags.ok].tolist())


def quarantine_frame(raw: pd.DataFrame, staged: pd.DataFrame, flags: Flags) -> pd.DataFrame:
    """Quarantined rows: source, 1-based line, reason, detail, id and the original values as JSON."""
    bad = ~flags.ok
    if not bad.any():
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_line" else object)
                             for c in QUARANTINE_COLUMNS})
    records = raw.loc[bad].to_dict("records")
    return pd.DataFrame({
        "source_file": staged["source_file"].to_numpy()[bad],
        "source_line": staged["source_line"].to_numpy(dtype=np.int64)[bad],
        "reason": flags.reason[bad],
        "detail": flags.detail[bad],
        "offence_id": staged["offence_id"].fillna("").astype(str).to_numpy()[bad],
        "raw": [json.dumps(r, ensure_ascii=False) for r in records],
    })


def file_report(n: int, flags: Flags, fmt: str) -> dict:
    """Per-file counts (``rows_read == accepted + quarantined``)."""
    reasons = pd.Series(flags.reason[~flags.ok]).value_counts().sort_index()
    return {"rows_read": int(n), "accepted": int(flags.ok.sum()), "quarantined": int((~flags.ok).sum()),
            "by_reason": {str(k): int(v) for k, v in reasons.items()}, "format": fmt}


def totals(files: Mapping[str, dict]) -> dict:
    """Sum per-file counts."""
    out: dict[str, Any] = {"rows_read": 0, "accepted": 0, "quarantined": 0}
    by_reason: dict[str, int] = {}
    for entry in files.values():
        for k in ("rows_read", "accepted", "quarantined"):
            out[k] += int(entry[k])
        for r, n in entry["by_reason"].items():
            by_reason[r] = by_reason.get(r, 0) + int(n)
    out["by_reason"] = dict(sorted(by_reason.items()))
    return out


_YEAR_RE = r"^\s*(\d{4,})-"


def out_of_range_text(s: pd.Series) -> pd.Series:
    """True where text starts with a year outside 1678..2261 (beyond pandas' nanosecond range)."""
    year = pd.to_numeric(s.astype(str).str.extract(_YEAR_RE, expand=False), errors="coerce")
    return ((year < 1678) | (year > 2261)).fillna(False)

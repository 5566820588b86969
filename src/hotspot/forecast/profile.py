"""Day-of-week x hour-of-day profiles, peak windows and the VRU reference profile.

A profile table is a 7 x 24 :class:`pandas.DataFrame`: index ``day`` = ``Mon`` ... ``Sun``,
columns ``hour`` = ``0`` ... ``23`` (local wall-clock hour the offence started). The week is
treated as a circle (Sunday 23:00 is followed by Monday 00:00), so a window such as
``Sat 18:00-02:00`` runs into Sunday morning and ``Sun 22:00-03:00`` into Monday.

police.uk records carry only a month; they cannot be placed in the week. They are left out (and
counted, with a warning) unless ``allocate="reference"`` is asked for, when they are spread over
the 168 cells in proportion to the reference profile and the table is labelled as modelled.

References
----------
.. [1] Avon and Somerset Violence Reduction Unit (2021). *Serious Violence Strategic Needs
   Assessment*: serious violence by day of week and hour (10,370 incidents); peaks 22:00-01:00 on
   Friday nights and 18:00-02:00 into Sunday morning.
.. [2] Ratcliffe, J. H. (2004). The hotspot matrix: a framework for the spatio-temporal targeting
   of crime reduction. *Police Practice and Research*, 5(1), 5-23.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from hotspot.errors import ArgumentError, InputError
from hotspot.io import write_with
from hotspot.paths import data_dir, reference_dir

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HOURS = list(range(24))
WEEK_HOURS = 168
REFERENCE_FILE = "serious_violence_day_hour.csv"


# ---- windows -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A stretch of the week: ``hours`` whole hours from ``day`` (0 = Monday) at ``start`` o'clock.

    Attributes
    ----------
    day : int
        0 (Monday) ... 6 (Sunday), the day the window starts.
    start : int
        Start hour 0..23.
    hours : int
        Length in hours, 1..168; may run past midnight into the next day(s), Sunday wrapping
        to Monday.
    count, share : float
        Offences in the window and their share of the table total (NaN when parsed from text).
    """

    day: int
    start: int
    hours: int
    count: float = float("nan")
    share: float = float("nan")

    @property
    def end(self) -> int:
        """End hour 0..23 (exclusive)."""
        return (self.start + self.hours) % 24

    @property
    def end_day(self) -> int:
        """Day (0..6) on which the window ends."""
        return (self.day + (self.start + self.hours) // 24) % 7

    @property
    def first_cell(self) -> int:
        """Index of the first hour in the week (Monday 00:00 = 0)."""
        return self.day * 24 + self.start

    def cells(self) -> list[tuple[int, int]]:
        """The ``(day, hour)`` cells covered, in order."""
        return [divmod((self.first_cell + k) % WEEK_HOURS, 24) for k in range(self.hours)]

    def contains(self, times) -> np.ndarray:
        """Boolean array: which timestamps (local wall-clock) fall inside the window."""
        t = pd.DatetimeIndex(pd.to_datetime(times))
        idx = (t.day_of_week * 24 + t.hour).to_numpy()
        off = (idx - self.first_cell) % WEEK_HOURS
        return np.asarray(off < self.hours) & ~np.asarray(t.isna())

    def to_dict(self) -> dict:
        """Plain values for JSON: ``day`` (Mon..Sun), ``start``, ``end``, ``hours``, ``label``..."""
        return {"day": DAYS[self.day], "start": self.start, "end": self.end, "hours": self.hours,
                "end_day": DAYS[self.end_day], "label": str(self), "count": self.count,
                "share": self.share}

    def __str__(self) -> str:
        if self.hours < 24:
            return f"{DAYS[self.day]} {self.start:02d}:00-{self.end:02d}:00"
        return f"{DAYS[self.day]} {self.start:02d}:00-{DAYS[self.end_day]} {self.end:02d}:00"


_DAY_LOOKUP = {**{d.lower(): i for i, d in enumerate(DAYS)},
               **{d.lower(): i for i, d in enumerate(DAY_NAMES)},
               "tues": 1, "weds": 2, "thur": 3, "thurs": 3}
_WINDOW = re.compile(r"^\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*[-\u2013]\s*(?:([A-Za-z]+)\s+)?(\d{1,2}):(\d{2})\s*$")


def _day(text: str, got: str) -> int:
    d = _DAY_LOOKUP.get(text.lower())
    if d is None:
        raise ArgumentError("window", got, f"a day name (Mon..Sun or Monday..Sunday), not {text!r}")
    return d


def parse_window(text: str) -> Window:
    """Parse ``"Fri 18:00-23:00"``, ``"Sat 18:00-02:00"`` (runs into Sunday) or
    ``"Fri 22:00-Sun 04:00"`` into a :class:`Window`.

    Times are whole hours (``HH:00``); ``24:00`` is accepted as an end time. A window whose end
    equals its start is refused as ambiguous (write a whole day as ``"Fri 00:00-Sat 00:00"``).

    Raises
    ------
    ArgumentError
        Naming the argument ``window``, what it got and the expected form.
    """
    if not isinstance(text, str):
        raise ArgumentError("window", text, "text such as 'Fri 22:00-01:00'")
    m = _WINDOW.match(text)
    if not m:
        raise ArgumentError("window", text, "a window such as 'Fri 22:00-01:00' or 'Fri 22:00-Sat 03:00' "
                                           "(day, start HH:00, end HH:00)")
    d0 = _day(m.group(1), text)
    h0, m0, h1, m1 = int(m.group(2)), int(m.group(3)), int(m.group(5)), int(m.group(6))
    if m0 or m1:
        raise ArgumentError("window", text, "whole hours (HH:00): profiles are hourly")
    if h0 > 23 or h1 > 24 or (h1 == 24 and m.group(4)):
        raise ArgumentError("window", text, "hours from 00 to 23 (24:00 only as an end time)")
    start = d0 * 24 + h0
    if m.group(4):
        end = _day(m.group(4), text) * 24 + h1
        hours = (end - start) % WEEK_HOURS
    else:
        hours = (h1 - h0) % 24
    if hours == 0:
        raise ArgumentError("window", text, "a window whose end differs from its start "
                                           "(for a whole day write e.g. 'Fri 00:00-Sat 00:00')")
    return Window(day=d0, start=h0, hours=hours)


# ---- tables --------------------------------------------------------------------------------------

def empty_table() -> pd.DataFrame:
    """A 7 x 24 table of zeros with the profile index and columns."""
    return pd.DataFrame(np.zeros((7, 24)), index=pd.Index(DAYS, name="day"),
                        columns=pd.Index(HOURS, name="hour"))


def as_array(table: pd.DataFrame, name: str = "table") -> np.ndarray:
    """The 7 x 24 float values of a profile table (a ``total`` column is ignored)."""
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError(name, type(table).__name__, "a 7 x 24 DataFrame (day x hour)")
    t = table.drop(columns=[c for c in table.columns if str(c).lower() == "total"])
    try:
        t.columns = [int(c) for c in t.columns]
    except (TypeError, ValueError):
        raise ArgumentError(name, list(table.columns)[:5], "hour columns 0..23") from None
    if t.shape != (7, 24) or sorted(t.columns) != HOURS:
        raise ArgumentError(name, f"shape {table.shape}", "7 rows (Mon..Sun) x 24 hour columns (0..23)")
    return t[HOURS].to_numpy(dtype=float)


def _selection(offences: pd.DataFrame, select) -> pd.Series:
    if select is None:
        return pd.Series(True, index=offences.index)
    if isinstance(select, str):
        try:
            mask = offences.eval(select)
        except Exception as exc:
            raise ArgumentError("select", select, f"a valid pandas query over the offence columns ({exc})") \
                from None
    elif callable(select):
        mask = select(offences)
    else:
        mask = select
    arr = np.asarray(mask)
    if arr.ndim != 1 or len(arr) != len(offences) or arr.dtype != bool:
        raise ArgumentError("select", f"{arr.dtype} of shape {arr.shape}",
                            f"a boolean mask of length {len(offences)}, a query string or a callable")
    mask = pd.Series(arr, index=offences.index)
    if len(mask) != len(offences) or mask.dtype != bool:
        raise ArgumentError("select", f"{mask.dtype} of length {len(mask)}",
                            f"a boolean mask of length {len(offences)}, a query string or a callable")
    return mask


def day_hour_table(offences: pd.DataFrame, *, select=None, normalise: bool = False,
                   allocate: str | None = None, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Count offences by day of week x hour of day.

    Parameters
    ----------
    offences : DataFrame
        Offences with ``occurred_at`` (local wall-clock) and ``time_precision``.
    select : bool mask, str or callable, optional
        Rows to count: a boolean array, a :meth:`pandas.DataFrame.eval` query such as
        ``"serious_violence and la_code == 'E06000023'"`` or a function of the frame.
    normalise : bool
        Return percentages of the table total (the cells add to 100) instead of counts.
    allocate : {None, "reference"}
        ``None``: month-only rows (``time_precision == "month"`` or no time) are left out, with a
        warning. ``"reference"``: they are spread over the week in proportion to ``reference``
        (default :func:`reference_profile`) and the table is labelled modelled.
    reference : DataFrame, optional
        A 7 x 24 profile for ``allocate="reference"``.

    Returns
    -------
    DataFrame
        7 x 24 (``Mon``..``Sun`` x ``0``..``23``). ``attrs``: ``n_selected``, ``n_exact``,
        ``n_month`` (month-only rows selected), ``n_month_allocated``, ``modelled`` (bool),
        ``units`` (``"count"`` or ``"percent"``), ``total`` (offences in the table).
    """
    if allocate not in (None, "reference"):
        raise ArgumentError("allocate", allocate, "None or 'reference'")
    for col in ("occurred_at",):
        if col not in offences.columns:
            raise ArgumentError("offences", list(offences.columns)[:10], "a table with 'occurred_at'")
    mask = _selection(offences, select)
    df = offences.loc[mask.to_numpy()]
    when = pd.to_datetime(df["occurred_at"], errors="coerce")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_convert("Europe/London").dt.tz_localize(None)
    month_only = when.isna()
    if "time_precision" in df.columns:
        month_only |= (df["time_precision"].astype(str) == "month").to_numpy()
    exact = when[~month_only]
    idx = (exact.dt.day_of_week * 24 + exact.dt.hour).to_numpy(dtype=np.int64)
    counts = np.bincount(idx, minlength=WEEK_HOURS).astype(float).reshape(7, 24)
    n_month = int(month_only.sum())
    modelled = False
    if n_month and allocate is None:
        warnings.warn(f"{n_month:,} of {len(df):,} selected offences have only a month (police.uk); "
                      f"they are left out of the day x hour table. Use allocate='reference' "
                      f"(--allocate-reference) to spread them by the reference profile (modelled)",
                      stacklevel=2)
    if n_month and allocate == "reference":
        ref = as_array(reference if reference is not None else reference_profile(), "reference")
        if ref.sum() <= 0:
            raise ArgumentError("reference", "an all-zero table", "a profile with some counts")
        counts = counts + n_month * ref / ref.sum()
        modelled = True
    table = empty_table()
    table.loc[:, :] = counts
    total = float(counts.sum())
    if normalise:
        table = table / total * 100.0 if total > 0 else table
    table.attrs.update(n_selected=int(len(df)), n_exact=int(len(exact)), n_month=n_month,
                       n_month_allocated=n_month if modelled else 0, modelled=modelled,
                       units="percent" if normalise else "count", total=total)
    return table


def reference_profile(path: str | Path | None = None) -> pd.DataFrame:
    """The VRU serious-violence day x hour counts (10,370 incidents) as a 7 x 24 table.

    Parameters
    ----------
    path : str or Path, optional
        Default ``data/reference/serious_violence_day_hour.csv`` (then the shared reference folder).
        Layout: ``day`` (Monday..Sunday), ``00``..``23``, ``total``; each row's cells must add up to
        its ``total``.

    References
    ----------
    .. [1] Avon and Somerset VRU (2021), Serious Violence Strategic Needs Assessment.
    """

    if path is None:
        cands = [data_dir() / "reference" / REFERENCE_FILE, reference_dir() / REFERENCE_FILE]
        path = next((p for p in cands if p.exists()), cands[0])
    path = Path(path)
    if not path.exists():
        raise InputError("reference day x hour profile not found; restore data/reference/"
                         f"{REFERENCE_FILE} or pass its path", path=path)
    raw = pd.read_csv(path, dtype=str)
    cols = {c.strip().lower(): c for c in raw.columns}
    hour_cols = {}
    for c in raw.columns:
        s = c.strip()
        if s.isdigit() and 0 <= int(s) <= 23:
            hour_cols[int(s)] = c
    if "day" not in cols or sorted(hour_cols) != HOURS:
        raise InputError("expected columns day, 00..23 (and total)", path=path)
    table = empty_table()
    seen = set()
    for i, row in raw.iterrows():
        d = _DAY_LOOKUP.get(str(row[cols["day"]]).strip().lower())
        if d is None or d in seen:
            raise InputError(f"unknown or repeated day {row[cols['day']]!r}", path=path, row=i + 2,
                             column=cols["day"])
        seen.add(d)
        try:
            vals = [float(row[hour_cols[h]]) for h in HOURS]
        except ValueError:
            raise InputError("a cell is not a number", path=path, row=i + 2) from None
        if "total" in cols and abs(sum(vals) - float(row[cols["total"]])) > 1e-6:
            raise InputError(f"hours add up to {sum(vals):g} but total says {row[cols['total']]}",
                             path=path, row=i + 2, column=cols["total"])
        table.iloc[d] = vals
    if len(seen) != 7:
        raise InputError(f"expected 7 days, found {len(seen)}", path=path)
    table.attrs.update(source=str(path), modelled=False, units="count", total=float(table.to_numpy().sum()))
    return table


def shape_correlation(table: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Pearson correlation of two profiles over the 168 day x hour cells (scale-free shape match)."""
    a, b = as_array(table, "table").ravel(), as_array(reference, "reference").ravel()
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        raise ArgumentError("table" if np.ptp(a) == 0 else "reference", "a constant table",
                            "a profile that varies across the week (correlation is undefined)")
    return float(np.corrcoef(a, b)[0, 1])


def peak_windows(table: pd.DataFrame, share: float | None = 0.5, *, n_hours: int | None = None,
                 max_gap: int = 0) -> list[Window]:
    """The busiest hours of the week, merged into contiguous windows.

    The cells are ranked by count; the top ``n_hours`` cells, or else the fewest top cells that
    hold at least ``share`` of the total, are kept; neighbouring kept hours join into windows on the
    circular week (Saturday 23:00 -> Sunday 00:00, Sunday 23:00 -> Monday 00:00).

    Parameters
    ----------
    table : DataFrame
        7 x 24 profile (counts or percentages).
    share : float, optional
        Fraction of the total, in (0, 1]; ignored when ``n_hours`` is given.
    n_hours : int, optional
        Number of busiest hours to keep, 1..168.
    max_gap : int
        Windows separated by at most this many quieter hours are joined into one (the gap hours
        then belong to the window and its count); 0 (default) joins only touching hours.

    Returns
    -------
    list of Window
        Busiest window first (by ``count``); ``str(w)`` gives e.g. ``"Fri 22:00-01:00"``.
    """
    v = as_array(table).ravel()
    total = v.sum()
    if total <= 0:
        return []
    order = np.argsort(-v, kind="stable")
    if n_hours is not None:
        if not isinstance(n_hours, (int, np.integer)) or not 1 <= n_hours <= WEEK_HOURS:
            raise ArgumentError("n_hours", n_hours, "a whole number of hours from 1 to 168")
        k = int(n_hours)
    else:
        if share is None or not 0 < share <= 1:
            raise ArgumentError("share", share, "a fraction of the total in (0, 1], e.g. 0.5")
        k = int(np.searchsorted(np.cumsum(v[order]), share * total - 1e-9 * total) + 1)
        k = min(k, WEEK_HOURS)
    if not isinstance(max_gap, (int, np.integer)) or not 0 <= max_gap < 24:
        raise ArgumentError("max_gap", max_gap, "a whole number of hours from 0 to 23")
    keep = np.zeros(WEEK_HOURS, dtype=bool)
    keep[order[:k]] = True
    if max_gap and not keep.all():
        keep = _bridge(keep, max_gap)
    return [Window(day=s // 24, start=s % 24, hours=n, count=float(c), share=float(c / total))
            for s, n, c in sorted(_runs(keep, v), key=lambda r: (-r[2], r[0]))]


def _bridge(keep: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill circular runs of False no longer than ``max_gap`` that lie between True cells."""
    out = keep.copy()
    n = len(keep)
    for s, length, _ in _runs(~keep, np.zeros(n)):
        if length <= max_gap:
            out[[(s + j) % n for j in range(length)]] = True
    return out


def _runs(keep: np.ndarray, v: np.ndarray) -> list[tuple[int, int, float]]:
    """Circular runs of True: (start index, length, sum of v)."""
    n = len(keep)
    if keep.all():
        return [(0, n, float(v.sum()))]
    starts = [i for i in range(n) if keep[i] and not keep[i - 1]]
    out = []
    for s in starts:
        length = 0
        while keep[(s + length) % n]:
            length += 1
        cells = [(s + j) % n for j in range(length)]
        out.append((s, length, float(v[cells].sum())))
    return out


def format_windows(windows: Sequence[Window]) -> list[str]:
    """``["Fri 22:00-01:00 (12.3%)", ...]``."""
    return [f"{w} ({w.share * 100:.1f}%)" if w.share == w.share else str(w) for w in windows]


def heatmap_figure(table: pd.DataFrame, path: str | Path, *, title: str | None = None,
                   windows: Sequence[Window] | None = None) -> Path:
    """Draw the profile as a day x hour heat map (PNG/SVG/PDF by suffix), written atomically.

    Modelled tables (``attrs["modelled"]``) say so in the title; ``windows`` are outlined.
    """


    a = as_array(table)
    fig = Figure(figsize=(11, 3.8), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    im = ax.imshow(a, aspect="auto", cmap="magma_r", origin="upper")
    ax.set_yticks(range(7), DAYS)
    ax.set_xticks(range(24), [f"{h:02d}" for h in HOURS])
    ax.set_xlabel("hour of day (local time)")
    units = table.attrs.get("units", "count")
    fig.colorbar(im, ax=ax, label="% of offences" if units == "percent" else "offences")
    t = title or "Offences by day of week and hour"
    if table.attrs.get("modelled"):
        t += f" (MODELLED: {table.attrs.get('n_month_allocated', 0):,} month-only records spread by reference)"
    ax.set_title(t, fontsize=10)
    for w in windows or []:
        for d, h in w.cells():
            ax.add_patch(Rectangle((h - 0.5, d - 0.5), 1, 1, fill=False, edgecolor="#00b4d8", lw=1.2))
    fig.tight_layout()
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    return write_with(path, lambda tmp: fig.savefig(tmp, format=fmt))

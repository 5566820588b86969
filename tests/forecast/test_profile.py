"""Day x hour profiles, peak windows, window parsing and the reference profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError, InputError
from hotspot.forecast.profile import (
    DAYS,
    Window,
    as_array,
    day_hour_table,
    empty_table,
    heatmap_figure,
    parse_window,
    peak_windows,
    reference_profile,
    shape_correlation,
)


def _table(cells: dict[tuple[str, int], float], base: float = 1.0) -> pd.DataFrame:
    t = empty_table() + base
    for (d, h), v in cells.items():
        t.loc[d, h] = v
    return t


def _offences(times, precision=None, sv=None):
    n = len(times)
    return pd.DataFrame({"occurred_at": pd.to_datetime(times),
                         "time_precision": precision or ["exact"] * n,
                         "serious_violence": sv if sv is not None else [True] * n,
                         "la_code": ["X06000001"] * n})


# 2024-01-05 is a Friday
def test_day_hour_table_counts_cells():
    off = _offences(["2024-01-05 22:30", "2024-01-05 22:05", "2024-01-06 01:10", "2024-01-08 00:00"])
    t = day_hour_table(off)
    assert t.shape == (7, 24) and list(t.index) == DAYS and list(t.columns) == list(range(24))
    assert t.loc["Fri", 22] == 2 and t.loc["Sat", 1] == 1 and t.loc["Mon", 0] == 1
    assert t.to_numpy().sum() == 4 and t.attrs["modelled"] is False
    p = day_hour_table(off, normalise=True)
    assert p.to_numpy().sum() == pytest.approx(100) and p.loc["Fri", 22] == pytest.approx(50)


def test_selection_by_mask_query_and_callable():
    off = _offences(["2024-01-05 22:30", "2024-01-06 23:00", "2024-01-07 02:00"], sv=[True, False, True])
    by_query = day_hour_table(off, select="serious_violence")
    by_mask = day_hour_table(off, select=off["serious_violence"].to_numpy())
    by_call = day_hour_table(off, select=lambda d: d["serious_violence"])
    for t in (by_query, by_mask, by_call):
        assert t.to_numpy().sum() == 2 and t.loc["Sat", 23] == 0
    with pytest.raises(ArgumentError, match="select"):
        day_hour_table(off, select=[True])


def test_month_only_rows_excluded_with_warning_or_allocated():
    off = _offences(["2024-01-05 22:30", pd.NaT, pd.NaT], precision=["exact", "month", "month"])
    with pytest.warns(UserWarning, match="2 of 3 selected offences have only a month"):
        t = day_hour_table(off)
    assert t.to_numpy().sum() == 1 and t.attrs["n_month"] == 2
    ref = _table({("Sat", 23): 9.0}, base=0.0)
    ref.loc["Sun", 0] = 1.0
    m = day_hour_table(off, allocate="reference", reference=ref)
    assert m.attrs["modelled"] is True and m.attrs["n_month_allocated"] == 2
    assert m.loc["Sat", 23] == pytest.approx(1.8) and m.loc["Sun", 0] == pytest.approx(0.2)
    assert m.to_numpy().sum() == pytest.approx(3)
    with pytest.raises(ArgumentError, match="allocate"):
        day_hour_table(off, allocate="uniform")


def test_saturday_evening_window_runs_into_sunday():
    cells = {("Sat", h): 50.0 for h in range(18, 24)}
    cells.update({("Sun", 0): 50.0, ("Sun", 1): 50.0})
    wins = peak_windows(_table(cells), n_hours=8)
    assert [str(w) for w in wins] == ["Sat 18:00-02:00"]
    assert wins[0].end_day == 6 and wins[0].hours == 8 and wins[0].count == 400


def test_sunday_night_window_wraps_to_monday():
    cells = {("Sun", 22): 40.0, ("Sun", 23): 40.0, ("Mon", 0): 40.0, ("Mon", 1): 40.0, ("Mon", 2): 40.0,
             ("Fri", 22): 30.0, ("Fri", 23): 30.0, ("Sat", 0): 30.0}
    wins = peak_windows(_table(cells), n_hours=8)
    assert [str(w) for w in wins] == ["Sun 22:00-03:00", "Fri 22:00-01:00"]
    assert wins[0].cells() == [(6, 22), (6, 23), (0, 0), (0, 1), (0, 2)]


def test_share_picks_fewest_cells_reaching_share():
    t = _table({("Fri", 22): 100.0, ("Fri", 23): 100.0}, base=0.0)
    t.loc["Tue", 3] = 50.0
    wins = peak_windows(t, share=0.8)  # 200 of 250 = 0.8
    assert [str(w) for w in wins] == ["Fri 22:00-00:00"]
    assert wins[0].share == pytest.approx(0.8)
    with pytest.raises(ArgumentError, match="share"):
        peak_windows(t, share=1.5)
    with pytest.raises(ArgumentError, match="n_hours"):
        peak_windows(t, n_hours=0)


@pytest.mark.parametrize("text, day, start, hours", [
    ("Fri 18:00-23:00", 4, 18, 5), ("Fri 22:00-01:00", 4, 22, 3), ("Saturday 18:00-02:00", 5, 18, 8),
    ("sun 23:00-24:00", 6, 23, 1), ("Fri 22:00-Sun 04:00", 4, 22, 30), ("Sun 22:00-Mon 03:00", 6, 22, 5),
    ("Fri 00:00-Sat 00:00", 4, 0, 24),
])
def test_parse_window(text, day, start, hours):
    w = parse_window(text)
    assert (w.day, w.start, w.hours) == (day, start, hours)


@pytest.mark.parametrize("text, match", [
    ("Fry 18:00-23:00", "day name"), ("Fri 18:30-23:00", "whole hours"), ("Fri 25:00-02:00", "hours from"),
    ("Fri 18:00-18:00", "end differs"), ("Friday evening", "window such as"), (None, "text"),
])
def test_parse_window_errors(text, match):
    with pytest.raises(ArgumentError, match=match) as e:
        parse_window(text)
    assert e.value.name == "window"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 6), st.integers(0, 23), st.integers(1, 23))
def test_window_text_roundtrip(day, start, hours):
    w = Window(day, start, hours)
    back = parse_window(str(w))
    assert (back.day, back.start, back.hours) == (day, start, hours)
    assert len(w.cells()) == hours


def test_window_contains():
    w = parse_window("Sat 18:00-02:00")
    got = w.contains(pd.to_datetime(["2024-01-06 18:00", "2024-01-07 01:59", "2024-01-07 02:00",
                                     "2024-01-05 19:00"]))
    assert got.tolist() == [True, True, False, False]


def test_reference_profile_and_self_correlation():
    ref = reference_profile()
    assert ref.shape == (7, 24) and ref.to_numpy().sum() == 10370
    assert shape_correlation(ref, ref) == pytest.approx(1.0)
    assert shape_correlation(ref, ref * 3 + 1) == pytest.approx(1.0)
    flat = empty_table() + 1
    with pytest.raises(ArgumentError, match="constant"):
        shape_correlation(flat, ref)
    # the assessment's peaks: Friday late night and Saturday night into Sunday
    top = [str(w) for w in peak_windows(ref, n_hours=6)]
    assert any(s.startswith("Sat") for s in top) and any(s.startswith("Fri") for s in top)


def test_reference_profile_checks_totals(tmp_path):
    ref = reference_profile()
    df = pd.DataFrame(ref.to_numpy(), columns=[f"{h:02d}" for h in range(24)])
    df.insert(0, "day", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
    df["total"] = df.iloc[:, 1:].sum(axis=1)
    df.loc[2, "total"] += 1
    df.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(InputError, match="add up") as e:
        reference_profile(tmp_path / "r.csv")
    assert e.value.row == 4


def test_as_array_validates_shape():
    with pytest.raises(ArgumentError):
        as_array(pd.DataFrame(np.ones((3, 24))))


def test_heatmap_figure_writes_png(tmp_path):
    t = _table({("Sat", 22): 9.0})
    path = heatmap_figure(t, tmp_path / "h.png", windows=peak_windows(t, n_hours=1))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=168, max_size=168), st.integers(1, 168))
def test_peak_windows_cover_exactly_the_top_cells(values, n):
    t = empty_table()
    t.loc[:, :] = np.array(values, dtype=float).reshape(7, 24)
    wins = peak_windows(t, n_hours=n)
    if sum(values) == 0:
        assert wins == []
        return
    cells = [c for w in wins for c in w.cells()]
    assert len(cells) == len(set(cells)) == n
    top = np.sort(np.array(values, dtype=float))[::-1][:n].sum()
    assert sum(w.count for w in wins) == pytest.approx(top)
    assert sum(t.loc[DAYS[d], h] for d, h in cells) == pytest.approx(top)
    assert [w.count for w in wins] == sorted((w.count for w in wins), reverse=True)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 60 * 24 * 400), max_size=80), st.integers(0, 10))
def test_table_total_equals_timed_rows(minutes, n_month):
    times = list(pd.Timestamp("2020-01-01") + pd.to_timedelta(minutes, unit="min")) + [pd.NaT] * n_month
    off = _offences(times, precision=["exact"] * len(minutes) + ["month"] * n_month)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = day_hour_table(off)
    assert t.to_numpy().sum() == len(minutes) and t.attrs["n_month"] == n_month


def test_max_gap_joins_windows_across_a_quiet_hour():
    cells = {("Fri", 21): 50.0, ("Fri", 22): 50.0, ("Sat", 0): 50.0, ("Sat", 1): 50.0, ("Tue", 10): 40.0}
    t = _table(cells)
    assert [str(w) for w in peak_windows(t, n_hours=4)] == ["Fri 21:00-23:00", "Sat 00:00-02:00"]
    joined = peak_windows(t, n_hours=4, max_gap=1)
    assert [str(w) for w in joined] == ["Fri 21:00-02:00"] and joined[0].count == 201
    assert joined[0].to_dict()["end_day"] == "Sat"
    with pytest.raises(ArgumentError, match="max_gap"):
        peak_windows(t, n_hours=4, max_gap=30)

"""Space-time cube: counts per cell per week/month equal the raw counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError, InputError
from hotspot.grid.cube import read_cube, space_time_cube, write_cube
from hotspot.grid.spec import GridSpec

SPEC = GridSpec(358_000, 172_000, 250, 8, 6)


def _offences(n: int, seed: int = 0, days: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2024-03-01 00:00") + pd.to_timedelta(rng.uniform(0, days * 24, n), unit="h")
    return pd.DataFrame({
        "easting": rng.uniform(358_000, 360_000, n),
        "northing": rng.uniform(172_000, 173_500, n),
        "occurred_at": t,
        "month": t.strftime("%Y-%m"),
    })


def _brute(df: pd.DataFrame, spec: GridSpec, step: str) -> dict:
    out: dict = {}
    for x, y, t in zip(df["easting"], df["northing"], pd.to_datetime(df["occurred_at"])):
        col = int((x - spec.x0) // spec.cell)
        row = spec.ny - 1 - int((y - spec.y0) // spec.cell)
        if not (0 <= col < spec.nx and 0 <= row < spec.ny):
            continue
        if step == "week":
            s = (t - pd.Timedelta(days=t.dayofweek)).normalize()
        else:
            s = pd.Timestamp(year=t.year, month=t.month, day=1)
        out[(s, row, col)] = out.get((s, row, col), 0) + 1
    return out


@pytest.mark.parametrize("step", ["week", "month"])
def test_cube_counts_equal_raw_counts(step):
    df = _offences(600)
    cube = space_time_cube(df, SPEC, step=step)
    assert cube.dims == ("time", "y", "x")
    assert float(cube.sum()) == 600 == cube.attrs["counted"]
    brute = _brute(df, SPEC, step)
    times = pd.DatetimeIndex(cube["time"].values)
    for (s, r, c), n in brute.items():
        assert cube.values[times.get_loc(s), r, c] == n
    assert sum(brute.values()) == 600
    # every step present and regular
    if step == "week":
        assert (times.dayofweek == 0).all()
        assert (np.diff(times.values) == np.timedelta64(7, "D")).all()
    else:
        assert (times.day == 1).all()


def test_week_starts_monday_boundaries():
    # Sunday 23:59 belongs to the week starting the previous Monday; Monday 00:00 starts a new one
    df = pd.DataFrame({"easting": [358_100.0, 358_100.0], "northing": [172_100.0, 172_100.0],
                       "occurred_at": pd.to_datetime(["2024-03-10 23:59", "2024-03-11 00:00"])})
    cube = space_time_cube(df, SPEC, step="week")
    assert list(pd.DatetimeIndex(cube["time"].values)) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-11")]
    assert cube.values[:, -1, 0].tolist() == [1.0, 1.0]


def test_start_end_are_inclusive_days_and_fill_empty_steps():
    df = _offences(300, seed=2, days=120)
    cube = space_time_cube(df, SPEC, step="week", start="2024-04-01", end="2024-04-30")
    t = pd.to_datetime(df["occurred_at"])
    inside = ((t >= "2024-04-01") & (t < "2024-05-01")).sum()
    assert float(cube.sum()) == inside
    assert cube.attrs["outside_period"] == 300 - inside
    assert pd.Timestamp(cube["time"].values[0]) == pd.Timestamp("2024-04-01")  # a Monday
    assert pd.Timestamp(cube["time"].values[-1]) == pd.Timestamp("2024-04-29")
    # a period with no offences still has its steps (zeros)
    empty = space_time_cube(df.iloc[:0], SPEC, step="month", start="2023-01-01", end="2023-03-31")
    assert empty.sizes["time"] == 3 and float(empty.sum()) == 0


def test_mask_nan_at_every_step():
    df = _offences(200)
    mask = np.ones(SPEC.shape, dtype=bool)
    mask[0, :] = False
    cube = space_time_cube(df, SPEC, step="month", mask=mask)
    assert np.isnan(cube.values[:, 0, :]).all()
    assert np.isfinite(cube.values[:, 1:, :]).all()
    assert cube.attrs["counted"] + cube.attrs["masked_points"] == 200


def test_month_only_rows():
    df = pd.DataFrame({"easting": [358_100.0, 358_600.0], "northing": [172_100.0, 172_100.0],
                       "occurred_at": [pd.NaT, pd.Timestamp("2024-02-03")], "month": ["2024-01", "2024-02"]})
    cube = space_time_cube(df, SPEC, step="month")
    assert cube.sizes["time"] == 2 and float(cube.sum()) == 2
    with pytest.raises(InputError, match="step='month'"):
        space_time_cube(df, SPEC, step="week")


def test_tuple_input_and_errors():
    x = np.array([358_100.0, 360_500.0])  # second point outside the grid
    y = np.array([172_100.0, 172_100.0])
    t = pd.to_datetime(["2024-01-02", "2024-01-03"])
    cube = space_time_cube((x, y, t), SPEC, step="week")
    assert float(cube.sum()) == 1 and cube.attrs["outside_grid"] == 1
    with pytest.raises(ArgumentError, match="step"):
        space_time_cube((x, y, t), SPEC, step="day")
    with pytest.raises(ArgumentError, match="end"):
        space_time_cube((x, y, t), SPEC, start="2024-02-01", end="2024-01-01")
    with pytest.raises(InputError, match="easting"):
        space_time_cube(pd.DataFrame({"northing": y, "occurred_at": t}), SPEC)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 120), st.sampled_from(["week", "month"]))
def test_cube_total_equals_points_in_grid(seed, n, step):
    df = _offences(n, seed=seed, days=200)
    cube = space_time_cube(df, SPEC, step=step)
    assert float(cube.sum()) == n
    np.testing.assert_array_equal(cube.sum("time").values,
                                  np.histogram2d(df["northing"], df["easting"],
                                                 bins=[np.arange(SPEC.ny + 1) * 250 + SPEC.y0,
                                                       np.arange(SPEC.nx + 1) * 250 + SPEC.x0])[0][::-1])


def test_netcdf_round_trip(tmp_path):
    df = _offences(100)
    mask = np.ones(SPEC.shape, dtype=bool)
    mask[2, 3] = False
    cube = space_time_cube(df, SPEC, step="week", mask=mask)
    path = write_cube(cube, tmp_path / "cube.nc")
    back = read_cube(path)
    np.testing.assert_array_equal(back.values, cube.values)
    np.testing.assert_array_equal(back["time"].values, cube["time"].values)
    assert back.attrs["cell"] == 250
    assert not list(tmp_path.glob(".*tmp*"))

"""Hotspot change between two periods: emerged / persisted / ceased / none."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from hotspot.errors import ArgumentError
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.compare import change, to_cells

SPEC = GridSpec(0, 0, 100, 3, 2)


def _gi(classes, counts):
    return xr.Dataset({"gi_class": (("y", "x"), np.array(classes, dtype=np.int8)),
                       "count": (("y", "x"), np.array(counts, dtype=float))},
                      coords={"y": SPEC.y, "x": SPEC.x}, attrs={"cell": 100.0, "crs": "EPSG:27700"})


def test_change_classes_and_counts():
    before = _gi([[2, 1, 0], [3, -1, 0]], [[10, 4, 0], [12, 1, 2]])
    after = _gi([[0, 2, 1], [3, 0, -2]], [[5, 6, 3], [12, 0, 2]])
    ds = change(before, after)
    assert ds["change"].values.tolist() == [["ceased", "persisted", "emerged"], ["persisted", "none", "none"]]
    np.testing.assert_array_equal(ds["difference"].values, [[-5, 2, 3], [0, -1, 0]])
    np.testing.assert_allclose(ds["pct_change"].values, [[-50, 50, np.nan], [0, -100, 0]])
    assert ds.attrs["n_emerged"] == 1 and ds.attrs["n_persisted"] == 2 and ds.attrs["n_ceased"] == 1
    # stricter threshold: only 95%+ counts as hot
    strict = change(before, after, min_class=2)
    assert strict["change"].values.tolist() == [["ceased", "emerged", "none"], ["persisted", "none", "none"]]
    cells = to_cells(ds)
    assert sorted(cells["change"]) == ["ceased", "emerged", "persisted", "persisted"]
    assert len(to_cells(ds, keep_none=True)) == 6


def test_change_outside_study_area_and_counts_only():
    cb = xr.DataArray(np.array([[9.0, 0, 1], [np.nan, 1, 0]]), dims=("y", "x"),
                      coords={"y": SPEC.y, "x": SPEC.x}, attrs={"cell": 100.0}, name="count")
    ca = cb.copy(data=np.array([[0.0, 8, 1], [np.nan, 1, 0]]))
    ds = change(cb, ca, top_share=0.2)  # top 1 of 5 valid cells
    assert ds["change"].values.tolist() == [["ceased", "emerged", "none"], ["", "none", "none"]]
    assert ds["change_code"].values[1, 0] == -1


def test_change_errors():
    a = _gi([[0, 0, 0], [0, 0, 0]], [[0] * 3] * 2)
    other = a.assign_coords(x=a["x"] + 100)
    with pytest.raises(ArgumentError, match="after"):
        change(a, other)
    with pytest.raises(ArgumentError, match="min_class"):
        change(a, a, min_class=0)
    with pytest.raises(ArgumentError, match="before"):
        change([1, 2], a)

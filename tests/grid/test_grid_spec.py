"""GridSpec: National Grid alignment, orientation, transform, polygons, masks, default cell size."""

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.errors import ArgumentError
from hotspot.grid.spec import GridSpec, nice_cell_size

coords = st.floats(100_000, 600_000, allow_nan=False)
cells = st.sampled_from([25.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0])


@settings(max_examples=60, deadline=None)
@given(x1=coords, y1=coords, dx=st.floats(0, 20_000), dy=st.floats(0, 20_000), cell=cells)
def test_from_bounds_is_aligned_and_covers(x1, y1, dx, dy, cell):
    b = (x1, y1, x1 + dx, y1 + dy)
    g = GridSpec.from_bounds(b, cell)
    assert g.x0 % cell == 0 and g.y0 % cell == 0
    xmin, ymin, xmax, ymax = g.bounds
    assert xmin <= b[0] and ymin <= b[1] and xmax >= b[2] and ymax >= b[3]
    # smallest: dropping a column or row would no longer cover
    assert xmin + cell > b[0] and ymin + cell > b[1]
    assert g.nx == 1 or xmax - cell < b[2]
    assert g.ny == 1 or ymax - cell < b[3]


def test_two_grids_from_different_data_share_cell_edges():
    a = GridSpec.from_bounds((351_234.5, 172_001.0, 355_000.0, 175_000.0), 100)
    b = GridSpec.from_bounds((349_999.9, 170_050.0, 352_000.0, 173_333.0), 100)
    shift_x = (a.x - b.x[0]) / 100
    shift_y = (a.y - b.y[0]) / 100
    assert np.allclose(shift_x, np.round(shift_x)) and np.allclose(shift_y, np.round(shift_y))


def test_orientation_and_transform():
    g = GridSpec(x0=350_000, y0=170_000, cell=100, nx=4, ny=3)
    assert g.shape == (3, 4)
    assert np.all(np.diff(g.x) > 0) and np.all(np.diff(g.y) < 0)
    assert g.y[0] == 170_250 and g.y[-1] == 170_050 and g.x[0] == 350_050
    t = g.transform
    # centre of row 0 / col 0 through the affine equals the coordinate labels
    cx, cy = t @ (0.5, 0.5)
    assert (cx, cy) == (g.x[0], g.y[0])
    assert t @ (g.nx, g.ny) == (g.x1, g.y0)


def test_unaligned_corner_rejected():
    with pytest.raises(ArgumentError, match="x0"):
        GridSpec(x0=350_010, y0=170_000, cell=100, nx=2, ny=2)
    with pytest.raises(ArgumentError, match="nx"):
        GridSpec(x0=350_000, y0=170_000, cell=100, nx=0, ny=2)
    with pytest.raises(ArgumentError, match="cell"):
        GridSpec(x0=350_000, y0=170_000, cell=-5, nx=2, ny=2)


def test_to_geodataframe_polygons_match_centres():
    g = GridSpec(x0=350_000, y0=170_000, cell=50, nx=3, ny=2)
    vals = np.arange(6.0).reshape(2, 3)
    gdf = g.to_geodataframe({"v": vals})
    assert len(gdf) == 6 and str(gdf.crs) == "EPSG:27700"
    assert np.allclose(gdf.geometry.area, 2500)
    c = gdf.geometry.centroid
    assert np.allclose(c.x, gdf["x"]) and np.allclose(c.y, gdf["y"])
    # row-major from the north-west corner
    assert gdf["y"].iloc[0] == g.y[0] and gdf["x"].iloc[0] == g.x[0]
    assert np.array_equal(gdf["v"].to_numpy(), vals.ravel())


def test_mask_is_cell_centre_in_polygon():
    g = GridSpec(x0=0, y0=0, cell=10, nx=10, ny=10)
    poly = shapely.box(0, 0, 50, 100)  # west half
    m = g.mask(poly)
    assert m.shape == g.shape and m.dtype == bool
    assert m[:, :5].all() and not m[:, 5:].any()


def test_dataarray_coords_and_attrs():
    g = GridSpec(x0=350_000, y0=170_000, cell=100, nx=4, ny=3)
    da = g.dataarray(np.zeros(g.shape), name="z")
    assert da.dims == ("y", "x") and da.attrs["crs"] == "EPSG:27700" and da.attrs["cell"] == 100
    assert np.array_equal(da["y"].values, g.y)
    assert GridSpec.from_dataarray(da) == g
    with pytest.raises(ArgumentError):
        g.dataarray(np.zeros((4, 3)))


@pytest.mark.parametrize("extent, expected", [(40_000, 800.0), (30_000, 600.0), (5_123, 100.0),
                                              (4_999, 50.0), (0, 100.0)])
def test_default_cell_size_rule(extent, expected):
    cell, rule = nice_cell_size(extent)
    assert cell == expected
    assert "sfhotspot" in rule or "default" in rule


def test_from_points_default_cell_reported():
    rng = np.random.default_rng(1)
    x = rng.uniform(350_000, 380_000, 500)
    y = rng.uniform(160_000, 180_000, 500)
    g = GridSpec.from_points(x, y)
    short = min(np.ptp(x), np.ptp(y))
    assert g.cell == np.floor(short / 50 / 100) * 100
    assert "sfhotspot" in g.cell_rule
    assert g.x0 <= x.min() and g.x1 >= x.max() and g.y0 <= y.min() and g.y1 >= y.max()

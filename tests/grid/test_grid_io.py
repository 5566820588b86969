"""GeoTIFF and NetCDF round trips: values, NaN, transform, CRS, attrs; atomic writes."""

import numpy as np
import pytest

from hotspot.errors import InputError
from hotspot.grid.io import read_geotiff, read_netcdf, write_geotiff, write_netcdf
from hotspot.grid.spec import GridSpec


def _grid(seed=0):
    g = GridSpec(x0=350_000, y0=170_000, cell=100, nx=7, ny=5)
    rng = np.random.default_rng(seed)
    v = rng.gamma(2.0, 3.0, g.shape)
    v[0, 0] = np.nan
    v[4, 6] = np.nan
    return g, g.dataarray(v, name="kde", attrs={"bandwidth": 250.0, "kernel": "quartic", "edge_loss": 0.0123})


@pytest.mark.parametrize("dtype, rtol", [("float64", 0), ("float32", 1e-6)])
def test_geotiff_round_trip(tmp_path, dtype, rtol):
    import rasterio

    g, da = _grid()
    p = write_geotiff(da, tmp_path / "k.tif", dtype=dtype)
    with rasterio.open(p) as src:
        assert src.crs.to_epsg() == 27700
        assert src.transform == g.transform
        assert np.isnan(src.nodata)
    back = read_geotiff(p)
    np.testing.assert_allclose(back.values, da.values, rtol=rtol, equal_nan=True)
    assert np.isnan(back.values[0, 0]) and np.isnan(back.values[4, 6])
    np.testing.assert_array_equal(back["x"].values, da["x"].values)
    np.testing.assert_array_equal(back["y"].values, da["y"].values)
    assert back.attrs["bandwidth"] == 250.0 and back.attrs["kernel"] == "quartic"
    assert back.attrs["crs"] == "EPSG:27700" and back.attrs["cell"] == 100
    assert back.name == "kde"
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temp left behind


def test_netcdf_round_trip_with_cf_grid_mapping(tmp_path):
    from pyproj import CRS

    g, da = _grid(1)
    p = write_netcdf(da, tmp_path / "k.nc")
    ds = read_netcdf(p)
    np.testing.assert_array_equal(ds["kde"].values, da.values)
    np.testing.assert_array_equal(ds["y"].values, g.y)
    assert ds["kde"].attrs.get("grid_mapping", ds["kde"].encoding.get("grid_mapping")) == "crs"
    assert CRS.from_cf(ds["crs"].attrs).to_epsg() == 27700
    assert ds["x"].attrs["standard_name"] == "projection_x_coordinate"
    assert ds["kde"].attrs["edge_loss"] == pytest.approx(0.0123)


def test_netcdf_readable_by_gdal_with_transform(tmp_path):
    import rasterio

    g, da = _grid(2)
    p = write_netcdf(da, tmp_path / "k.nc")
    with rasterio.open(f"netcdf:{p}:kde") as src:
        assert src.crs is not None and src.crs.to_epsg() == 27700
        assert src.transform.almost_equals(g.transform)
        np.testing.assert_allclose(src.read(1), da.values, equal_nan=True)


def test_read_geotiff_errors(tmp_path):
    bad = tmp_path / "x.tif"
    bad.write_text("not a tiff")
    with pytest.raises(InputError, match="x.tif"):
        read_geotiff(bad)


def test_failed_write_leaves_no_file(tmp_path):
    g, da = _grid()
    with pytest.raises(Exception):  # noqa: B017 - rasterio or our own error: either must leave no file
        write_geotiff(da, tmp_path / "k.tif", dtype="int8")
    assert list(tmp_path.iterdir()) == []

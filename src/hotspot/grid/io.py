"""Read and write grids: GeoTIFF (rasterio) and NetCDF (xarray, CF conventions).

Both writers are atomic (:mod:`hotspot.io`): the file appears complete or not at all. Grids are
``(y, x)`` DataArrays made by :meth:`hotspot.grid.spec.GridSpec.dataarray` (y descending, cell
centres, ``crs``/``cell`` attrs). NaN marks cells outside the study area and is the GeoTIFF
nodata value. Scalar attributes travel as GeoTIFF tags so :func:`read_geotiff` round-trips them.

References
----------
.. [1] GDAL GeoTIFF driver. https://gdal.org/drivers/raster/gtiff.html
.. [2] CF Conventions 1.8, section 5.6 "Horizontal Coordinate Reference Systems, Grid Mappings,
   and Projections". https://cfconventions.org/Data/cf-conventions/cf-conventions-1.8/cf-conventions.html
.. [3] pyproj ``CRS.to_cf``. https://pyproj4.github.io/pyproj/stable/build_crs_cf.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import xarray as xr
from pyproj import CRS
from rasterio.errors import RasterioIOError

from hotspot.errors import ArgumentError, InputError
from hotspot.grid.spec import GridSpec
from hotspot.io import write_with
from hotspot.schema import BNG

_DTYPES = ("float32", "float64")


def _check_grid(da: Any, name: str = "da") -> GridSpec:

    if not isinstance(da, xr.DataArray):
        raise ArgumentError(name, type(da).__name__, "an xarray.DataArray with dims ('y', 'x')")
    if tuple(da.dims) != ("y", "x"):
        raise ArgumentError(name, f"dims {tuple(da.dims)}", "dims ('y', 'x') (use .transpose('y', 'x'))")
    spec = GridSpec.from_dataarray(da)
    if not (np.allclose(da["x"].values, spec.x, rtol=0, atol=1e-6 * spec.cell)
            and np.allclose(da["y"].values, spec.y, rtol=0, atol=1e-6 * spec.cell)):
        raise ArgumentError(name, "irregular x/y coordinates",
                            "a regular north-up grid (x ascending, y descending, equal spacing)")
    return spec


def _tag_value(v: Any) -> str | None:
    if isinstance(v, (str, int, float, np.integer, np.floating, bool, np.bool_)):
        return json.dumps(v.item() if hasattr(v, "item") else v)
    return None


def write_geotiff(da: Any, path: str | Path, *, dtype: str = "float32", compress: str = "deflate") -> Path:
    """Write a ``(y, x)`` grid as a single-band GeoTIFF (CRS, transform, nodata NaN).

    Parameters
    ----------
    da : xarray.DataArray
        Grid made by :meth:`GridSpec.dataarray` (or read by :func:`read_geotiff`).
    path : str or Path
        Output file; written atomically.
    dtype : {"float32", "float64"}
        Storage type. float32 halves the size; values keep ~7 significant digits.
    compress : str
        GDAL compression (``"deflate"``, ``"lzw"`` or ``"none"``).

    Returns
    -------
    Path

    References
    ----------
    .. [1] rasterio, "Writing datasets". https://rasterio.readthedocs.io/en/stable/topics/writing.html
    """

    spec = _check_grid(da)
    if dtype not in _DTYPES:
        raise ArgumentError("dtype", dtype, "'float32' or 'float64'")
    values = np.asarray(da.values, dtype=dtype)
    tags = {k: t for k, v in da.attrs.items() if (t := _tag_value(v)) is not None}
    if da.name is not None:
        tags["name"] = json.dumps(str(da.name))
    profile = dict(driver="GTiff", width=spec.nx, height=spec.ny, count=1, dtype=dtype, crs=spec.crs,
                   transform=spec.transform, nodata=np.nan)
    if compress and compress != "none":
        profile.update(compress=compress, predictor=3 if compress in ("deflate", "lzw") else 1)
    if spec.nx >= 256 and spec.ny >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)

    def _w(tmp: Path) -> None:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(values, 1)
            dst.update_tags(**tags)
            if da.name is not None:
                dst.set_band_description(1, str(da.name))

    return write_with(path, _w)


def read_geotiff(path: str | Path, band: int = 1):
    """Read one band of a north-up GeoTIFF as a ``(y, x)`` DataArray (inverse of write_geotiff).

    Nodata cells become NaN; tags written by :func:`write_geotiff` come back as attrs.

    Returns
    -------
    xarray.DataArray
        float (as stored), dims ``("y", "x")``, coords at cell centres, attrs ``crs``, ``cell``.
    """

    path = Path(path)
    try:
        src_ctx = rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(f"cannot read as a GeoTIFF ({exc})", path=path) from None
    with src_ctx as src:
        t = src.transform
        if t.b != 0 or t.d != 0 or t.e >= 0 or abs(t.a + t.e) > 1e-9 * abs(t.a):
            raise InputError("not a north-up square-cell raster (rotated, south-up or non-square)", path=path)
        if src.crs is None:
            raise InputError("the raster has no CRS; it must be EPSG:27700", path=path)
        epsg = src.crs.to_epsg()
        if epsg != 27700:
            raise InputError(f"the raster is in {src.crs}; it must be EPSG:27700", path=path)
        if not 1 <= band <= src.count:
            raise ArgumentError("band", band, f"a band number from 1 to {src.count}")
        values = src.read(band)
        if not np.issubdtype(values.dtype, np.floating):
            values = values.astype(np.float64)
        nodata = src.nodata
        if nodata is not None and not np.isnan(nodata):
            values[values == nodata] = np.nan
        tags = src.tags()
        cell = float(t.a)
        spec = GridSpec(x0=t.c, y0=t.f + t.e * src.height, cell=cell, nx=src.width, ny=src.height)
    attrs: dict[str, Any] = {}
    name = None
    for k, v in tags.items():
        try:
            val = json.loads(v)
        except (ValueError, TypeError):
            val = v
        if k == "name":
            name = val
        elif k != "AREA_OR_POINT":
            attrs[k] = val
    attrs["crs"] = BNG
    attrs["cell"] = cell
    return spec.dataarray(values, name=name, attrs=attrs)


def _cf_grid_mapping() -> dict[str, Any]:

    cf = CRS.from_user_input(BNG).to_cf()
    cf["spatial_ref"] = cf.get("crs_wkt", "")
    return cf


def _clean_attrs(attrs: dict) -> dict:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            out[k] = int(v)
        elif isinstance(v, (str, int, float, np.integer, np.floating)):
            out[k] = v
        elif isinstance(v, (list, tuple, np.ndarray)) and np.asarray(v).dtype.kind in "iuf":
            out[k] = np.asarray(v)
        elif v is None:
            continue
        else:
            out[k] = json.dumps(v, default=str)
    return out


def write_netcdf(obj: Any, path: str | Path) -> Path:
    """Write a grid DataArray or Dataset to NetCDF-4 with a CF ``grid_mapping`` (EPSG:27700).

    Every data variable with ``y``/``x`` dims gets ``grid_mapping = "crs"``; a scalar ``crs``
    variable carries the CF Transverse Mercator parameters and the WKT (``crs_wkt`` and
    ``spatial_ref``, read by GDAL and QGIS). ``x``/``y`` get ``projection_x/y_coordinate``
    standard names and units of metres. Attributes that NetCDF cannot store (None, dicts) are
    dropped or stored as JSON text.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        A DataArray without a name is written as variable ``"value"``.
    path : str or Path
        Output file; written atomically.

    Returns
    -------
    Path

    References
    ----------
    .. [1] CF Conventions 1.8, section 5.6.
       https://cfconventions.org/Data/cf-conventions/cf-conventions-1.8/cf-conventions.html
    """

    if isinstance(obj, xr.DataArray):
        ds = obj.to_dataset(name=obj.name if obj.name is not None else "value")
    elif isinstance(obj, xr.Dataset):
        ds = obj.copy()
    else:
        raise ArgumentError("obj", type(obj).__name__, "an xarray.DataArray or xarray.Dataset")
    if "x" not in ds.coords or "y" not in ds.coords:
        raise ArgumentError("obj", f"coords {list(ds.coords)}", "x and y coordinates (cell centres, metres)")
    ds.attrs = _clean_attrs(dict(ds.attrs))
    ds.attrs.setdefault("Conventions", "CF-1.8")
    for name in ds.data_vars:
        var = ds[name]
        attrs = _clean_attrs(dict(var.attrs))
        if "x" in var.dims and "y" in var.dims:
            attrs["grid_mapping"] = "crs"
        ds[name].attrs = attrs
    ds["x"].attrs.update(standard_name="projection_x_coordinate", long_name="easting", units="m")
    ds["y"].attrs.update(standard_name="projection_y_coordinate", long_name="northing", units="m")
    ds["crs"] = xr.DataArray(np.int32(0), attrs=_cf_grid_mapping())
    encoding = {n: {"zlib": True, "complevel": 4} for n in ds.data_vars
                if n != "crs" and ds[n].dtype.kind in "iuf"}
    return write_with(path, lambda tmp: ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding))


def read_netcdf(path: str | Path):
    """Read a NetCDF written by :func:`write_netcdf` (loaded into memory; the file is closed)."""

    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read as NetCDF ({exc})", path=path) from None

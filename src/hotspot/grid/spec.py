"""Regular square grids aligned to the British National Grid.

A :class:`GridSpec` is the single description of a raster grid that every stage shares: the
lower-left corner ``(x0, y0)`` (whole multiples of the cell size, so grids built from different
data sets line up cell for cell), the cell size in metres, the number of columns ``nx`` and rows
``ny``, and the CRS. Cell centres run east along ``x`` (ascending) and south along ``y``
(DESCENDING: north-up, row 0 is the northern row), which is the order a GeoTIFF stores.

Cell membership (used by :func:`hotspot.grid.binning.count_points` and :meth:`GridSpec.index`)
follows :func:`numpy.histogram2d`: every cell is half-open ``[left, right) x [bottom, top)`` and the
grid's outer east and north edges belong to the last column and the northern row, so the grid
covers its whole closed bounding box.

References
----------
.. [1] Ashby, M. P. J. (2023). *sfhotspot: Hot-Spot Analysis with Simple Features*. R package,
   ``set_cell_size``: cell size is 1/50 of the shorter side of the data's bounding box, rounded
   down to a multiple of 100 metres. https://CRAN.R-project.org/package=sfhotspot
.. [2] Ordnance Survey (2020). *A Guide to Coordinate Systems in Great Britain*, section on the
   National Grid (EPSG:27700). https://www.ordnancesurvey.co.uk/documents/resources/guide-coordinate-systems-great-britain.pdf
.. [3] GDAL raster data model: north-up geotransform. https://gdal.org/user/raster_data_model.html
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from affine import Affine
from pyproj import CRS

from hotspot.errors import ArgumentError
from hotspot.kernels.binning import cell_index
from hotspot.schema import BNG

#: Cells on the shorter side of the data's bounding box under the default rule (sfhotspot).
DEFAULT_CELLS_ON_SHORT_SIDE = 50
#: Cell size used when the data have no extent (one point, or all points identical).
FALLBACK_CELL = 100.0
#: Mantissas of "nice" cell sizes below 100 m (1, 2, 2.5, 5 x 10^k).
_NICE = (1.0, 2.0, 2.5, 5.0)
#: Relative tolerance when checking that a corner is a whole multiple of the cell size.
_ALIGN_RTOL = 1e-9


def _is_multiple(value: float, cell: float) -> bool:
    k = value / cell
    return abs(k - round(k)) <= _ALIGN_RTOL * max(1.0, abs(k))


def nice_cell_size(extent: float, cells: int = DEFAULT_CELLS_ON_SHORT_SIDE) -> tuple[float, str]:
    """Default cell size for a study area whose shorter side is ``extent`` metres.

    The sfhotspot rule [1]_: ``extent / cells`` rounded DOWN to a multiple of 100 m. When that
    would be zero (short side under 5 km) sfhotspot uses ``extent / cells`` unrounded; here it
    is rounded down to a "nice" number (1, 2, 2.5 or 5 x 10^k metres) instead, because a grid
    corner must be a whole multiple of the cell size to align with the National Grid (a
    deliberate deviation). With no extent the fallback is 100 m.

    Parameters
    ----------
    extent : float
        Length in metres of the shorter side of the data's bounding box.
    cells : int
        Target number of cells on that side (sfhotspot uses 50).

    Returns
    -------
    cell : float
        Cell size in metres.
    rule : str
        Human-readable description of how it was chosen (for ``GridSpec.cell_rule``).

    References
    ----------
    .. [1] Ashby, M. P. J. (2023). sfhotspot, ``set_cell_size``.
       https://CRAN.R-project.org/package=sfhotspot
    """
    if not np.isfinite(extent) or extent < 0:
        raise ArgumentError("extent", extent, "a finite length in metres >= 0")
    if extent == 0:
        return FALLBACK_CELL, f"default {FALLBACK_CELL:g} m (the data have no extent)"
    raw = extent / cells
    if raw >= 100.0:
        cell = math.floor(raw / 100.0) * 100.0
        how = "rounded down to a multiple of 100 m"
    else:
        exp = math.floor(math.log10(raw))
        cands = [m * 10.0 ** e for e in (exp - 1, exp) for m in _NICE]
        cell = max(c for c in cands if c <= raw * (1 + 1e-12))
        cell = float(f"{cell:.6g}")
        how = "rounded down to a nice number (1, 2, 2.5, 5 x 10^k m)"
    rule = (f"sfhotspot rule: shorter side of bounding box {extent:,.0f} m / {cells} = "
            f"{raw:,.1f} m, {how} -> {cell:g} m")
    return cell, rule


def _check_cell(cell: Any, name: str = "cell") -> float:
    try:
        c = float(cell)
    except (TypeError, ValueError):
        raise ArgumentError(name, cell, "a cell size in metres > 0") from None
    if not np.isfinite(c) or c <= 0:
        raise ArgumentError(name, cell, "a finite cell size in metres > 0")
    return c


def _bounds_of(obj: Any) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a 4-sequence, GeoDataFrame/GeoSeries or shapely geometry."""
    if hasattr(obj, "total_bounds"):  # GeoDataFrame / GeoSeries
        crs = getattr(obj, "crs", None)
        if crs is not None and not _is_bng(crs):
            raise ArgumentError("bounds", f"layer in {crs}", f"a layer in {BNG} (reproject with .to_crs)")
        if len(obj) == 0:
            raise ArgumentError("bounds", "an empty layer", "a layer with at least one geometry")
        b = obj.total_bounds
    elif hasattr(obj, "bounds") and hasattr(obj, "geom_type"):  # shapely geometry
        b = obj.bounds
    else:
        try:
            b = [float(v) for v in obj]
        except (TypeError, ValueError):
            raise ArgumentError("bounds", obj, "(xmin, ymin, xmax, ymax) in metres, a GeoDataFrame "
                                "or a shapely geometry") from None
    if len(b) != 4 or not all(np.isfinite(b)):
        raise ArgumentError("bounds", tuple(b), "four finite numbers (xmin, ymin, xmax, ymax)")
    xmin, ymin, xmax, ymax = (float(v) for v in b)
    if xmax < xmin or ymax < ymin:
        raise ArgumentError("bounds", (xmin, ymin, xmax, ymax), "xmin <= xmax and ymin <= ymax")
    return xmin, ymin, xmax, ymax


def _is_bng(crs: Any) -> bool:
    try:

        return CRS.from_user_input(crs).equals(CRS.from_user_input(BNG))
    except Exception:  # pragma: no cover - unparseable CRS
        return False


@dataclass(frozen=True)
class GridSpec:
    """A north-up square grid whose corner is a whole multiple of its cell size.

    Parameters
    ----------
    x0, y0 : float
        Lower-left (south-west) corner in metres; whole multiples of ``cell``.
    cell : float
        Cell side in metres.
    nx, ny : int
        Number of columns (west to east) and rows (north to south).
    crs : str
        Coordinate reference system (always ``EPSG:27700`` inside the engine).
    cell_rule : str
        How the cell size was chosen (``"given"`` or the default rule with its numbers).

    Attributes
    ----------
    x : ndarray
        Cell-centre eastings, ascending, length ``nx``.
    y : ndarray
        Cell-centre northings, DESCENDING (row 0 is the northern row), length ``ny``.
    shape : tuple of int
        ``(ny, nx)``.
    bounds : tuple of float
        ``(xmin, ymin, xmax, ymax)`` of the whole grid.
    transform : affine.Affine
        North-up geotransform (GDAL/rasterio) of the grid.

    Examples
    --------
    >>> g = GridSpec.from_bounds((358_020, 172_010, 359_990, 172_950), cell=100)
    >>> g.x0, g.y0, g.nx, g.ny
    (358000.0, 172000.0, 20, 10)
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    crs: str = BNG
    cell_rule: str = field(default="given", compare=False)

    def __post_init__(self) -> None:
        c = _check_cell(self.cell)
        object.__setattr__(self, "cell", c)
        for name in ("x0", "y0"):
            v = getattr(self, name)
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise ArgumentError(name, v, "a corner coordinate in metres") from None
            if not np.isfinite(v) or not _is_multiple(v, c):
                raise ArgumentError(name, v, f"a finite whole multiple of the cell size {c:g} m "
                                    "(use GridSpec.from_bounds to align a corner)")
            object.__setattr__(self, name, float(round(v / c) * c))
        for name in ("nx", "ny"):
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ArgumentError(name, v, "an integer number of cells >= 1")
            object.__setattr__(self, name, int(v))
        if not isinstance(self.crs, str) or not _is_bng(self.crs):
            raise ArgumentError("crs", self.crs, f"{BNG!r} (the engine works in British National Grid)")

    # ---- constructors ---------------------------------------------------------------------

    @classmethod
    def from_bounds(cls, bounds: Any, cell: float | None = None, *, buffer: float = 0.0,
                    crs: str = BNG) -> GridSpec:
        """The smallest aligned grid covering ``bounds`` (optionally grown by ``buffer``).

        Parameters
        ----------
        bounds : sequence of 4 floats, GeoDataFrame, GeoSeries or shapely geometry
            ``(xmin, ymin, xmax, ymax)`` in metres, or a boundary layer (its total bounds; its CRS
            must be EPSG:27700).
        cell : float, optional
            Cell size in metres; default from the extent by :func:`nice_cell_size`.
        buffer : float
            Metres added on every side before aligning (e.g. a KDE bandwidth).
        crs : str
            Must be EPSG:27700.

        Returns
        -------
        GridSpec
            ``x0 = floor(xmin / cell) * cell``; the east/north edges are the first multiples of
            ``cell`` at or beyond ``xmax``/``ymax`` (at least one cell each way).
        """
        xmin, ymin, xmax, ymax = _bounds_of(bounds)
        try:
            buf = float(buffer)
        except (TypeError, ValueError):
            raise ArgumentError("buffer", buffer, "a distance in metres >= 0") from None
        if not np.isfinite(buf) or buf < 0:
            raise ArgumentError("buffer", buffer, "a finite distance in metres >= 0")
        if cell is None:
            c, rule = nice_cell_size(min(xmax - xmin, ymax - ymin))
        else:
            c, rule = _check_cell(cell), "given"
        xmin, ymin, xmax, ymax = xmin - buf, ymin - buf, xmax + buf, ymax + buf
        i0, j0 = math.floor(xmin / c), math.floor(ymin / c)
        i1, j1 = math.ceil(xmax / c), math.ceil(ymax / c)
        # floating guard: the edges actually computed must cover the bounds
        while i0 * c > xmin:
            i0 -= 1
        while j0 * c > ymin:
            j0 -= 1
        while i1 * c < xmax:
            i1 += 1
        while j1 * c < ymax:
            j1 += 1
        return cls(x0=i0 * c, y0=j0 * c, cell=c, nx=max(1, i1 - i0), ny=max(1, j1 - j0), crs=crs,
                   cell_rule=rule)

    @classmethod
    def from_points(cls, x: Any, y: Any, cell: float | None = None, *, buffer: float = 0.0,
                    crs: str = BNG) -> GridSpec:
        """The smallest aligned grid covering every finite point.

        Parameters
        ----------
        x, y : array_like
            Eastings and northings in metres (EPSG:27700); non-finite pairs are ignored.
        cell : float, optional
            Cell size in metres; default 1/50 of the shorter side of the points' bounding box,
            rounded as in sfhotspot (see :func:`nice_cell_size`), reported in ``.cell_rule``.
        buffer : float
            Metres added on every side (e.g. the KDE bandwidth so edge cells see whole kernels).

        Returns
        -------
        GridSpec
        """
        xa = np.asarray(x, dtype=float).ravel()
        ya = np.asarray(y, dtype=float).ravel()
        if xa.shape != ya.shape:
            raise ArgumentError("y", f"{ya.size} values", f"as many values as x ({xa.size})")
        ok = np.isfinite(xa) & np.isfinite(ya)
        if not ok.any():
            raise ArgumentError("x", f"{xa.size} points, none finite", "at least one finite point")
        xa, ya = xa[ok], ya[ok]
        return cls.from_bounds((xa.min(), ya.min(), xa.max(), ya.max()), cell, buffer=buffer, crs=crs)

    @classmethod
    def from_dataarray(cls, da: Any) -> GridSpec:
        """Recover the grid of a DataArray made by :meth:`dataarray` (or read from a GeoTIFF)."""
        try:
            x = np.asarray(da["x"].values, dtype=float)
            y = np.asarray(da["y"].values, dtype=float)
        except (KeyError, AttributeError):
            raise ArgumentError("da", type(da).__name__, "a DataArray with x and y coordinates") from None
        cell = float(da.attrs.get("cell", (x[1] - x[0]) if x.size > 1 else np.nan))
        if not np.isfinite(cell):
            raise ArgumentError("da", "a one-column grid without a 'cell' attribute",
                                "a 'cell' attribute in metres")
        if y.size > 1 and y[1] > y[0]:
            raise ArgumentError("da", "y ascending", "y descending (north-up)")
        if "crs" not in da.attrs:  # a CRS is never assumed
            raise ArgumentError("da", "a grid without a 'crs' attribute",
                                "a DataArray whose attrs name its CRS (EPSG:27700)")
        return cls(x0=x[0] - cell / 2, y0=y[-1] - cell / 2, cell=cell, nx=x.size, ny=y.size,
                   crs=str(da.attrs["crs"]))

    # ---- geometry -------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``: rows then columns."""
        return (self.ny, self.nx)

    @property
    def size(self) -> int:
        """Number of cells."""
        return self.nx * self.ny

    @property
    def x1(self) -> float:
        """Eastern edge (metres)."""
        return self.x0 + self.nx * self.cell

    @property
    def y1(self) -> float:
        """Northern edge (metres)."""
        return self.y0 + self.ny * self.cell

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, ymin, xmax, ymax)`` of the grid."""
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def cell_area(self) -> float:
        """Area of one cell in square metres."""
        return self.cell * self.cell

    @property
    def x(self) -> np.ndarray:
        """Cell-centre eastings, ascending."""
        return self.x0 + (np.arange(self.nx) + 0.5) * self.cell

    @property
    def y(self) -> np.ndarray:
        """Cell-centre northings, descending (row 0 is the northern row)."""
        return self.y1 - (np.arange(self.ny) + 0.5) * self.cell

    @property
    def transform(self):
        """North-up affine geotransform (``affine.Affine``) for rasterio/GDAL."""

        return Affine(self.cell, 0.0, self.x0, 0.0, -self.cell, self.y1)

    def index(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each point; ``-1`` for points outside the grid or not finite.

        Cells are half-open ``[left, right) x [bottom, top)``; the grid's east and north edges
        belong to the last column and row 0 (as :func:`numpy.histogram2d`).
        """

        xa = np.ascontiguousarray(x, dtype=np.float64).ravel()
        ya = np.ascontiguousarray(y, dtype=np.float64).ravel()
        if xa.shape != ya.shape:
            raise ArgumentError("y", f"{ya.size} values", f"as many values as x ({xa.size})")
        return cell_index(xa, ya, self.x0, self.y0, self.cell, self.nx, self.ny)

    def mask(self, geometry: Any) -> np.ndarray:
        """Boolean ``(ny, nx)`` array, True where the cell CENTRE is inside ``geometry``.

        Parameters
        ----------
        geometry : shapely geometry, GeoSeries or GeoDataFrame
            The study area (e.g. the force polygon); several features are unioned. A layer's
            CRS must be EPSG:27700.

        Notes
        -----
        Uses :func:`shapely.contains_xy` on the prepared geometry (vectorised over centres);
        centres exactly on the boundary count as outside.
        """

        geom = _as_geometry(geometry)
        shapely.prepare(geom)
        xx, yy = np.meshgrid(self.x, self.y)
        return shapely.contains_xy(geom, xx, yy)

    def to_geodataframe(self, values: Mapping[str, Any] | None = None, where: Any = None):
        """Cell polygons as a GeoDataFrame (one row per cell, row-major from the north-west).

        Parameters
        ----------
        values : mapping of str -> (ny, nx) array or DataArray, optional
            Extra columns, flattened in the same order.
        where : (ny, nx) bool array, optional
            Only these cells (polygons are built for them alone).

        Returns
        -------
        GeoDataFrame
            Columns ``row, col, x, y`` (cell centre) plus ``values``, geometry squares, CRS BNG.
        """

        if where is None:
            flat = np.arange(self.size)
        else:
            w = np.asarray(getattr(where, "values", where), dtype=bool)
            if w.shape != self.shape:
                raise ArgumentError("where", w.shape, f"a boolean array of shape {self.shape}")
            flat = np.flatnonzero(w.ravel())
        rows, cols = np.divmod(flat, self.nx)
        cx, cy = self.x[cols], self.y[rows]
        h = self.cell / 2
        geoms = shapely.box(cx - h, cy - h, cx + h, cy + h)
        data = {"row": rows, "col": cols, "x": cx, "y": cy}
        for name, arr in (values or {}).items():
            a = np.asarray(getattr(arr, "values", arr))
            if a.shape != self.shape:
                raise ArgumentError(f"values[{name!r}]", a.shape, f"an array of shape {self.shape}")
            data[name] = a.ravel()[flat]
        return gpd.GeoDataFrame(data, geometry=geoms, crs=self.crs)

    def dataarray(self, values: Any, name: str | None = None, attrs: Mapping[str, Any] | None = None):
        """Wrap a ``(ny, nx)`` array as a labelled DataArray on this grid.

        Returns
        -------
        xarray.DataArray
            dims ``("y", "x")``, coords at cell centres, attrs ``crs``, ``cell`` plus ``attrs``.
        """

        a = np.asarray(values)
        if a.shape != self.shape:
            raise ArgumentError("values", a.shape, f"an array of shape {self.shape} (ny, nx)")
        at = {"crs": self.crs, "cell": self.cell}
        at.update(attrs or {})
        return xr.DataArray(a, dims=("y", "x"), coords={"y": self.y, "x": self.x}, name=name, attrs=at)

    def __repr__(self) -> str:
        return (f"GridSpec(x0={self.x0:g}, y0={self.y0:g}, cell={self.cell:g}, nx={self.nx}, "
                f"ny={self.ny}, crs={self.crs!r})")


def _as_geometry(geometry: Any):
    """One shapely geometry from a geometry, GeoSeries or GeoDataFrame (CRS checked)."""

    if hasattr(geometry, "geometry") and hasattr(geometry, "crs") and hasattr(geometry, "union_all"):
        crs = geometry.crs
        if crs is not None and not _is_bng(crs):
            raise ArgumentError("mask", f"layer in {crs}", f"a layer in {BNG} (reproject with .to_crs)")
        if len(geometry) == 0:
            raise ArgumentError("mask", "an empty layer", "a layer with at least one polygon")
        return geometry.union_all()
    if isinstance(geometry, shapely.Geometry):
        return geometry
    if isinstance(geometry, Sequence) and geometry and all(isinstance(g, shapely.Geometry) for g in geometry):
        return shapely.union_all(list(geometry))
    raise ArgumentError("mask", type(geometry).__name__,
                        "a shapely polygon, GeoSeries or GeoDataFrame of the study area")

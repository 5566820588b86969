"""The unit universe of a forecast or a backtest, fixed by the study area, never by the data.

A :class:`Universe` lists every unit a forecast ranks and a backtest scores: every grid cell of the
force mask, every LSOA or every beat, with unit centroids, unit areas and the total study-area
area that the Predictive Accuracy Index divides by. It is built from geography only (a grid spec
and a boolean mask, a boundary polygon, or a layer of polygons), so adding or removing offences
can never change which units exist, how many cells "5% of the area" is, or the order in which
tied forecasts are broken (the universe order, sorted unit ids).

The lead's ``StudyArea`` object is expected to provide the same three things (units, geometry,
area); :func:`study_universe` builds one from :class:`hotspot.geography.areas.Areas` meanwhile.

References
----------
Chainey, S., Tompson, L. and Uhlig, S. (2008). The utility of hotspot mapping for predicting
spatial patterns of crime. Security Journal 21, 4-28 (PAI's area is the study area).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError
from hotspot.grid.spec import GridSpec, _as_geometry

UNITS = ("cell", "lsoa", "beat")


@dataclass(frozen=True)
class Universe:
    """Every unit of a study area.

    Attributes
    ----------
    kind : {"cell", "lsoa", "beat"}
    cell : float
        Cell size in metres (cells), else the distance band used for neighbours (250 m).
    units : Index
        Unit ids in a fixed, data-independent order (cells: ``"<x0>_<y0>"``, the lower-left
        corner in metres, sorted by ``(x0, y0)``; areas: sorted codes). Ties in a ranking are broken
        by this order for every model.
    x, y : ndarray
        Unit centroids (EPSG:27700 metres).
    area : ndarray
        Unit areas in square metres.
    total_area_m2 : float
        The study (force) area in square metres: PAI's denominator.
    """

    kind: str
    cell: float
    units: pd.Index
    x: np.ndarray
    y: np.ndarray
    area: np.ndarray
    total_area_m2: float

    def __post_init__(self) -> None:
        if self.kind not in UNITS:
            raise ArgumentError("kind", self.kind, "one of 'cell', 'lsoa', 'beat'")
        n = len(self.units)
        if n == 0:
            raise ArgumentError("universe", "no units", "a study area with at least one unit")
        if not self.units.is_unique:
            raise ArgumentError("units", "duplicate unit ids", "unique unit ids")
        for name in ("x", "y", "area"):
            if np.asarray(getattr(self, name)).shape != (n,):
                raise ArgumentError(name, np.asarray(getattr(self, name)).shape, f"{n} values, one per unit")
        if not np.all(np.asarray(self.area) > 0) or not self.total_area_m2 > 0:
            raise ArgumentError("area", "non-positive", "positive unit areas and total area in m2")

    def __len__(self) -> int:
        return len(self.units)

    @property
    def equal_areas(self) -> bool:
        """True when every unit has the same area (grid cells)."""
        return bool(np.allclose(self.area, self.area[0]))

    # ---- constructors -----------------------------------------------------------------

    @classmethod
    def from_grid(cls, spec, mask=None, *, total_area_m2: float | None = None) -> Universe:
        """Every cell of ``spec`` where ``mask`` is True.

        Parameters
        ----------
        spec : hotspot.grid.spec.GridSpec
        mask : ndarray or DataArray of bool, shape ``(ny, nx)``, optional
            The study-area mask (e.g. ``spec.mask(force_polygon)``); default: every cell.
        total_area_m2 : float, optional
            PAI's area (default: the masked cells' area).
        """
        m = np.ones(spec.shape, bool) if mask is None else np.asarray(getattr(mask, "values", mask), bool)
        if m.shape != spec.shape:
            raise ArgumentError("mask", m.shape, f"a boolean array of the grid's shape {spec.shape}")
        rows, cols = np.nonzero(m)
        x0 = spec.x0 + cols * spec.cell
        y0 = spec.y1 - (rows + 1) * spec.cell  # row 0 is the northern row
        order = np.lexsort((y0, x0))
        x0, y0 = x0[order], y0[order]
        units = pd.Index([f"{a:.0f}_{b:.0f}" for a, b in zip(x0, y0)])
        c = float(spec.cell)
        area = np.full(len(units), c * c)
        tot = float(total_area_m2) if total_area_m2 is not None else float(area.sum())
        return cls("cell", c, units, x0 + c / 2, y0 + c / 2, area, tot)

    @classmethod
    def from_polygon(cls, geometry, cell: float = 250.0) -> Universe:
        """Cells of ``cell`` metres (aligned to multiples of it) whose centre lies in ``geometry``;
        PAI's area is the polygon's area."""

        geom = _as_geometry(geometry)
        spec = GridSpec.from_bounds(geom.bounds, cell=cell)
        return cls.from_grid(spec, spec.mask(geom), total_area_m2=float(geom.area))

    @classmethod
    def from_areas(cls, polygons, unit: str, *, total_area_m2: float | None = None) -> Universe:
        """Every polygon of an LSOA or beat layer (``<unit>_code`` column), EPSG:27700."""
        if unit not in ("lsoa", "beat"):
            raise ArgumentError("unit", unit, "'lsoa' or 'beat'")
        col = f"{unit}_code"
        if not hasattr(polygons, "geometry") or col not in polygons.columns:
            raise ArgumentError("areas", type(polygons).__name__,
                                f"a GeoDataFrame of {unit} polygons with a {col!r} column")
        g = polygons.dissolve(by=polygons[col].astype(str)) if not polygons[col].is_unique else \
            polygons.set_index(polygons[col].astype(str))
        g = g.sort_index()
        cen = g.geometry.centroid
        area = g.geometry.area.to_numpy(float)
        tot = float(total_area_m2) if total_area_m2 is not None else float(area.sum())
        return cls(unit, 250.0, pd.Index(g.index.astype(str)), cen.x.to_numpy(float),
                   cen.y.to_numpy(float), area, tot)

    @classmethod
    def from_ids(cls, kind: str, ids, x, y, area, *, cell: float = 250.0,
                 total_area_m2: float | None = None) -> Universe:
        """From explicit unit ids, centroids and areas (e.g. a ``StudyArea``'s tables)."""
        ids = pd.Index(pd.Index(ids).astype(str))
        order = np.argsort(ids.to_numpy(), kind="stable")
        a = np.asarray(area, float)[order]
        tot = float(total_area_m2) if total_area_m2 is not None else float(a.sum())
        return cls(kind, float(cell), ids[order], np.asarray(x, float)[order],
                   np.asarray(y, float)[order], a, tot)


def study_universe(areas, unit: str = "cell", cell: float = 250.0) -> Universe:
    """The universe of a study area (:class:`hotspot.geography.areas.Areas`): cells of the force
    polygon, or every LSOA / beat polygon; PAI's area is the force area in every case."""
    force_area = float(areas.force.geometry.area.sum())
    if unit == "cell":
        return Universe.from_polygon(areas.force, cell)
    return Universe.from_areas(areas.level(unit), unit, total_area_m2=force_area)


def require_universe(universe) -> Universe:
    """``universe`` or a clear error (forecasts and backtests never derive units from offences)."""
    if universe is None:
        raise ArgumentError(
            "universe", None,
            "the study area's units: hotspot.grid.universe.study_universe(areas, unit, cell), "
            "Universe.from_grid(spec, mask) or Universe.from_areas(polygons, unit); units are never "
            "taken from where offences happened (that leaks the future into a backtest)")
    if not isinstance(universe, Universe):
        raise ArgumentError("universe", type(universe).__name__, "a hotspot.grid.universe.Universe")
    return universe

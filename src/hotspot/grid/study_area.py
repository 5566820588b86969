"""The study area: built once from the boundaries, used by every command, stage and backtest.

A :class:`StudyArea` holds the force outline, the LSOA, beat and LA layers and their nesting, the
BNG-aligned grids (with their mask and area) and the unit universes (every cell of the force mask,
every LSOA, every beat). Nothing else in the engine builds grids, masks or unit lists, so a
backtest's units can never come from where offences happened, and no command can silently fall
back to the embedded synthetic world: :attr:`StudyArea.embedded` says which world it is.

References
----------
.. [1] Chainey, S. (2021). *Understanding Crime: Analyzing the Geography of Crime*. Esri Press
   (study areas, grids aligned to a national grid, the area for PAI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.geography.areas import Areas
from hotspot.grid.spec import GridSpec, nice_cell_size
from hotspot.grid.universe import Universe

#: The unit kinds a study area enumerates.
UNITS = ("cell", "lsoa", "beat", "la")


@dataclass(frozen=True)
class Grid:
    """A BNG-aligned grid over the study area with its mask.

    Attributes
    ----------
    spec : GridSpec
    mask : ndarray of bool, shape ``(ny, nx)``
        True where the cell centre lies inside the force outline.
    """

    spec: GridSpec
    mask: np.ndarray = field(repr=False)

    @property
    def n_cells(self) -> int:
        """Cells inside the study area."""
        return int(self.mask.sum())

    @property
    def area_m2(self) -> float:
        """Area of the cells inside the study area (what PAI divides by)."""
        return float(self.n_cells * self.spec.cell_area)

    def unit_ids(self) -> np.ndarray:
        """Row-major flat indices of the cells inside the mask (the cell universe), ascending."""
        return np.flatnonzero(self.mask.ravel())


@dataclass(frozen=True)
class StudyArea:
    """Boundaries, grids and unit universes of one force (or any set of LSOAs).

    Build it with :func:`hotspot.study_area` (or :meth:`from_areas`), never by hand.

    Parameters
    ----------
    areas : Areas
        The boundary layers in EPSG:27700 (from :mod:`hotspot.geography.areas`).
    embedded : bool
        True when the layers are the embedded synthetic world (``hotspot demo``).
    population : Series, optional
        Residents by LSOA code; defaults to the LSOA layer's ``population`` column when present.

    Attributes
    ----------
    outline : shapely geometry
        The force outline (one polygon or multipolygon).
    area_m2 : float
        The force area in square metres.
    lsoa, beat, la, force : GeoDataFrame
        The layers (``beat``/``la`` may be None when the boundaries have none).
    nesting : DataFrame
        One row per LSOA: ``lsoa_code, beat_code, la_code`` (NaN where unknown).
    source : str
        Where the boundaries came from.

    Examples
    --------
    >>> import hotspot
    >>> sa = hotspot.study_area(embedded=True)
    >>> sa.embedded, sa.grid(250).spec.cell
    (True, 250.0)
    """

    areas: Areas
    embedded: bool = False
    population: pd.Series | None = None
    _grids: dict = field(default_factory=dict, compare=False, repr=False)
    _universes: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_areas(cls, areas: Areas, *, embedded: bool = False,
                   population: pd.Series | None = None) -> StudyArea:
        """A study area over already loaded :class:`Areas`."""
        if not isinstance(areas, Areas):
            raise ArgumentError("areas", type(areas).__name__, "an Areas object (hotspot.geography.areas)")
        if str(areas.force.crs).upper() != "EPSG:27700" and areas.force.crs.to_epsg() != 27700:
            raise InputError(f"the study area must be in EPSG:27700, got {areas.force.crs}",
                             path=areas.source or None)
        if population is None and "population" in areas.lsoa.columns:
            population = pd.Series(areas.lsoa["population"].to_numpy(dtype=float),
                                   index=areas.lsoa["lsoa_code"].astype(str), name="population")
        return cls(areas=areas, embedded=bool(embedded), population=population)

    # ---- layers -------------------------------------------------------------------------------
    @property
    def lsoa(self) -> gpd.GeoDataFrame:
        return self.areas.lsoa

    @property
    def beat(self) -> gpd.GeoDataFrame | None:
        return self.areas.beat

    @property
    def la(self) -> gpd.GeoDataFrame | None:
        return self.areas.la

    @property
    def force(self) -> gpd.GeoDataFrame:
        return self.areas.force

    @property
    def source(self) -> str:
        return self.areas.source

    @property
    def origin(self) -> str:
        """``"embedded synthetic world"`` or ``"user boundaries: <source>"`` (for outputs)."""
        return "embedded synthetic world" if self.embedded else f"user boundaries: {self.source}"

    @cached_property
    def outline(self) -> Any:
        return self.force.geometry.union_all()

    @cached_property
    def area_m2(self) -> float:
        return float(self.outline.area)

    @cached_property
    def nesting(self) -> pd.DataFrame:
        lsoa = self.lsoa
        out = pd.DataFrame({"lsoa_code": lsoa["lsoa_code"].astype(str).to_numpy()})
        for col in ("beat_code", "la_code"):
            out[col] = lsoa[col].astype(str).to_numpy() if col in lsoa.columns else np.nan
        return out

    def level(self, name: str) -> gpd.GeoDataFrame:
        """The layer of ``"lsoa"``, ``"beat"`` or ``"la"`` (InputError when absent)."""
        return self.areas.level(name)

    # ---- grids and unit universes -----------------------------------------------------------
    def grid(self, cell: float | None) -> Grid:
        """The BNG-aligned grid of ``cell`` metres over the force, with its mask (cached).

        Parameters
        ----------
        cell : float or None
            Cell side in metres (> 0); None takes sfhotspot's default rule (1/50 of the shorter
            side of the force, rounded), reported in ``grid.spec.cell_rule``.
        """
        if cell is None:
            c, rule = nice_cell_size(min(np.ptp(self.force.total_bounds[[0, 2]]),
                                         np.ptp(self.force.total_bounds[[1, 3]])))
            if c not in self._grids:
                spec = GridSpec.from_bounds(tuple(self.force.total_bounds), c)
                spec = GridSpec(spec.x0, spec.y0, spec.cell, spec.nx, spec.ny, cell_rule=rule)
                self._grids[c] = Grid(spec, spec.mask(self.outline))
            return self._grids[c]
        try:
            c = float(cell)
        except (TypeError, ValueError):
            raise ArgumentError("cell", cell, "a cell size in metres > 0") from None
        if not np.isfinite(c) or c <= 0:
            raise ArgumentError("cell", cell, "a cell size in metres > 0")
        if c not in self._grids:
            spec = GridSpec.from_bounds(tuple(self.force.total_bounds), c)
            self._grids[c] = Grid(spec, spec.mask(self.outline))
        return self._grids[c]

    def universe(self, unit: str = "cell", *, cell: float = 250.0) -> Universe:
        """The unit universe forecasts rank and backtests score, fixed by geography alone.

        Every cell of the force mask (ids ``"<x0>_<y0>"``), every LSOA or every beat; PAI's area
        is the force area in every case, so adding offences can never change which units exist.

        Parameters
        ----------
        unit : {"cell", "lsoa", "beat"}
        cell : float
            Cell size when ``unit="cell"``.
        """
        if unit not in ("cell", "lsoa", "beat"):
            raise ArgumentError("unit", unit, "one of cell, lsoa, beat")
        key = (unit, float(cell) if unit == "cell" else None)
        if key not in self._universes:
            if unit == "cell":
                g = self.grid(cell)
                uni = Universe.from_grid(g.spec, g.mask, total_area_m2=self.area_m2)
            else:
                uni = Universe.from_areas(self.level(unit), unit, total_area_m2=self.area_m2)
            self._universes[key] = uni
        return self._universes[key]

    def units(self, unit: str, *, cell: float = 250.0) -> pd.Index:
        """The unit ids of :meth:`universe` (LAs too: their codes, sorted)."""
        if unit not in UNITS:
            raise ArgumentError("unit", unit, "one of " + ", ".join(UNITS))
        if unit == "la":
            return pd.Index(sorted(self.level("la")["la_code"].astype(str).unique()), name="unit")
        return self.universe(unit, cell=cell).units

    def unit_area_m2(self, unit: str, *, cell: float = 250.0) -> float:
        """Total area of the unit universe (the denominator of PAI)."""
        if unit == "cell":
            return self.grid(cell).area_m2
        return float(self.level(unit).geometry.area.sum())

    def describe(self) -> dict:
        """Plain facts for manifests and messages."""
        return {"origin": self.origin, "embedded": self.embedded, "area_km2": round(self.area_m2 / 1e6, 3),
                "lsoas": int(len(self.lsoa)), "beats": int(len(self.beat)) if self.beat is not None else 0,
                "las": int(len(self.la)) if self.la is not None else 0}

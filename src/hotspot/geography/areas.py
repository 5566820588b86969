"""Boundary layers: LSOAs, beats, local authorities and the force area.

Layers are read from GeoPackage, GeoJSON or shapefile. ONS field names are recognised
(``LSOA11CD``/``LSOA21CD``, ``LSOA11NM``, ``LAD19CD``...``LAD24CD``, ``LAD..NM``); other names are
mapped with a small dictionary. Every layer is returned in EPSG:27700 with normalised columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import pandas as pd

from hotspot.errors import InputError
from hotspot.crs import require_crs
from hotspot.paths import data_dir

#: Normalised column -> recognised source names (regular expressions, case-insensitive).
FIELD_PATTERNS: dict[str, list[str]] = {
    "lsoa_code": [r"LSOA\d{2}CD", r"lsoa_code", r"lsoa"],
    "lsoa_name": [r"LSOA\d{2}NM", r"lsoa_name"],
    "beat_code": [r"beat_code", r"BEAT_?CD", r"beat", r"neighbourhood_code", r"NHOOD_?CD"],
    "beat_name": [r"beat_name", r"BEAT_?NM", r"neighbourhood_name", r"NHOOD_?NM"],
    "la_code": [r"LAD\d{2}CD", r"LTLA\d{2}CD", r"la_code", r"lad_code"],
    "la_name": [r"LAD\d{2}NM", r"LTLA\d{2}NM", r"la_name", r"lad_name"],
    "population": [r"population", r"pop", r"usual_residents"],
    "households": [r"households", r"hh"],
}

#: Which normalised columns each level needs.
REQUIRED = {"lsoa": ["lsoa_code"], "beat": ["beat_code"], "la": ["la_code"]}


@dataclass(frozen=True)
class Areas:
    """The boundary layers of a study area, all in EPSG:27700.

    Attributes
    ----------
    lsoa : GeoDataFrame
        ``lsoa_code, lsoa_name`` and, when nested, ``beat_code, la_code``; ``population``,
        ``households`` when known.
    beat, la : GeoDataFrame or None
        ``beat_code, beat_name, la_code`` / ``la_code, la_name, population, households``.
    force : GeoDataFrame
        One polygon: the study area (union of LAs when not given).
    source : str
        Where the layers came from.
    """

    lsoa: gpd.GeoDataFrame
    beat: gpd.GeoDataFrame | None
    la: gpd.GeoDataFrame | None
    force: gpd.GeoDataFrame
    source: str = ""

    def level(self, name: str) -> gpd.GeoDataFrame:
        """The layer for ``"lsoa"``, ``"beat"`` or ``"la"`` (error if absent)."""
        layer = {"lsoa": self.lsoa, "beat": self.beat, "la": self.la}.get(name)
        if layer is None:
            raise InputError(f"no {name!r} boundary layer is loaded; pass one or use the embedded "
                             f"boundaries", path=self.source or None)
        return layer

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Study-area bounds (minx, miny, maxx, maxy) in metres."""
        return tuple(float(v) for v in self.force.total_bounds)


def normalise_fields(gdf: gpd.GeoDataFrame, mapping: Mapping[str, str] | None = None,
                     *, level: str, path=None) -> gpd.GeoDataFrame:
    """Rename recognised ONS or mapped fields to the engine's names.

    Parameters
    ----------
    gdf : GeoDataFrame
    mapping : dict, optional
        ``{normalised_name: source_column}``; wins over recognition.
    level : {"lsoa", "beat", "la"}
        Used to check the required code column and for messages.
    """
    mapping = dict(mapping or {})
    rename: dict[str, str] = {}
    for src_col in mapping.values():
        if src_col not in gdf.columns:
            raise InputError(f"mapped column {src_col!r} is not in the {level} layer (columns: "
                             f"{', '.join(map(str, gdf.columns))})", path=path)
    rename.update({v: k for k, v in mapping.items()})
    taken = set(rename.values())
    for norm, patterns in FIELD_PATTERNS.items():
        if norm in taken or norm in gdf.columns:
            continue
        for col in gdf.columns:
            if col in rename or col == gdf.geometry.name:
                continue
            if any(re.fullmatch(p, str(col), flags=re.IGNORECASE) for p in patterns):
                rename[col] = norm
                taken.add(norm)
                break
    out = gdf.rename(columns=rename)
    for req in REQUIRED[level]:
        if req not in out.columns:
            raise InputError(
                f"the {level} layer has no {req!r} column; expected an ONS name such as "
                f"{FIELD_PATTERNS[req][0].replace(chr(92) + 'd{2}', '11')} or a mapping "
                f"{{'{req}': '<your column>'}} (columns: {', '.join(map(str, gdf.columns))})", path=path)
    for col in ("lsoa_code", "beat_code", "la_code", "lsoa_name", "beat_name", "la_name"):
        if col in out.columns:
            out[col] = out[col].astype(str)
    code = REQUIRED[level][0]
    dup = out[code].duplicated(keep=False)
    if dup.any():
        # multi-part features split across rows: dissolve them into one
        out = out.dissolve(by=code, as_index=False, aggfunc="first")
    return out


def read_layer(path: str | Path, layer: str | None = None, *, level: str,
               mapping: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """Read one boundary layer (GeoPackage, GeoJSON, shapefile), in BNG with normalised fields."""
    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found; check the path", path=path)
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError types
        raise InputError(f"cannot read boundary layer {layer or ''!s}: {exc}. It must be a "
                         f"GeoPackage, GeoJSON or shapefile", path=path) from None
    gdf = require_crs(gdf, layer or level, path=path)
    gdf = normalise_fields(gdf, mapping, level=level, path=path)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].copy()
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, gdf.geometry.name] = gdf.geometry[invalid].make_valid()
    return gdf.sort_values(REQUIRED[level][0], kind="stable").reset_index(drop=True)


def load_areas(path: str | Path | None = None, *, lsoa_layer: str = "lsoa", beat_layer: str | None = "beat",
               la_layer: str | None = "la", force_layer: str | None = "force",
               mappings: Mapping[str, Mapping[str, str]] | None = None) -> Areas:
    """Load the boundary layers (default: the embedded ``data/boundaries.gpkg``).

    Parameters
    ----------
    path : str or Path, optional
        A GeoPackage holding the layers, or a single LSOA layer file (GeoJSON/shapefile).
    lsoa_layer, beat_layer, la_layer, force_layer : str or None
        Layer names inside a GeoPackage; ``None`` skips a layer.
    mappings : dict, optional
        ``{"lsoa": {...}, "beat": {...}, "la": {...}}`` column mappings (see :func:`normalise_fields`).

    Returns
    -------
    Areas
    """
    path = Path(path) if path is not None else data_dir() / "boundaries.gpkg"
    mappings = mappings or {}
    if not path.exists():
        raise InputError("boundary file not found; run `make data` to regenerate the embedded data "
                         "or pass --boundaries PATH", path=path)
    layers: set[str] = set()
    if path.suffix.lower() == ".gpkg":
        import pyogrio

        layers = {name for name, _ in pyogrio.list_layers(path)}
        if lsoa_layer not in layers:
            raise InputError(f"no layer {lsoa_layer!r} (layers: {', '.join(sorted(layers))}); name "
                             f"the LSOA layer", path=path)
    lsoa = read_layer(path, lsoa_layer if layers else None, level="lsoa", mapping=mappings.get("lsoa"))

    def _opt(name: str | None, level: str):
        if name is None or name not in layers:
            return None
        return read_layer(path, name, level=level, mapping=mappings.get(level))

    beat = _opt(beat_layer, "beat")
    la = _opt(la_layer, "la")
    if force_layer and force_layer in layers:
        force = gpd.read_file(path, layer=force_layer, engine="pyogrio")
        force = require_crs(force, force_layer, path=path)
    else:
        base = la if la is not None else lsoa
        force = gpd.GeoDataFrame({"name": ["study area"]}, geometry=[base.union_all()], crs=base.crs)
    return Areas(lsoa=lsoa, beat=beat, la=la, force=force[[force.geometry.name] + [
        c for c in force.columns if c != force.geometry.name]], source=str(path))


def lookup_table(areas: Areas) -> pd.DataFrame:
    """LSOA -> beat -> LA lookup (one row per LSOA) from the nested layers."""
    cols = [c for c in ("lsoa_code", "lsoa_name", "beat_code", "la_code", "population", "households")
            if c in areas.lsoa.columns]
    return pd.DataFrame(areas.lsoa[cols])

"""Boundary layers: LSOAs, beats, local authorities and the force area.

Layers are read from GeoPackage, GeoJSON or shapefile, one file or several at once (for example the
ONS per-local-authority GeoJSON downloads). :func:`read_boundaries` finds the LSOA, beat (or ward)
and local-authority layers by their fields, never by their names: ONS names are recognised
(``LSOA11CD``/``LSOA21CD``, ``LSOAnnNM``, ``WDnnCD``/``WDnnNM``, ``LADnnCD``/``LADnnNM``,
``LADCD_ACTIVE``) and other names are mapped with a small dictionary (``fields``). Every layer is
returned in EPSG:27700 with the engine's columns; a layer without a CRS is an error, never a guess.

Nesting LSOA -> beat -> LA is taken from code fields when the LSOA layer carries them and they
match the parent layer; otherwise each LSOA takes the parent polygon it overlaps most (largest
intersection area). Beats come from a police neighbourhood layer when one is given; ONS wards stand
in for them otherwise (``Areas.beat_source == "ward"``) and, with neither, each LSOA is its own
beat (``"lsoa"``); outputs say so.

References
----------
.. [1] Office for National Statistics. *Lower layer Super Output Areas (December 2021) Boundaries
   EW BGC*; *Wards (May 2025) Boundaries UK BGC*. ONS Open Geography Portal, https://geoportal.statistics.gov.uk
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from hotspot.crs import require_crs
from hotspot.errors import ArgumentError, InputError
from hotspot.paths import data_dir

#: Normalised column -> recognised source names (regular expressions, case-insensitive).
FIELD_PATTERNS: dict[str, list[str]] = {
    "lsoa_code": [r"LSOA\d{2}CD", r"lsoa_code", r"lsoa"],
    "lsoa_name": [r"LSOA\d{2}NM", r"lsoa_name"],
    "beat_code": [r"beat_code", r"BEAT_?CD", r"beat", r"neighbourhood_code", r"NHOOD_?CD"],
    "beat_name": [r"beat_name", r"BEAT_?NM", r"neighbourhood_name", r"NHOOD_?NM"],
    "la_code": [r"LAD\d{2}CD", r"LTLA\d{2}CD", r"la_code", r"lad_code", r"LADCD(?:_ACTIVE)?"],
    "la_name": [r"LAD\d{2}NM", r"LTLA\d{2}NM", r"la_name", r"lad_name", r"LADNM(?:_ACTIVE)?"],
    "population": [r"population", r"pop", r"usual_residents"],
    "households": [r"households", r"hh"],
}
#: ONS ward fields (wards stand in for police beats when no beat layer is given).
WARD_PATTERNS: dict[str, list[str]] = {"beat_code": [r"WD\d{2}CD"], "beat_name": [r"WD\d{2}NM"]}
#: The engine's columns kept on each layer (besides the geometry), in this order.
CANONICAL = ["lsoa_code", "lsoa_name", "beat_code", "beat_name", "la_code", "la_name", "population",
             "households"]
#: Which normalised columns each level needs.
REQUIRED = {"lsoa": ["lsoa_code"], "beat": ["beat_code"], "la": ["la_code"]}
#: File suffixes read as boundary files when a folder is given.
BOUNDARY_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
LEVELS = ("lsoa", "beat", "la")


@dataclass(frozen=True)
class Areas:
    """The boundary layers of a study area, all in EPSG:27700.

    Attributes
    ----------
    lsoa : GeoDataFrame
        ``lsoa_code, lsoa_name, beat_code, la_code`` (always, when the layers allow); ``population``,
        ``households`` when known.
    beat, la : GeoDataFrame or None
        ``beat_code, beat_name, la_code`` / ``la_code, la_name`` (``population, households`` when known).
    force : GeoDataFrame
        One polygon: the study area (union of LAs when not given).
    source : str
        Where the layers came from (file names, ``;``-separated).
    beat_source : str
        What the beats are: ``"beat"`` (a police neighbourhood/beat layer), ``"ward"`` (ONS wards
        standing in) or ``"lsoa"`` (no beat or ward layer: each LSOA is its own beat).
    embedded : bool
        True for the embedded synthetic world (``data/boundaries.gpkg``), False for the user's files.
    provenance : dict
        Per level: files, layers, source fields, feature counts and CRS read; how the nesting was
        made (``"field"`` or ``"overlay"``); layers found but not used.
    """

    lsoa: gpd.GeoDataFrame
    beat: gpd.GeoDataFrame | None
    la: gpd.GeoDataFrame | None
    force: gpd.GeoDataFrame
    source: str = ""
    beat_source: str = "beat"
    embedded: bool = False
    provenance: Mapping[str, Any] = field(default_factory=dict)

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
        minx, miny, maxx, maxy = (float(v) for v in self.force.total_bounds)
        return minx, miny, maxx, maxy

    def describe(self) -> str:
        """One sentence for briefings and manifests: what each level is and where it came from."""
        prov = self.provenance or {}

        def part(level: str, what: str, layer) -> str:
            p = prov.get(level, {})
            src = ", ".join(sorted({Path(f).name for f in p.get("files", [])})) or p.get("source", "")
            year = p.get("code_year")
            n = 0 if layer is None else len(layer)
            return f"{what}{f' {year}' if year else ''}: {n:,}" + (f" ({src})" if src else "")

        beats = {"beat": "beats", "ward": "wards", "lsoa": "beats"}.get(self.beat_source, "beats")
        bits = [part("lsoa", "LSOAs", self.lsoa), part("beat", beats, self.beat),
                part("la", "local authorities", self.la)]
        nest = prov.get("nesting", {})
        if self.beat_source == "ward":
            bits.append("wards stand in for police beats (no neighbourhood boundaries given)")
        elif self.beat_source == "lsoa":
            bits.append("no beat or ward boundaries given: each LSOA is its own beat")
        if str(nest.get("lsoa_beat", "")).startswith("overlay"):
            bits.append("LSOAs assigned to beats by largest overlap")
        head = "Embedded synthetic boundaries (not real places)" if self.embedded else "Boundaries"
        return f"{head}: " + "; ".join(bits) + "."

    @property
    def beat_label(self) -> str:
        """How outputs should name the beat level (e.g. ``"ward (standing in for beats)"``)."""
        return {"beat": "beat", "ward": "ward (standing in for police beats)",
                "lsoa": "LSOA (no beat or ward boundaries given)"}.get(self.beat_source, self.beat_source)


def _match_fields(columns: Iterable[str], patterns: Mapping[str, list[str]],
                  skip: Iterable[str] = ()) -> dict[str, str]:
    """``{normalised: source column}`` for the first column matching each pattern list."""
    found: dict[str, str] = {}
    used = set(skip)
    cols = [str(c) for c in columns]
    for norm, pats in patterns.items():
        if norm in cols:
            found[norm] = norm
            used.add(norm)
            continue
        for col in cols:
            if col in used or col in CANONICAL:
                continue
            if any(re.fullmatch(p, col, flags=re.IGNORECASE) for p in pats):
                found[norm] = col
                used.add(col)
                break
    return found


def normalise_fields(gdf: gpd.GeoDataFrame, mapping: Mapping[str, str] | None = None,
                     *, level: str, path=None, patterns: Mapping[str, list[str]] | None = None
                     ) -> gpd.GeoDataFrame:
    """Rename recognised ONS or mapped fields to the engine's names.

    Parameters
    ----------
    gdf : GeoDataFrame
    mapping : dict, optional
        ``{normalised_name: source_column}``; wins over recognition.
    level : {"lsoa", "beat", "la"}
        Used to check the required code column and for messages.
    patterns : dict, optional
        Extra recognised names tried before :data:`FIELD_PATTERNS` (e.g. :data:`WARD_PATTERNS`).

    Returns
    -------
    GeoDataFrame
        Renamed; ``attrs["fields"]`` records ``{normalised: source column}``.
    """
    mapping = dict(mapping or {})
    for src_col in mapping.values():
        if src_col not in gdf.columns:
            raise InputError(f"mapped column {src_col!r} is not in the {level} layer (columns: "
                             f"{', '.join(map(str, gdf.columns))})", path=path)
    geom = gdf.geometry.name
    cols = [c for c in gdf.columns if c != geom]
    found = dict(mapping)
    pats = {**{k: v for k, v in (patterns or {}).items()}}
    for k, v in FIELD_PATTERNS.items():
        pats[k] = pats.get(k, []) + v
    for norm, src in _match_fields([c for c in cols if c not in mapping.values()],
                                   {k: v for k, v in pats.items() if k not in mapping}).items():
        found[norm] = src
    rename = {src: norm for norm, src in found.items() if src != norm}
    # a column already carrying a normalised name that another source now takes is set aside
    clash = [norm for src, norm in rename.items() if norm in gdf.columns]
    out = gdf.drop(columns=clash).rename(columns=rename)
    for req in REQUIRED[level]:
        if req not in out.columns:
            raise InputError(
                f"the {level} layer has no {req!r} column; expected an ONS name such as "
                f"{FIELD_PATTERNS[req][0].replace(chr(92) + 'd{2}', '11')} or a mapping "
                f"{{'{req}': '<your column>'}} (columns: {', '.join(map(str, gdf.columns))})", path=path)
    for col in ("lsoa_code", "beat_code", "la_code", "lsoa_name", "beat_name", "la_name"):
        if col in out.columns:
            out[col] = out[col].astype(str).str.strip()
    code = REQUIRED[level][0]
    dup = out[code].duplicated(keep=False)
    if dup.any():
        # multi-part features split across rows: dissolve them into one
        out = out.dissolve(by=code, as_index=False, aggfunc="first")
    out.attrs["fields"] = {k: v for k, v in found.items() if k in out.columns}
    return out


def read_layer(path: str | Path, layer: str | None = None, *, level: str,
               mapping: Mapping[str, str] | None = None,
               patterns: Mapping[str, list[str]] | None = None) -> gpd.GeoDataFrame:
    """Read one boundary layer (GeoPackage, GeoJSON, shapefile), in BNG with normalised fields."""
    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found; check the path", path=path)
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError types
        raise InputError(f"cannot read boundary layer {layer or ''!s}: {exc}. It must be a "
                         f"GeoPackage, GeoJSON or shapefile", path=path) from None
    crs = gdf.crs.to_string() if gdf.crs is not None else None
    gdf = require_crs(gdf, layer or path.name, path=path)
    gdf = normalise_fields(gdf, mapping, level=level, path=path, patterns=patterns)
    fields_used = gdf.attrs.get("fields", {})
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].copy()
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf.loc[invalid, gdf.geometry.name] = gdf.geometry[invalid].make_valid()
    gdf = gdf.sort_values(REQUIRED[level][0], kind="stable").reset_index(drop=True)
    gdf.attrs.update(fields=fields_used, crs_read=crs)
    return gdf


# ---- finding the layers -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    path: Path
    layer: str | None      # layer name inside a GeoPackage (None: single-layer file)
    name: str              # layer name or file stem, for matching and messages
    kind: str | None       # "lsoa", "beat", "ward", "la", "force" or None
    code_field: str | None
    year: int | None       # from the code field (LSOA21CD -> 2021), None when not told
    features: int


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("boundary file not found; check the path (--boundaries PATH)", path=p)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in BOUNDARY_SUFFIXES)
            if not found:
                raise InputError(f"the folder holds no boundary files ({', '.join(BOUNDARY_SUFFIXES)})", path=p)
            out.extend(found)
        else:
            out.append(p)
    if not out:
        raise InputError("no boundary files given; pass --boundaries PATH (a GeoPackage, GeoJSON or "
                         "shapefile; several allowed)")
    return out


def _kind(fields: Sequence[str], name: str, mapping: Mapping[str, Mapping[str, str]]
          ) -> tuple[str | None, str | None]:
    """What a layer holds, told by its fields (mapped fields first)."""
    fs = set(fields)
    for level, code in (("lsoa", "lsoa_code"), ("beat", "beat_code"), ("la", "la_code")):
        src = (mapping.get(level) or {}).get(code)
        if src and src in fs:
            return level, src
    lsoa = _match_fields(fields, {"lsoa_code": FIELD_PATTERNS["lsoa_code"]}).get("lsoa_code")
    if lsoa:
        return "lsoa", lsoa
    beat = _match_fields(fields, {"beat_code": FIELD_PATTERNS["beat_code"]}).get("beat_code")
    if beat:
        return "beat", beat
    ward = _match_fields(fields, WARD_PATTERNS).get("beat_code")
    if ward:
        return "ward", ward
    la = _match_fields(fields, {"la_code": FIELD_PATTERNS["la_code"]}).get("la_code")
    if la:
        return "la", la
    if name.lower() in ("force", "study_area", "force_area"):
        return "force", None
    return None, None


def _year(code_field: str | None) -> int | None:
    m = re.search(r"(\d{2})CD", code_field or "", flags=re.IGNORECASE)
    return 2000 + int(m.group(1)) if m else None


def _candidates(files: Sequence[Path], mapping) -> list[_Candidate]:
    out = []
    for f in files:
        try:
            layers = [str(n) for n, _ in pyogrio.list_layers(f)]
        except Exception as exc:  # noqa: BLE001 - pyogrio raises several DataSourceError types
            raise InputError(f"cannot read as a boundary file ({exc}); use a GeoPackage, GeoJSON or "
                             "shapefile", path=f) from None
        single = len(layers) == 1 and f.suffix.lower() != ".gpkg"
        for lyr in layers:
            info = pyogrio.read_info(f, layer=lyr)
            fields = [str(x) for x in info["fields"]]
            name = f.stem if single else lyr
            kind, code = _kind(fields, name, mapping)
            out.append(_Candidate(f, None if single else lyr, name, kind, code, _year(code),
                                  int(info.get("features") or 0)))
    return out


def _named(cands: Sequence[_Candidate], pattern: str, level: str) -> list[_Candidate]:
    hit = [c for c in cands if fnmatch.fnmatchcase(c.name, pattern) or c.name == pattern
           or fnmatch.fnmatchcase(c.path.name, pattern)]
    if not hit:
        names = sorted({c.name for c in cands})
        raise InputError(f"no layer {pattern!r} for the {level} level (layers: {', '.join(names)}); "
                         f"name an existing layer, or leave it out to find the layer by its fields",
                         path=";".join(sorted({str(c.path) for c in cands})))
    return hit


def _pick(cands: Sequence[_Candidate], kinds: Sequence[str]) -> tuple[list[_Candidate], list[str]]:
    """The group of layers to read for a level: the first kind found, newest code vintage; layers
    with the same code field (e.g. one file per local authority) are read together."""
    for kind in kinds:
        group = [c for c in cands if c.kind == kind]
        if not group:
            continue
        best = max(group, key=lambda c: (c.year or 0, c.features))
        chosen = [c for c in group if c.code_field == best.code_field]
        ignored = [f"{c.path.name}:{c.name} ({c.code_field})" for c in group if c not in chosen]
        return chosen, ignored
    return [], []


def _read_group(group: Sequence[_Candidate], level: str, mapping, patterns=None
                ) -> tuple[gpd.GeoDataFrame, dict]:
    def _mapping_for(c: _Candidate):
        if mapping is None or "*" not in mapping:
            return (mapping or {}).get(level)
        have = {str(f) for f in pyogrio.read_info(c.path, layer=c.layer)["fields"]}
        return {k: v for k, v in mapping["*"].items() if v in have}  # flat: wherever the column is

    parts = [read_layer(c.path, c.layer, level=level, mapping=_mapping_for(c), patterns=patterns)
             for c in group]
    fields_used = parts[0].attrs.get("fields", {})
    crs = sorted({str(p.attrs.get("crs_read")) for p in parts})
    keep = [c for c in CANONICAL if any(c in p.columns for p in parts)]
    gdf = pd.concat([p[[c for c in keep if c in p.columns] + [p.geometry.name]] for p in parts],
                    ignore_index=True)
    gdf = gpd.GeoDataFrame(gdf, geometry=parts[0].geometry.name, crs=parts[0].crs)
    code = REQUIRED[level][0]
    if gdf[code].duplicated().any():  # the same area in two files: one feature
        gdf = gdf.dissolve(by=code, as_index=False, aggfunc="first")
    gdf = gdf[keep + [gdf.geometry.name]].sort_values(code, kind="stable").reset_index(drop=True)
    prov = {"files": [str(c.path) for c in group], "layers": [c.name for c in group],
            "fields": dict(fields_used), "features": int(len(gdf)), "crs_read": crs,
            "code_year": group[0].year}
    return gdf, prov


# ---- nesting by overlay -------------------------------------------------------------------------

def largest_overlap(child: gpd.GeoDataFrame, parent: gpd.GeoDataFrame, code: str
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each ``child`` polygon, the ``parent[code]`` it overlaps most, and that overlap's share.

    Children touching no parent take the nearest one (share 0).

    Returns
    -------
    codes : ndarray of object
    share : ndarray of float
        Intersection area / child area for the chosen parent.
    """
    cg = child.geometry.to_numpy()
    pg = parent.geometry.to_numpy()
    tree = shapely.STRtree(pg)
    ci, pi = tree.query(cg, predicate="intersects")
    area = shapely.area(shapely.intersection(cg[ci], pg[pi]))
    pairs = pd.DataFrame({"c": ci, "p": pi, "a": area}).sort_values(["c", "a", "p"],
                                                                     ascending=[True, False, True])
    best = pairs.drop_duplicates("c")
    best = best[best["a"] > 0]
    pos = np.full(len(child), -1, dtype=np.int64)
    share = np.zeros(len(child))
    pos[best["c"].to_numpy()] = best["p"].to_numpy()
    carea = shapely.area(cg)
    share[best["c"].to_numpy()] = best["a"].to_numpy() / np.where(carea > 0, carea, 1.0)[best["c"].to_numpy()]
    lost = np.flatnonzero(pos < 0)
    if lost.size:
        near = tree.query_nearest(cg[lost], return_distance=False, all_matches=False)
        pos[lost[near[0]]] = near[1]
    return parent[code].to_numpy(dtype=object)[pos], share


def _nest(child: gpd.GeoDataFrame, parent: gpd.GeoDataFrame | None, code: str, what: str,
          prov: dict) -> gpd.GeoDataFrame:
    """Give ``child`` the ``code`` of its parent: from its own field when it matches, else by overlay."""
    if parent is None:
        if code in child.columns:
            prov[what] = "field"
        return child
    if code in child.columns and child[code].isin(set(parent[code])).all():
        prov[what] = "field"
        return child
    codes, share = largest_overlap(child, parent, code)
    out = child.copy()
    had = code in child.columns
    out[code] = codes.astype(str)
    prov[what] = "overlay (largest overlap area)"
    prov[f"{what}_min_share"] = round(float(share.min()), 4) if len(share) else None
    prov[f"{what}_under_half"] = int((share < 0.5).sum())
    if had:
        prov[f"{what}_field_replaced"] = True
    return out


# ---- the entry point ----------------------------------------------------------------------------

def _as_mappings(fields) -> dict[str, dict[str, str]]:
    """``{"lsoa": {...}, "beat": {...}, "la": {...}}`` from a nested or flat ``{normalised: source}``."""
    if not fields:
        return {}
    if all(isinstance(v, Mapping) for v in fields.values()):
        bad = [k for k in fields if k not in LEVELS]
        if bad:
            raise InputError(f"boundary field mapping has unknown level(s) {bad}; use lsoa, beat, la")
        return {k: dict(v) for k, v in fields.items()}
    bad = [k for k in fields if k not in CANONICAL]
    if bad:
        raise InputError(f"boundary field mapping key(s) {bad} not among {CANONICAL}")
    flat = {k: str(v) for k, v in fields.items()}
    # a flat mapping applies to every layer holding the column ("*"); the code keys also tell levels
    return {"*": flat, **{lv: {f"{lv}_code": flat[f"{lv}_code"]} for lv in LEVELS if f"{lv}_code" in flat}}


def read_boundaries(paths: str | Path | Sequence[str | Path] | None = None, *,
                    lsoa_layer: str | None = None, beat_layer: str | None = None,
                    la_layer: str | None = None, force_layer: str | None = None,
                    fields: Mapping[str, Any] | None = None) -> Areas:
    """Read LSOA, beat (or ward) and local-authority boundaries as published, from one or more files.

    Parameters
    ----------
    paths : path, folder or list of them
        GeoPackages (any layer names), GeoJSON or shapefiles; a folder means every boundary file in
        it. The embedded synthetic world is :func:`embedded_areas`, never a default.
    lsoa_layer, beat_layer, la_layer, force_layer : str, optional
        Layer name (GeoPackage layer or file stem; shell wildcards allowed, e.g. ``"lsoa_E06*"``).
        When omitted a layer is found by its fields: an LSOA code (``LSOA21CD`` preferred over
        ``LSOA11CD``); a beat code (``beat_code``, ``NHOOD_CD``...), else an ONS ward code
        (``WDnnCD``, the newest); an LA code (``LADnnCD``) with no LSOA/beat/ward code.
        ``beat_layer=""`` or ``la_layer=""`` skips that level.
    fields : dict, optional
        Column mapping, flat ``{"lsoa_code": "ZONE", "beat_code": "NBHD"}`` or by level
        ``{"lsoa": {...}, "beat": {...}, "la": {...}}``; it wins over recognition.

    Returns
    -------
    Areas
        Layers in EPSG:27700; every LSOA has a ``beat_code`` (and an ``la_code`` when any LA
        information exists), nested by code fields or by largest overlap; ``provenance`` records
        which file, layer and field each level came from.

    Raises
    ------
    InputError
        Missing or unreadable file, a layer without CRS, no LSOA layer, a named layer that does
        not exist, a mapped column that does not exist.
    """
    if paths is None:
        raise ArgumentError("paths", None, "the boundary files of your force (or embedded_areas() for the "
                            "embedded synthetic world: it is never used unasked)")
    embedded = Path(paths).resolve() == (data_dir() / "boundaries.gpkg").resolve() \
        if isinstance(paths, (str, Path)) else False
    files = [data_dir() / "boundaries.gpkg"] if embedded else _expand(paths)
    if embedded and not files[0].exists():
        raise InputError("embedded boundary file not found; run `make data` to regenerate it or pass "
                         "--boundaries PATH", path=files[0])
    maps = _as_mappings(fields)
    cands = _candidates(files, maps)
    where = ";".join(str(f) for f in files)
    prov: dict[str, Any] = {"embedded": embedded, "files": [str(f) for f in files], "nesting": {},
                            "ignored": []}

    def group_for(level: str, named: str | None, kinds: Sequence[str]) -> list[_Candidate]:
        if named == "":
            return []
        if named is not None:
            return _named(cands, named, level)
        chosen, ignored = _pick(cands, kinds)
        prov["ignored"].extend(ignored)
        return chosen

    lsoa_g = group_for("lsoa", lsoa_layer, ["lsoa"])
    if not lsoa_g:
        found = ", ".join(f"{c.path.name}:{c.name}" for c in cands) or "none"
        raise InputError(f"no LSOA layer found (layers: {found}); an LSOA layer needs a field such as "
                         f"LSOA21CD or LSOA11CD, or name it (lsoa_layer) and map its code field "
                         f"(fields={{'lsoa_code': '<column>'}})", path=where)
    lsoa, prov["lsoa"] = _read_group(lsoa_g, "lsoa", maps)

    beat_g = group_for("beat", beat_layer, ["beat", "ward"])
    beat, beat_source = None, "lsoa"
    if beat_g:
        is_ward = all(c.kind == "ward" for c in beat_g)
        beat, prov["beat"] = _read_group(beat_g, "beat", maps,
                                         WARD_PATTERNS if is_ward else None)
        beat_source = "ward" if is_ward else "beat"
    la_g = group_for("la", la_layer, ["la"])
    la = None
    if la_g:
        la, prov["la"] = _read_group(la_g, "la", maps)

    # nesting: LSOA -> beat, LSOA -> LA, beat -> LA
    if beat is not None:
        lsoa = _nest(lsoa, beat, "beat_code", "lsoa_beat", prov["nesting"])
    else:
        lsoa = lsoa.copy()
        lsoa["beat_code"] = lsoa["lsoa_code"]
        beat = lsoa[["beat_code"] + (["la_code"] if "la_code" in lsoa else []) + [lsoa.geometry.name]].copy()
        beat.insert(1, "beat_name", lsoa["lsoa_name"] if "lsoa_name" in lsoa else lsoa["lsoa_code"])
        prov["nesting"]["lsoa_beat"] = "identity (each LSOA is its own beat)"
        prov["beat"] = {"source": "lsoa"}
    if la is not None:
        lsoa = _nest(lsoa, la, "la_code", "lsoa_la", prov["nesting"])
        beat = _nest(beat, la, "la_code", "beat_la", prov["nesting"])
    elif "la_code" in lsoa.columns:
        prov["nesting"]["lsoa_la"] = "field"
        la = lsoa.dissolve(by="la_code", as_index=False, aggfunc="first")[
            ["la_code"] + (["la_name"] if "la_name" in lsoa else []) + [lsoa.geometry.name]]
        if "la_name" not in la and {"la_code", "la_name"} <= set(beat.columns):
            names = dict(zip(beat["la_code"], beat["la_name"]))
            la.insert(1, "la_name", la["la_code"].map(names).fillna(""))
        prov["la"] = {"source": "dissolved from the LSOA layer's LA codes", "features": int(len(la))}
    elif "la_code" in beat.columns:
        m = dict(zip(beat["beat_code"], beat["la_code"]))
        lsoa = lsoa.copy()
        lsoa["la_code"] = lsoa["beat_code"].map(m).astype(str)
        prov["nesting"]["lsoa_la"] = "via beat"
        la = beat.dissolve(by="la_code", as_index=False, aggfunc="first")[
            ["la_code"] + (["la_name"] if "la_name" in beat else []) + [beat.geometry.name]]
        prov["la"] = {"source": "dissolved from the beat layer's LA codes", "features": int(len(la))}
    lsoa = lsoa[[c for c in CANONICAL if c in lsoa.columns and c != "beat_name"] + [lsoa.geometry.name]]
    prov["beat_source"] = beat_source

    force_g = [c for c in cands if c.kind == "force"] if force_layer is None else (
        [] if force_layer == "" else _named(cands, force_layer, "force"))
    if force_g:
        c = force_g[0]
        force = gpd.read_file(c.path, layer=c.layer, engine="pyogrio")
        force = require_crs(force, c.name, path=c.path)
        prov["force"] = {"files": [str(c.path)], "layers": [c.name]}
    else:
        base = la if la is not None else lsoa
        force = gpd.GeoDataFrame({"name": ["study area"]}, geometry=[base.union_all()], crs=base.crs)
        prov["force"] = {"source": "union of the " + ("LA" if la is not None else "LSOA") + " polygons"}
    force = force[[force.geometry.name] + [c for c in force.columns if c != force.geometry.name]]
    return Areas(lsoa=lsoa, beat=beat, la=la, force=force, source=where, beat_source=beat_source,
                 embedded=embedded, provenance=prov)


def embedded_areas() -> Areas:
    """The embedded synthetic boundaries (``data/boundaries.gpkg``), asked for by name."""
    return read_boundaries(data_dir() / "boundaries.gpkg")


def load_areas(path: str | Path | Sequence[str | Path] | None = None, *, lsoa_layer: str | None = None,
               beat_layer: str | None = None, la_layer: str | None = None, force_layer: str | None = None,
               mappings: Mapping[str, Mapping[str, str]] | None = None) -> Areas:
    """Load the boundary layers (``path`` is required; see :func:`embedded_areas` for the demo world).

    A thin alias of :func:`read_boundaries` kept for existing callers (``mappings`` is its
    ``fields``).
    """
    return read_boundaries(path, lsoa_layer=lsoa_layer, beat_layer=beat_layer, la_layer=la_layer,
                           force_layer=force_layer, fields=mappings)


def lookup_table(areas: Areas) -> pd.DataFrame:
    """LSOA -> beat -> LA lookup (one row per LSOA) from the nested layers."""
    cols = [c for c in ("lsoa_code", "lsoa_name", "beat_code", "la_code", "population", "households")
            if c in areas.lsoa.columns]
    return pd.DataFrame(areas.lsoa[cols])

"""Redaction for public outputs, and a checker that nothing disclosive slipped through.

Public mode (handling label ``OFFICIAL``):

* small counts are suppressed: any count ``1 <= n < threshold`` (default 5) becomes missing
  (``None``/NaN in data, ``"<5"`` in text columns ending ``_text``); zero is kept;
* no offence points: only grid cells at least :data:`MIN_PUBLIC_CELL` metres across, or areas;
* sensitive categories (domestic abuse, sexual offences) are removed;
* internal outputs carry ``OFFICIAL-SENSITIVE``.

:func:`assert_public` scans a DataFrame, GeoDataFrame, DataArray, or an HTML, GeoPackage, CSV
or GeoJSON file and raises :class:`PublicationError` naming the first problem it finds.

References
----------
Office for National Statistics (2021). Statistical disclosure control: policy for tables.
Home Office / police.uk: street-level crime data are published as anonymised points snapped to
map points, with sexual offences and domestic flags withheld at location level.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.schema import HANDLING_FULL, HANDLING_PUBLIC

DEFAULT_THRESHOLD = 5
MIN_PUBLIC_CELL = 250.0

#: Columns treated as counts of offences (suppressed in public outputs).
COUNT_COLUMNS = ("count", "count_last", "n", "offences", "n_offences", "count_this", "total")

#: Text that marks a sensitive category (case-insensitive regular expression).
SENSITIVE_RE = re.compile(r"domestic|sexual|rape|sex offence|stalking", re.I)

#: Columns whose text is checked for sensitive categories.
CATEGORY_COLUMNS = ("crime_type", "offence_subtype", "sv_category", "main_types", "category_text")


class PublicationError(InputError):
    """A public output contains something that must be suppressed."""


def handling_label(public: bool) -> str:
    """``OFFICIAL`` for public outputs, ``OFFICIAL-SENSITIVE`` for full outputs."""
    return HANDLING_PUBLIC if public else HANDLING_FULL


def _check_threshold(threshold: int) -> int:
    if not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise ArgumentError("threshold", threshold, "a whole number >= 1 (counts below it are suppressed)")
    return int(threshold)


def _is_small(values, threshold: int) -> np.ndarray:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    return np.isfinite(v) & (v > 0) & (v < threshold)


def suppress_counts(df: pd.DataFrame, columns: Sequence[str] | None = None, *,
                    threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Suppress small counts in a (Geo)DataFrame copy.

    Each count column becomes float with NaN where ``0 < n < threshold``; a ``<column>_text``
    column is added with ``"<threshold>"`` there and the number elsewhere.
    """
    threshold = _check_threshold(threshold)
    out = df.copy()
    cols = [c for c in (columns if columns is not None else COUNT_COLUMNS) if c in out.columns]
    for c in cols:
        small = _is_small(out[c], threshold)
        vals = pd.to_numeric(out[c], errors="coerce").astype(float).mask(small)
        out[c] = vals
        out[f"{c}_text"] = [f"<{threshold}" if s else ("" if pd.isna(v) else f"{v:g}")
                            for s, v in zip(small, vals)]
    return out


def drop_sensitive(df: pd.DataFrame) -> pd.DataFrame:
    """Remove rows flagged domestic or of a sexual-offence category (any text column that names one)."""
    keep = np.ones(len(df), dtype=bool)
    if "domestic" in df.columns:
        keep &= ~df["domestic"].fillna(False).astype(bool).to_numpy()
    if "sv_category" in df.columns:
        keep &= ~df["sv_category"].astype(str).isin(["sexual", "domestic_serious"]).to_numpy()
    for c in ("offence_subtype", "category_text"):
        if c in df.columns:
            keep &= ~df[c].astype(str).str.contains(SENSITIVE_RE).to_numpy()
    return df.loc[keep].copy()


def scrub_text(df: pd.DataFrame, columns: Sequence[str] = ("main_types",)) -> pd.DataFrame:
    """Remove sensitive category names from list-like text (``"Robbery; Sexual offences"``)."""
    out = df.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].map(lambda s: "; ".join(p for p in re.split(r"\s*[;,]\s*", str(s))
                                                    if p and not SENSITIVE_RE.search(p)))
    return out


def _cell_size(gdf) -> float:
    b = gdf.geometry.bounds
    return float(np.nanmin(np.minimum(b["maxx"] - b["minx"], b["maxy"] - b["miny"]))) if len(gdf) else np.inf


def redact_frame(gdf, *, threshold: int = DEFAULT_THRESHOLD, min_cell: float = MIN_PUBLIC_CELL,
                 count_columns: Sequence[str] | None = None):
    """Make a (Geo)DataFrame publishable: no points, no small cells, no sensitive rows, small counts suppressed.

    Point geometries are refused (aggregate to cells or areas first). Polygons narrower than
    ``min_cell`` metres are refused. Rows of sensitive categories are dropped.

    Raises
    ------
    ArgumentError
        When the layer holds points or cells smaller than ``min_cell``.
    """
    out = drop_sensitive(gdf)
    out = scrub_text(out)
    if hasattr(out, "geometry") and "geometry" in getattr(out, "columns", []):
        types = set(out.geometry.geom_type.dropna())
        if types & {"Point", "MultiPoint"}:
            raise ArgumentError("gdf", "a layer of points",
                                "cells or areas: public outputs never show offence locations; aggregate first")
        if out.crs is not None and out.crs.is_projected:
            size = _cell_size(out)
            if size < min_cell - 1e-6:
                raise ArgumentError("gdf", f"cells {size:g} m across",
                                    f"cells at least {min_cell:g} m across for public outputs")
    return suppress_counts(out, count_columns, threshold=threshold)


def redact_grid(da, *, threshold: int = DEFAULT_THRESHOLD, min_cell: float = MIN_PUBLIC_CELL, counts: bool = True):
    """Public copy of a grid: refuses cells under ``min_cell`` m; suppresses small counts when ``counts``."""
    cell = float(da.attrs.get("cell", np.nan))
    if not np.isfinite(cell):
        xs = np.asarray(da["x"])
        cell = float(abs(xs[1] - xs[0])) if xs.size > 1 else np.nan
    if not cell >= min_cell - 1e-6:
        raise ArgumentError("da", f"a grid with {cell:g} m cells", f"cells at least {min_cell:g} m across "
                            "for public outputs; regrid with a larger cell")
    out = da.copy()
    if counts:
        threshold = _check_threshold(threshold)
        v = out.values.astype(float)
        v[np.isfinite(v) & (v > 0) & (v < threshold)] = np.nan
        out = out.copy(data=v)
    out.attrs["handling"] = HANDLING_PUBLIC
    out.attrs["suppression_threshold"] = threshold
    return out


# ---- checker -----------------------------------------------------------------------------------

def _fail(msg: str, path=None):
    raise PublicationError(msg + "; redact it with hotspot.publish.redact before publishing", path=path)


def _check_frame(df: pd.DataFrame, threshold: int, path=None, count_columns: Iterable[str] = COUNT_COLUMNS) -> None:
    cols = {c.lower(): c for c in df.columns}
    for c in count_columns:
        if c in cols and _is_small(df[cols[c]], threshold).any():
            i = int(np.flatnonzero(_is_small(df[cols[c]], threshold))[0])
            _fail(f"column {cols[c]!r} row {i + 1} holds a count below {threshold}", path)
    for c in df.columns:
        if c.lower().endswith("_text"):
            continue
        if df[c].dtype == object:
            s = df[c].astype(str)
            if c.lower() in CATEGORY_COLUMNS or c.lower() in ("domestic",):
                hit = s.str.contains(SENSITIVE_RE)
                if hit.any():
                    _fail(f"column {c!r} names a sensitive category ({s[hit].iloc[0]!r})", path)
            if s.str.contains(HANDLING_FULL, regex=False).any():
                _fail(f"column {c!r} carries the {HANDLING_FULL} label", path)
    if "domestic" in cols and df[cols["domestic"]].astype(str).str.lower().isin(["true", "1"]).any():
        _fail("rows flagged domestic are present", path)
    if "geometry" in df.columns and hasattr(df, "geom_type"):
        if set(df.geom_type.dropna()) & {"Point", "MultiPoint"}:
            _fail("point geometries are present (offence locations)", path)


_HTML_COUNT_RE = re.compile(r"[\"'](count|count_last|n|offences)[\"']\s*:\s*(-?\d+(?:\.\d+)?)")


def _check_html(text: str, threshold: int, path=None) -> None:
    if HANDLING_FULL in text:
        _fail(f"the page carries the {HANDLING_FULL} label", path)
    if HANDLING_PUBLIC not in text:
        _fail(f"the page has no {HANDLING_PUBLIC} handling label", path)
    for key, val in _HTML_COUNT_RE.findall(text):
        if 0 < float(val) < threshold:
            _fail(f"a {key!r} of {val} (below {threshold}) is embedded in the page", path)
    for m in re.finditer(r"data-count\s*=\s*[\"'](\d+)", text):
        if 0 < int(m.group(1)) < threshold:
            _fail(f"a table count of {m.group(1)} (below {threshold}) is in the page", path)
    if re.search(r"[\"']type[\"']\s*:\s*[\"'](Multi)?Point[\"']", text) and not re.search(
            r"[\"']kind[\"']\s*:\s*[\"']stop[\"']", text):
        _fail("GeoJSON point features are embedded (offence locations)", path)
    if re.search(r"sexual offences|domestic abuse", text, re.I):
        _fail("a sensitive category (sexual offences or domestic abuse) is named in the page", path)


def assert_public(obj, threshold: int = DEFAULT_THRESHOLD) -> None:
    """Raise :class:`PublicationError` if ``obj`` is not fit to publish.

    Parameters
    ----------
    obj : DataFrame, GeoDataFrame, DataArray, or path to .html/.htm, .gpkg, .csv, .geojson/.json
        The output to check. A GeoPackage is checked layer by layer.
    threshold : int
        Counts ``0 < n < threshold`` must not appear.
    """
    threshold = _check_threshold(threshold)
    if isinstance(obj, pd.DataFrame):
        return _check_frame(obj, threshold)
    if hasattr(obj, "dims") and hasattr(obj, "values"):  # xarray
        if obj.attrs.get("handling") == HANDLING_FULL:
            _fail(f"the grid is labelled {HANDLING_FULL}")
        cell = float(obj.attrs.get("cell", MIN_PUBLIC_CELL))
        if cell < MIN_PUBLIC_CELL:
            _fail(f"the grid has {cell:g} m cells (minimum {MIN_PUBLIC_CELL:g} m)")
        if str(obj.attrs.get("units", "count")) in ("count", "offences") and _is_small(
                np.asarray(obj.values).ravel(), threshold).any():
            _fail(f"the grid holds counts below {threshold}")
        return None
    path = Path(obj)
    if not path.exists():
        raise InputError("file not found; pass the output to check", path=path)
    suf = path.suffix.lower()
    if suf in (".html", ".htm"):
        return _check_html(path.read_text(encoding="utf-8", errors="replace"), threshold, path)
    if suf == ".csv":
        return _check_frame(pd.read_csv(path, dtype=str, keep_default_na=False), threshold, path)
    if suf in (".gpkg", ".geojson", ".json"):
        import geopandas as gpd
        import pyogrio

        if suf == ".json":
            data = json.loads(path.read_text())
            if data.get("type") != "FeatureCollection":
                raise InputError("JSON is not a GeoJSON FeatureCollection", path=path)
        layers = [name for name, _ in pyogrio.list_layers(path)]
        for layer in layers:
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
            try:
                _check_frame(gdf, threshold, path)
            except PublicationError as exc:
                raise PublicationError(f"layer {layer!r}: {exc}") from None
        return None
    raise ArgumentError("obj", str(path), "a DataFrame, DataArray or a .html, .csv, .gpkg or .geojson file")

"""Disclosure control for public outputs: deny by default, with an independent check.

Public mode (handling label ``OFFICIAL``), by :func:`public_table`:

* every publishable column declares its role in one place, :data:`PUBLIC_SCHEMA` (a count, a
  rate or change with the counts it comes from, a denominator, a measure, a label, an
  identifier, a code or class); any other column is left out;
* counts from 1 to ``threshold - 1`` (default 5) are withheld (primary suppression), and the next
  smallest count of a column with a single withheld cell too; every rate, share, difference,
  trend or percent change computed from a withheld count is withheld as well (secondary
  suppression); zero is kept;
* withheld values are empty with a ``<column>_suppressed`` flag column in data files and
  ``"<5"`` in pages (``<column>_text``);
* no offence points: only grid cells at least :data:`MIN_PUBLIC_CELL` metres across, or areas;
* domestic abuse and sexual offences are removed everywhere;
* internal outputs carry ``OFFICIAL-SENSITIVE``.

:func:`assert_public` judges a file or table with :mod:`hotspot.publish.scan`, a scanner that
knows nothing of this module's lists.

References
----------
Office for National Statistics (2021). Statistical disclosure control: policy for tables.
Home Office / police.uk: street-level crime data are published as anonymised points snapped to
map points, with sexual offences and domestic flags withheld at location level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.publish import scan
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


#: police.uk categories that include sexual offences (police.uk does not separate them): public
#: outputs leave the whole category out.
POLICEUK_WITH_SEXUAL = ("Violence and sexual offences",)


def drop_sensitive(df: pd.DataFrame) -> pd.DataFrame:
    """Remove rows flagged domestic or of a sexual-offence category (any text column that names one).

    police.uk's "Violence and sexual offences" cannot be split, so the whole category goes: a public
    police.uk cycle analyses robbery (and any other category asked for) only.
    """
    keep = np.ones(len(df), dtype=bool)
    if "domestic" in df.columns:
        keep &= ~df["domestic"].fillna(False).astype(bool).to_numpy()
    if "sv_category" in df.columns:
        keep &= ~df["sv_category"].astype(str).isin(["sexual", "domestic_serious",
                                                      "violence_and_sexual_offences"]).to_numpy()
    if "crime_type" in df.columns and "time_precision" in df.columns:
        month_only = df["time_precision"].astype(str).eq("month").to_numpy()
        keep &= ~(month_only & df["crime_type"].astype(str).isin(POLICEUK_WITH_SEXUAL).to_numpy())
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
                 count_columns: Sequence[str] | None = None, text: bool = True):
    """Make a (Geo)DataFrame publishable: :func:`public_table` (deny by default).

    ``text`` (default True, for pages) adds ``<column>_text`` columns holding ``"<5"``; data files
    are written with ``text=False`` (empty value plus the ``<column>_suppressed`` flag).

    ``count_columns`` is accepted for compatibility and ignored: roles come from
    :data:`PUBLIC_SCHEMA` only. Point geometries and cells under ``min_cell`` are refused.

    Raises
    ------
    ArgumentError
        When the layer holds points or cells smaller than ``min_cell``.
    """
    del count_columns
    return public_table(gdf, threshold=threshold, text=text, min_cell=min_cell)


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


# ---- deny-by-default public tables -------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """The disclosure role of a publishable column.

    ``role`` is one of

    ``count``        offences (or areas, cells) counted: suppressed when ``1 <= n < threshold``;
    ``rate``         a rate, share or text derived from the counts ``of``: withheld wherever one
                     of them is withheld (or missing from the table: it then cannot be checked);
    ``change``       a difference, percent change or trend of the counts ``of``: likewise;
    ``denominator``  a published population base (population, households);
    ``measure``      a statistic not recoverable to a count (z, p, expected value, IMD score);
    ``label``        text (names, categories, handling);
    ``identifier``   codes of units (text) and coordinates;
    ``code``         a number that codes the text column ``of`` (class / class_label);
    ``class``        a class published as text with ``fmt`` (IMD decile -> "decile 3");
    ``rank``         1..n (published as text ``#k`` in tables too short for a row key);
    ``expected``     an expected count derived from past counts (a forecast, a background
                     expectation): withheld wherever it is above 0 and below the threshold, since a
                     forecast built from few past offences can give those offences back.
    """

    role: str
    of: tuple[str, ...] = ()
    fmt: str = "{}"


_C, _L, _I, _M = Column("count"), Column("label"), Column("identifier"), Column("measure")

#: Every column the engine may publish, with its role. Anything not here is left out of public
#: outputs (deny by default). Rates and changes name the counts they come from.
PUBLIC_SCHEMA: dict[str, Column] = {
    # counts
    "count": _C, "count_last": _C, "count_before": _C, "count_after": _C, "total_count": _C,
    "offences": _C, "serious_violence": _C, "knife": _C, "knife_sv": _C, "lsoas": _C, "n_units": _C,
    "n": _C, "n_offences": _C, "count_this": _C, "total": _C, "sv_count": _C,
    # rates, shares and texts derived from counts
    "offences_per_1000": Column("rate", ("offences",)), "sv_per_1000": Column("rate", ("serious_violence",)),
    "knife_per_1000": Column("rate", ("knife",)), "knife_sv_per_1000": Column("rate", ("knife_sv",)),
    "sv_per_100_uc": Column("rate", ("serious_violence",)), "sv_rate": Column("rate", ("serious_violence",)),
    "share_offences": Column("rate", ("offences",)), "share_sv": Column("rate", ("serious_violence",)),
    "peak_window": Column("rate", ("count",)), "main_types": Column("rate", ("count",)),
    # changes
    "trend": Column("change", ("count", "count_last")),
    "difference": Column("change", ("count_before", "count_after")),
    "pct_change": Column("change", ("count_before", "count_after")),
    # denominators and public statistics
    "population": Column("denominator"), "households": Column("denominator"),
    "uc_households": Column("denominator"), "uc_per_100_households": _M, "uc_rate": _M,
    "share_population": _M, "imd_score": _M, "share_pop_decile_1": _M,
    # measures
    "z": _M, "p": _M, "p_adjusted": _M, "trend_z": _M, "trend_p": _M, "final_z": _M,
    "expected": Column("expected"),
    "units_share": _M, "value": _M, "radius_m": _M, "horizon_days": _M,
    # labels and identifiers
    "name": _L, "class_label": _L, "change": _L, "category": _L, "handling": _L, "origin": _L,
    "unit": _L, "measure": _L, "day": _L, "lsoa_name": _L, "beat_name": _L, "la_name": _L,
    "lsoa_code": _I, "beat_code": _I, "la_code": _I, "x": _I, "y": _I,
    "class": Column("code", ("class_label",)), "change_code": Column("code", ("change",)),
    "category_code": Column("code", ("category",)),
    "imd_decile": Column("class", fmt="decile {:.3g}"), "rank": Column("rank"),
}

#: Columns named by pattern: the hour columns ``0`` .. ``23`` of a day x hour table are counts.
PUBLIC_PATTERNS: list[tuple[re.Pattern, Column]] = [(re.compile(r"^\d{1,2}$"), _C)]

#: Suffix of the flag column that marks a withheld value in data files.
FLAG = "_suppressed"


def column_role(name: str) -> Column | None:
    """The declared role of a column, or None (then it is never published)."""
    col = PUBLIC_SCHEMA.get(str(name))
    if col is None:
        for pat, c in PUBLIC_PATTERNS:
            if pat.match(str(name)):
                return c
    return col


def _complement(small: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Secondary suppression: with exactly one withheld cell in a column, withhold the next smallest
    non-zero one too, so the column total (published elsewhere) minus the rest gives nothing back."""
    if small.sum() != 1 or values.size < 2:
        return small
    cand = np.where(~small & np.isfinite(values) & (values > 0), values, np.inf)
    if np.isfinite(cand).any():
        small = small.copy()
        small[int(np.argmin(cand))] = True
    return small


def public_table(df: pd.DataFrame, *, threshold: int = DEFAULT_THRESHOLD, text: bool = False,
                 min_cell: float = MIN_PUBLIC_CELL) -> pd.DataFrame:
    """The public (OFFICIAL) copy of a table or layer, denying by default.

    * rows of domestic or sexual offences are dropped and their names scrubbed from text lists;
    * only columns declared in :data:`PUBLIC_SCHEMA` (or :data:`PUBLIC_PATTERNS`) are kept;
    * counts from 1 to ``threshold - 1`` are withheld (primary suppression), plus the next
      smallest count of a column with exactly one withheld cell (secondary suppression);
    * every rate and change is withheld where a count it comes from is withheld, and dropped when
      those counts are not in the table (it could not be checked);
    * classes are published as text; in data files (``text=False``) ranks are text (``#1``) and
      numeric codes are left out beside their labels (pages keep both for styling);
    * withheld values are empty with a ``<column>_suppressed`` flag column, or, with ``text``
      (for HTML), also a ``<column>_text`` column holding ``"<threshold>"``.

    Point geometries and cells narrower than ``min_cell`` are refused (:class:`ArgumentError`).
    """
    threshold = _check_threshold(threshold)
    out = scrub_text(drop_sensitive(df))
    geo = hasattr(out, "geometry") and "geometry" in getattr(out, "columns", [])
    if geo:
        _check_geometry(out, min_cell)
    roles = {c: r for c in out.columns if c != "geometry" and (r := column_role(c)) is not None}
    keep = list(roles)
    withheld: dict[str, np.ndarray] = {}
    for c in keep:
        if roles[c].role == "count":
            v = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=float)
            withheld[c] = _complement(np.isfinite(v) & (v >= 1) & (v < threshold), v)
        elif roles[c].role == "expected":
            v = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=float)
            withheld[c] = np.isfinite(v) & (v > 0) & (v < threshold)
    res = {}
    for c in keep:
        r = roles[c]
        col = out[c]
        if r.role in ("count", "expected"):
            v = pd.to_numeric(col, errors="coerce").astype(float)
            res[c] = v.mask(withheld[c])
        elif r.role in ("rate", "change"):
            if not all(o in withheld for o in r.of):
                continue  # its counts are not here: cannot be checked, so not published
            w = np.zeros(len(out), dtype=bool)
            for o in r.of:
                w |= withheld[o]
            withheld[c] = w
            res[c] = col.astype(object).mask(w) if col.dtype == object else col.mask(w)
        elif r.role == "code":  # pages style by the code; data files carry only its text label
            if not text or not all(o in out.columns for o in r.of):
                continue
            res[c] = col
        elif r.role == "class":
            res[c] = col.map(lambda x, fmt=r.fmt: "" if pd.isna(x) else fmt.format(float(x)))
        elif r.role == "rank":  # numeric for pages (markers are numbered); text "#k" in data files
            res[c] = col if text else col.map(lambda x: "" if pd.isna(x) else f"#{int(x)}")
        else:
            res[c] = col
    frame = pd.DataFrame(res, index=out.index)
    for c, w in withheld.items():
        if c in frame.columns and w.any():
            frame[f"{c}{FLAG}"] = w
            if text:
                frame[f"{c}_text"] = [f"<{threshold}" if s else "" for s in w]
    if geo:

        return gpd.GeoDataFrame(frame, geometry=out.geometry.values, crs=out.crs)
    return frame


def _check_geometry(gdf, min_cell: float) -> None:
    types = set(gdf.geometry.geom_type.dropna())
    if types & {"Point", "MultiPoint"}:
        raise ArgumentError("gdf", "a layer of points",
                            "cells or areas: public outputs never show offence locations; aggregate first")
    if gdf.crs is not None and gdf.crs.is_projected:
        size = _cell_size(gdf)
        if size < min_cell - 1e-6:
            raise ArgumentError("gdf", f"cells {size:g} m across",
                                f"cells at least {min_cell:g} m across for public outputs")


def public_manifest(manifest: dict) -> dict:
    """The manifest of a public cycle: no input paths, parameters or quarantine figures."""
    keep = ("cycle_id", "handling", "created", "period", "versions", "outputs", "model_sha256",
            "suppression_threshold")
    return {k: manifest[k] for k in keep if k in manifest}


# ---- checker -----------------------------------------------------------------------------------

def _fail(msg: str, path=None):
    raise PublicationError(msg + "; redact it with hotspot.publish.redact before publishing", path=path)


def assert_public(obj, threshold: int = DEFAULT_THRESHOLD) -> None:
    """Raise :class:`PublicationError` if ``obj`` is not fit to publish.

    Files and DataFrames are judged by the independent scanner :mod:`hotspot.publish.scan`, which
    knows nothing of this module's lists; grids by their cell size and values.

    Parameters
    ----------
    obj : DataFrame, GeoDataFrame, DataArray, or path to .html/.htm, .gpkg, .csv, .geojson/.json
        The output to check. A GeoPackage is checked layer by layer.
    threshold : int
        Counts ``0 < n < threshold`` must not appear or be recoverable.
    """

    threshold = _check_threshold(threshold)
    if isinstance(obj, pd.DataFrame):
        found = scan.scan_table(obj, threshold)
        if found:
            _fail("; ".join(map(str, found[:5])))
        return None
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
    found = scan.scan_file(path, threshold)
    if found:
        _fail(f"{len(found)} finding(s): " + "; ".join(map(str, found[:5])), path)
    return None

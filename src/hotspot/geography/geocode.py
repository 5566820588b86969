"""Place offences in their LSOA, beat and local authority.

A point takes the polygon that contains it (points on a shared boundary take the polygon with the
smallest code, so the answer is deterministic). A point outside every polygon but within
``tolerance`` metres of one (coastline, snapping) takes the nearest; the rest are quarantined as
``outside_study_area``. Offences without coordinates but with a postcode are placed at the
postcode centroid from an ONSPD-shaped lookup. The method is recorded per row in
``geocode_method``.

:func:`load_offences` is the entry point every later command uses: it reads any input the
readers accept (or an already geocoded GeoPackage), validates, geocodes and reconciles.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from hotspot.crs import require_crs, to_bng
from hotspot.errors import ArgumentError, InputError
from hotspot.geography.areas import Areas
from hotspot.ingest import read_offences
from hotspot.ingest.audit import audit_offences
from hotspot.ingest.checks import totals
from hotspot.io import write_gpkg
from hotspot.paths import data_dir
from hotspot.schema import BNG

NO_MATCH = -1


# ---- point in polygon ----------------------------------------------------------------------

def locate(x: np.ndarray, y: np.ndarray, polygons: gpd.GeoSeries | np.ndarray,
           tolerance: float = 50.0, tree: shapely.STRtree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Index of the polygon each point falls in, or the nearest one within ``tolerance``.

    Parameters
    ----------
    x, y : ndarray
        Point coordinates in the polygons' CRS (metres); NaN gives no match.
    polygons : GeoSeries or ndarray of shapely geometries
        Order defines precedence: on a shared boundary the lowest index wins.
    tolerance : float
        Largest distance in metres at which a point outside every polygon takes the nearest.
    tree : shapely.STRtree, optional
        A prebuilt tree over ``polygons`` (reuse across calls).

    Returns
    -------
    index : ndarray of int64
        Polygon position, or ``NO_MATCH`` (-1).
    nearest : ndarray of bool
        True where the match came from the tolerance rule.
    """
    if tolerance < 0 or not np.isfinite(tolerance):
        raise ArgumentError("tolerance", tolerance, "a finite distance in metres >= 0")
    geoms = np.asarray(polygons.values if isinstance(polygons, gpd.GeoSeries) else polygons)
    tree = tree or shapely.STRtree(geoms)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.size
    index = np.full(n, NO_MATCH, dtype=np.int64)
    nearest = np.zeros(n, dtype=bool)
    ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if ok.size == 0:
        return index, nearest
    pts = shapely.points(x[ok], y[ok])
    pt_i, poly_i = tree.query(pts, predicate="intersects")
    if pt_i.size:
        order = np.lexsort((poly_i, pt_i))  # by point, then lowest polygon index
        pt_i, poly_i = pt_i[order], poly_i[order]
        first = np.ones(pt_i.size, dtype=bool)
        first[1:] = pt_i[1:] != pt_i[:-1]
        index[ok[pt_i[first]]] = poly_i[first]
    if tolerance > 0:
        miss = ok[index[ok] == NO_MATCH]
        if miss.size:
            mpts = shapely.points(x[miss], y[miss])
            (pi, qi), dist = tree.query_nearest(mpts, max_distance=tolerance, return_distance=True,
                                                all_matches=True)
            if pi.size:
                order = np.lexsort((qi, dist, pi))
                pi, qi = pi[order], qi[order]
                first = np.ones(pi.size, dtype=bool)
                first[1:] = pi[1:] != pi[:-1]
                index[miss[pi[first]]] = qi[first]
                nearest[miss[pi[first]]] = True
    return index, nearest


# ---- postcodes ------------------------------------------------------------------------------

def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper-case, remove spaces (``"bs1 4dj"`` -> ``"BS14DJ"``); missing stays missing."""
    s = values.astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    return s.where(s.str.len() > 0)


#: OS Code-Point Open CSVs have no header row; these are its columns (Doc/Code-Point_Open_Column_Headers.csv).
CODEPOINT_COLUMNS = ["PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC"]
_POSTCODE = r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$"


def _is_codepoint(path: Path) -> bool:
    """A headerless CSV whose first cell is a postcode and 3rd/4th cells whole metres (Code-Point Open)."""

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        first = next(csv.reader(fh), [])
    return (len(first) >= 4 and bool(pd.Series([first[0].strip().upper()]).str.match(_POSTCODE).iat[0])
            and first[2].strip().isdigit() and first[3].strip().isdigit())


def read_codepoint(paths) -> pd.DataFrame:
    """Read OS Code-Point Open CSVs (one per postcode area, no header, eastings/northings in BNG).

    Postcodes without coordinates (positional quality 90: easting and northing 0) are dropped.
    Returns ``postcode_key, easting, northing`` indexed by ``postcode_key``.

    References
    ----------
    .. [1] Ordnance Survey. *Code-Point Open user guide and technical specification.*
    """
    frames = []
    for p in paths:
        df = pd.read_csv(p, header=None, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        df = df.iloc[:, :len(CODEPOINT_COLUMNS)]
        df.columns = CODEPOINT_COLUMNS[:df.shape[1]]
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    e = pd.to_numeric(df["EA"], errors="coerce")
    n = pd.to_numeric(df["NO"], errors="coerce")
    ok = (e > 0) & (n > 0)
    out = pd.DataFrame({"postcode_key": normalise_postcode(df["PC"]), "easting": e.where(ok),
                        "northing": n.where(ok)})
    return out.dropna().drop_duplicates("postcode_key").set_index("postcode_key")


def read_postcodes(path: str | Path | None = None) -> pd.DataFrame:
    """Read a postcode lookup: ONSPD-shaped, or OS Code-Point Open as published.

    ONSPD columns: ``pcds`` (or ``pcd``) and either ``oseast1m``/``osnrth1m`` (BNG metres) or
    ``lat``/``long``. ONSPD's "no grid reference" values (lat 99.999999, empty eastings) are
    dropped. Code-Point Open (headerless ``PC, PQ, EA, NO, ...`` CSVs, ``.csv`` or ``.csv.gz``; a
    folder of them) is recognised from its content. Returns ``postcode_key, easting, northing``
    indexed by ``postcode_key``.
    """
    path = Path(path) if path is not None else data_dir() / "postcodes.csv"
    if not path.exists():
        raise InputError("postcode lookup not found; pass --postcodes PATH (ONSPD or Code-Point Open)",
                         path=path)
    if path.is_dir():
        files = sorted(f for f in path.iterdir() if f.name.lower().endswith((".csv", ".csv.gz"))
                       and _is_codepoint(f))
        if not files:
            raise InputError("the folder holds no Code-Point Open CSVs (headerless PC, PQ, EA, NO, ...); "
                             "pass an ONSPD CSV or the Code-Point Open Data/CSV folder", path=path)
        return read_codepoint(files)
    if _is_codepoint(path):
        return read_codepoint([path])
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    cols = {c.lower(): c for c in df.columns}
    pc = cols.get("pcds") or cols.get("pcd") or cols.get("postcode")
    if pc is None:
        raise InputError("postcode lookup needs a 'pcds' (or 'pcd') column", path=path, column="pcds")
    if "oseast1m" in cols and "osnrth1m" in cols:
        e = pd.to_numeric(df[cols["oseast1m"]], errors="coerce")
        n = pd.to_numeric(df[cols["osnrth1m"]], errors="coerce")
    elif "lat" in cols and "long" in cols:
        lat = pd.to_numeric(df[cols["lat"]], errors="coerce")
        lon = pd.to_numeric(df[cols["long"]], errors="coerce")
        lat = lat.where(lat < 90)
        e, n = (pd.Series(v, index=df.index) for v in to_bng(lon, lat))
    else:
        raise InputError("postcode lookup needs 'oseast1m'/'osnrth1m' or 'lat'/'long' columns",
                         path=path)
    out = pd.DataFrame({"postcode_key": normalise_postcode(df[pc]), "easting": e, "northing": n})
    out = out.dropna().drop_duplicates("postcode_key").set_index("postcode_key")
    return out


# ---- geocoding ------------------------------------------------------------------------------

def _quarantine_rows(df: pd.DataFrame, reason: str, detail: pd.Series | str) -> pd.DataFrame:
    keep = [c for c in ("offence_id", "occurred_at", "month", "crime_type", "easting", "northing",
                        "postcode", "location") if c in df.columns]
    q = df[keep].astype("string").copy()
    q.insert(0, "source_line", df["source_line"].to_numpy() if "source_line" in df else -1)
    q.insert(0, "source_file", df["source_file"].to_numpy() if "source_file" in df else "")
    q.insert(2, "reason", reason)
    q.insert(3, "detail", detail if isinstance(detail, str) else detail.to_numpy())
    return q.reset_index(drop=True)


def refuse_embedded_for_real(df: pd.DataFrame) -> None:
    """Raise when real offences would be placed on the embedded synthetic boundaries.

    Real police.uk rows carry police.uk's own LSOA codes (``published_lsoa``: ``E01``/``W01``); the
    embedded world uses ``X01`` codes. Mixing them silently put real offences in ``X01`` LSOAs.
    """
    pub = df["published_lsoa"].astype(str) if "published_lsoa" in df else pd.Series(dtype=str)
    if pub.str.match(r"^[EW]01").any():
        raise InputError("these are real police.uk offences (LSOA codes such as "
                         f"{pub[pub.str.match(r'^[EW]01')].iloc[0]}) and no boundaries were given; pass the "
                         "ONS boundary files with --boundaries PATH (the embedded synthetic boundaries are "
                         "only for `hotspot demo` or when named explicitly)")


def geocode(df: pd.DataFrame, areas: Areas | None = None, *, tolerance: float = 50.0,
            postcodes: pd.DataFrame | None = None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Add ``lsoa_code, beat_code, la_code, geocode_method`` and BNG point geometry.

    Parameters
    ----------
    df : DataFrame
        Offences with ``easting``/``northing`` in EPSG:27700 (NaN where unknown) and optionally
        ``postcode``.
    areas : Areas, optional
        Boundary layers (default: the embedded ones, refused for real police.uk rows: see
        :func:`refuse_embedded_for_real`).
    tolerance : float
        Metres beyond the outermost polygon within which a point takes the nearest area.
    postcodes : DataFrame, optional
        From :func:`read_postcodes`; loaded from the embedded lookup when rows need it.

    Returns
    -------
    accepted : GeoDataFrame
        Geocoded offences (EPSG:27700), input order kept.
    quarantined : DataFrame
        Rows that could not be placed, with ``reason`` ``outside_study_area``,
        ``unknown_postcode`` or ``missing_coordinates``.
    """
    if areas is None:
        raise ArgumentError("areas", None, "the boundary layers to geocode into (hotspot.study_area(...); "
                            "the embedded synthetic world is never used unasked)")
    work = df.copy()
    for col in ("easting", "northing"):
        if col not in work.columns:
            raise InputError(f"offences have no {col!r} column; read them with hotspot.ingest first",
                             column=col)
    x = work["easting"].to_numpy(dtype=float).copy()
    y = work["northing"].to_numpy(dtype=float).copy()
    method = np.where(np.isfinite(x) & np.isfinite(y), "within", "").astype(object)
    reasons = np.full(len(work), "", dtype=object)
    details = np.full(len(work), "", dtype=object)

    need_pc = ~(np.isfinite(x) & np.isfinite(y))
    if need_pc.any():
        pcs = normalise_postcode(work["postcode"]) if "postcode" in work else pd.Series(
            pd.NA, index=work.index, dtype="string")
        has_pc = need_pc & pcs.notna().to_numpy()
        reasons[need_pc & ~has_pc] = "missing_coordinates"
        details[need_pc & ~has_pc] = "no coordinates and no postcode"
        if has_pc.any():
            lookup = postcodes if postcodes is not None else read_postcodes()
            hit = lookup.reindex(pcs[has_pc].to_numpy())
            found = hit["easting"].notna().to_numpy()
            idx = np.flatnonzero(has_pc)
            x[idx[found]] = hit["easting"].to_numpy()[found]
            y[idx[found]] = hit["northing"].to_numpy()[found]
            method[idx[found]] = "postcode"
            reasons[idx[~found]] = "unknown_postcode"
            details[idx[~found]] = [f"postcode {p!r} is not in the postcode lookup"
                                    for p in work["postcode"].to_numpy()[idx[~found]]]

    lsoa = areas.lsoa
    pos, near = locate(x, y, lsoa.geometry, tolerance=tolerance)
    placed = pos != NO_MATCH
    method[placed & near & (method == "within")] = "nearest"
    outside = ~placed & (reasons == "")
    reasons[outside] = "outside_study_area"
    details[outside] = [f"({xi:.0f}, {yi:.0f}) is more than {tolerance:g} m from every LSOA"
                        for xi, yi in zip(x[outside], y[outside])]

    work["easting"], work["northing"] = x, y
    codes = {}
    codes["lsoa_code"] = lsoa["lsoa_code"].to_numpy()[np.where(placed, pos, 0)]
    for level, col in (("beat", "beat_code"), ("la", "la_code")):
        if col in lsoa.columns:
            codes[col] = lsoa[col].to_numpy()[np.where(placed, pos, 0)]
        else:
            layer = getattr(areas, level)
            if layer is None:
                codes[col] = np.full(len(work), "", dtype=object)
                continue
            p2, _ = locate(x, y, layer.geometry, tolerance=max(tolerance, 1.0))
            codes[col] = np.where(p2 != NO_MATCH, layer[col].to_numpy()[np.where(p2 >= 0, p2, 0)], "")
    for col, vals in codes.items():
        work[col] = pd.array(vals, dtype=object)
    work["geocode_method"] = method
    ok = reasons == ""
    q = work[~ok]
    quarantined = _quarantine_rows(q, "", "") if len(q) else _quarantine_rows(q, "", "")
    if len(q):
        quarantined["reason"] = reasons[~ok]
        quarantined["detail"] = details[~ok]
    acc = work[ok].drop(columns=[c for c in ("geometry",) if c in work.columns])
    gdf = gpd.GeoDataFrame(acc, geometry=gpd.points_from_xy(acc["easting"], acc["northing"]), crs=BNG)
    return gdf.reset_index(drop=True), quarantined


# ---- the entry point ------------------------------------------------------------------------

@dataclass
class OffencesResult:
    """Geocoded offences with everything that was set aside.

    Attributes
    ----------
    offences : GeoDataFrame
        One row per accepted offence (``schema.OFFENCE_COLUMNS`` + ``GEOCODE_COLUMNS``), BNG.
    quarantine : DataFrame
        Every rejected row with ``source_file, source_line, reason, detail`` and its values.
    report : dict
        ``files`` (per input: rows_read, accepted, quarantined, by_reason) and ``totals``.
    audit : dict
        The data-quality audit (:func:`hotspot.ingest.audit.audit_offences`): months, times,
        No Location, outside the force, duplicates, police.uk LSOA agreement, reconciliation.
    """

    offences: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    report: dict = field(default_factory=dict)
    audit: dict = field(default_factory=dict)


def is_geocoded_gpkg(path: str | Path) -> bool:
    """True for a GeoPackage holding an ``offences`` layer written by :func:`write_offences`."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False

    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
        if "offences" not in layers:
            return False
        info = pyogrio.read_info(path, layer="offences")
    except Exception:
        return False
    return "lsoa_code" in set(info["fields"])


def read_geocoded(path: str | Path) -> gpd.GeoDataFrame:
    """Read the ``offences`` layer of a geocoded GeoPackage (restoring dtypes)."""

    gdf = gpd.read_file(path, layer="offences", engine="pyogrio")
    gdf = require_crs(gdf, "offences", path=path)
    if "occurred_at" in gdf.columns:
        gdf["occurred_at"] = pd.to_datetime(gdf["occurred_at"], errors="coerce")
        if getattr(gdf["occurred_at"].dt, "tz", None) is not None:
            gdf["occurred_at"] = gdf["occurred_at"].dt.tz_localize(None)
    for col in ("knife", "domestic", "serious_violence"):
        if col in gdf.columns:  # knife/domestic may be unknown (NULL: police.uk)
            gdf[col] = gdf[col].astype("boolean" if col != "serious_violence" else bool)
    for col in ("sv_category", "offence_subtype", "location", "lsoa_code", "beat_code", "la_code"):
        if col in gdf.columns:
            gdf[col] = gdf[col].fillna("").astype(str)
    return gdf


def write_offences(offences: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write geocoded offences as a GeoPackage (layer ``offences``) atomically."""

    out = offences.copy()
    if "occurred_at" in out.columns:
        # GDAL has no naive datetime type: write ISO text, read_geocoded parses it back
        out["occurred_at"] = out["occurred_at"].dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
    return write_gpkg(path, {"offences": out})


def _empty_report() -> dict:
    return {"files": {}, "totals": {"rows_read": 0, "accepted": 0, "quarantined": 0, "by_reason": {}}}


def merge_geocode_into_report(report: dict, quarantined: pd.DataFrame) -> dict:
    """Move geocoding rejects from ``accepted`` to ``quarantined`` per file and re-total."""
    files = report.setdefault("files", {})
    for (src, reason), n in quarantined.groupby(["source_file", "reason"]).size().items():
        entry = files.setdefault(src, {"rows_read": 0, "accepted": 0, "quarantined": 0, "by_reason": {}})
        entry["accepted"] -= int(n)
        entry["quarantined"] += int(n)
        entry["by_reason"][reason] = entry["by_reason"].get(reason, 0) + int(n)
    for entry in files.values():
        if entry["rows_read"] != entry["accepted"] + entry["quarantined"]:
            raise AssertionError(f"row counts do not reconcile for {entry}")
    report["totals"] = totals(files)
    return report


def load_offences(inputs: Sequence[str | Path] | str | Path, *, areas: Areas | None = None,
                  tolerance: float = 50.0, mapping: Mapping | str | Path | None = None,
                  now=None, rules=None, postcodes: str | Path | pd.DataFrame | None = None,
                  earliest=None, latest=None) -> OffencesResult:
    """Read, validate and geocode offence inputs; reconcile every row.

    Parameters
    ----------
    inputs : path or list of paths
        police.uk CSVs/folders/zip, timestamped extracts (CSV, CSV.gz, GeoPackage), canonical
        CSVs, or GeoPackages already geocoded by ``hotspot geocode`` (layer ``offences``).
    areas : Areas, optional
        Boundary layers (required: :func:`hotspot.geography.areas.read_boundaries`, or
        :func:`~hotspot.geography.areas.embedded_areas` for the demo world).
    tolerance : float
        Geocoding tolerance in metres (default 50).
    mapping, now, rules, earliest, latest :
        Passed to :func:`hotspot.ingest.read_offences` (``earliest``/``latest``: the plausible date
        window; rows outside it are quarantined).
    postcodes : path or DataFrame, optional
        ONSPD-shaped or Code-Point Open postcode lookup, for rows without coordinates.

    Returns
    -------
    OffencesResult
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise ArgumentError("inputs", inputs, "at least one offence file or folder")
    pre = [p for p in inputs if is_geocoded_gpkg(p)]
    raw = [p for p in inputs if p not in pre]
    frames: list[gpd.GeoDataFrame] = []
    quarantines: list[pd.DataFrame] = []
    report = _empty_report()
    for p in pre:
        g = read_geocoded(p)
        frames.append(g)
        report["files"][str(p)] = {"rows_read": len(g), "accepted": len(g), "quarantined": 0,
                                   "by_reason": {}, "format": "geocoded-gpkg"}
    if raw:

        res = read_offences(raw, mapping=mapping, now=now, rules=rules, earliest=earliest, latest=latest)
        report["files"].update(res.report.get("files", {}))
        if len(res.quarantine):
            quarantines.append(res.quarantine)
        pc = postcodes if isinstance(postcodes, pd.DataFrame) else (
            read_postcodes(postcodes) if postcodes is not None else None)
        gdf, q = geocode(res.accepted, areas, tolerance=tolerance, postcodes=pc)
        frames.append(gdf)
        if len(q):  # geocoding rejects keep their original values too
            q["raw"] = res.original_values(q["source_file"], q["source_line"])
            quarantines.append(q)
            merge_geocode_into_report(report, q)
    merge_geocode_into_report(report, pd.DataFrame(columns=["source_file", "reason"]))
    offences = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    offences = gpd.GeoDataFrame(offences, geometry="geometry", crs=BNG)
    if len(pre) and len(frames) > 1:
        dup = offences["offence_id"].duplicated()
        if dup.any():
            raise InputError(f"{int(dup.sum())} offence ids appear in more than one input "
                             f"(first: {offences.loc[dup, 'offence_id'].iloc[0]!r}); pass each extract once")
    quarantine = pd.concat(quarantines, ignore_index=True) if quarantines else pd.DataFrame(
        columns=["source_file", "source_line", "reason", "detail"])
    if report["totals"]["accepted"] != len(offences):
        raise AssertionError("accepted count does not match the offences table")

    audit = audit_offences(offences, quarantine, expected_rows=report["totals"]["rows_read"])
    return OffencesResult(offences=offences, quarantine=quarantine, report=report, audit=audit)

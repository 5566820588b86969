"""Timestamped offence extracts (CSV, CSV.gz, GeoPackage) and the shared tabular readers.

Column names are recognised case-insensitively after turning spaces, dashes and dots into
underscores (``Crime Ref`` -> ``crime_ref``). Anything else is named in a small TOML mapping::

    [columns]
    id = "URN"                      # offence id
    occurred_at = "Committed"       # one timestamp column, or:
    # occurred_from = "From Date"   # a from/to range (see [formats] time_range), or:
    # date = "Date"                 # separate date and time columns
    # time = "Time"
    easting = "X"                   # or longitude = ..., latitude = ... (WGS84 degrees)
    northing = "Y"
    crime_type = "Offence Group"
    offence_subtype = "HO Description"
    offence_code = "HO Code"        # Home Office classification code (8N, 34B ...): harm weights
    postcode = "Postcode"
    knife = "Knife Flag"
    domestic = "DA Flag"
    location = "Street"

    [formats]
    datetime = "%d/%m/%Y %H:%M"     # strptime format; default: ISO 8601, then day-first guessing
    dayfirst = true                 # how ambiguous dates such as 03/04/2021 are read (UK: true)
    time_range = "from"             # "from" (default) or "midpoint" of occurred_from..occurred_to

    [offence_types]                 # internal offence descriptions -> police.uk crime types
    "Wounding with intent" = "Violence and sexual offences"

    [source]
    layer = "offences"              # GeoPackage layer (default: the first)

Time precision: ``"exact"`` for a timestamp, ``"day"`` when only a date is known (a ``date``
column without ``time``, or an empty ``time``); such rows are placed at midnight and should be
left out of hour-of-day profiles.

From/to ranges: ``occurred_at`` is the ``from`` time by default (the earliest moment the offence
can have happened; the convention of most crime-analysis tools for aoristic-free work) or the
midpoint with ``time_range = "midpoint"``; a ``to`` earlier than ``from`` is quarantined as
``inverted_time_range``.
"""

from __future__ import annotations

import io
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import pyogrio

from hotspot.crs import require_crs
from hotspot.errors import ConfigError, InputError
from hotspot.ingest.checks import Flags, _esc, check_bng, check_lonlat, lazy, out_of_range_text
from hotspot.ingest.safety import gunzip
from hotspot.schema import POLICEUK_CRIME_TYPES

#: Canonical field -> recognised (normalised) column names, in order of preference.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("offence_id", "crime_id", "id", "crime_ref", "crime_reference", "crime_number", "urn",
           "reference"),
    "occurred_at": ("occurred_at", "datetime", "date_time", "occurred", "timestamp", "offence_datetime"),
    "occurred_from": ("occurred_from", "from", "from_datetime", "committed_from", "start_datetime"),
    "occurred_to": ("occurred_to", "to", "to_datetime", "committed_to", "end_datetime"),
    "date": ("date", "offence_date", "occurred_date"),
    "time": ("time", "offence_time", "occurred_time"),
    "easting": ("easting", "x", "bng_x", "grid_x", "os_x"),
    "northing": ("northing", "y", "bng_y", "grid_y", "os_y"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "latitude": ("latitude", "lat"),
    "crime_type": ("crime_type", "offence_type", "crime_category", "offence_group"),
    "offence_subtype": ("offence_subtype", "subtype", "offence_description", "ho_offence",
                        "offence_subgroup"),
    "offence_code": ("offence_code", "ho_code", "home_office_code", "ho_offence_code", "hocr_code",
                     "offence_classification", "classification_code"),
    "postcode": ("postcode", "post_code", "pcd", "pcds"),
    "knife": ("knife_flag", "knife", "knife_crime", "knife_enabled"),
    "domestic": ("domestic_flag", "domestic", "dv_flag", "domestic_abuse"),
    "location": ("location", "street", "location_description"),
}
MAPPING_SECTIONS = {"columns": set(SYNONYMS), "formats": {"datetime", "dayfirst", "time_range"},
                    "offence_types": None, "source": {"layer"}}
TRUE_WORDS = ("1", "true", "t", "yes", "y")

_SQLITE_MAGIC = b"SQLite format 3\x00"

#: What a NUL byte in a text input becomes (the row is then quarantined as ``nul_byte``).
NUL_MARK = "\ufffd"
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


# ---- mapping config -------------------------------------------------------------------------

def load_mapping(mapping: Mapping | str | Path | None) -> dict[str, Any]:
    """Validate a column mapping (dict or TOML path) and fill defaults.

    Returns
    -------
    dict
        ``{"columns": {...}, "formats": {...}, "offence_types": {...}, "source": {...}}``.

    Raises
    ------
    ConfigError
        Unknown section or key, wrong value type, unreadable TOML; names the key.
    """
    path = None
    if mapping is None:
        data: dict = {}
    elif isinstance(mapping, (str, Path)):
        path = Path(mapping)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("mapping file not found; check the --mapping path", path=path) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"not valid UTF-8 TOML ({exc})", path=path) from None
    elif isinstance(mapping, Mapping):
        data = dict(mapping)
    else:
        raise ConfigError(f"mapping must be a dict or a TOML path, got {type(mapping).__name__}")
    out: dict[str, Any] = {"columns": {}, "formats": {"datetime": None, "dayfirst": True,
                                                      "time_range": "from"},
                           "offence_types": {}, "source": {"layer": None}}
    for section, body in data.items():
        if section not in MAPPING_SECTIONS:
            raise ConfigError(f"unknown section; use one of {sorted(MAPPING_SECTIONS)}", key=section, path=path)
        if not isinstance(body, Mapping):
            raise ConfigError("must be a table of key = value", key=section, path=path)
        allowed = MAPPING_SECTIONS[section]
        for key, value in body.items():
            if allowed is not None and key not in allowed:
                raise ConfigError(f"unknown key; use one of {sorted(allowed)}", key=f"{section}.{key}", path=path)
            if section in ("columns", "offence_types", "source") and not isinstance(value, str):
                raise ConfigError(f"must be a string, got {value!r}", key=f"{section}.{key}", path=path)
            out[section][key] = value
    fmt = out["formats"]
    if fmt["time_range"] not in ("from", "midpoint"):
        raise ConfigError(f"got {fmt['time_range']!r}; use 'from' or 'midpoint'", key="formats.time_range", path=path)
    if not isinstance(fmt["dayfirst"], bool):
        raise ConfigError(f"got {fmt['dayfirst']!r}; use true or false", key="formats.dayfirst", path=path)
    if fmt["datetime"] is not None and not isinstance(fmt["datetime"], str):
        raise ConfigError("must be a strptime format string such as '%d/%m/%Y %H:%M'",
                          key="formats.datetime", path=path)
    bad = {k: v for k, v in out["offence_types"].items() if v not in POLICEUK_CRIME_TYPES}
    if bad:
        k, v = next(iter(bad.items()))
        raise ConfigError(f"maps to {v!r}, which is not a police.uk crime type; use one of "
                          f"{POLICEUK_CRIME_TYPES}", key=f"offence_types.{k}", path=path)
    return out


# ---- reading tables -------------------------------------------------------------------------

def normalise_name(name: str) -> str:
    """Lower-case a column name and turn spaces, dashes and dots into underscores."""
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower()).strip("_")


def sniff(path: Path) -> str:
    """Kind of an input by its content: ``dir``, ``zip``, ``gpkg``, ``gzip`` or ``text``.

    Raises
    ------
    InputError
        Missing, empty or binary file of an unknown kind.
    """
    if path.is_dir():
        return "dir"
    if not path.is_file():
        raise InputError("file not found; check the path (inputs are police.uk CSVs, folders or zips, "
                         "extract CSV/CSV.gz/GeoPackage or canonical CSVs)", path=path)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        raise InputError("file is empty; expected a CSV with a header line", path=path)
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if b"\x00" in head:
        raise InputError("binary file that is not a GeoPackage, zip or gzip; export it as a UTF-8 CSV",
                         path=path)
    return "text"


def decode(data: bytes, path: str | Path) -> str:
    """Decode bytes as UTF-8 (a byte-order mark is allowed), or raise an :class:`InputError`."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as "
            "'CSV UTF-8' (Excel) or convert it, e.g. `iconv -f cp1252 -t utf-8 in.csv > out.csv`",
            path=path) from None


def parse_csv_text(text: str, path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse CSV text into string columns and the 1-based line number of each row.

    Every value is a ``str`` (empty when missing). Blank lines are kept as empty rows so that every
    line of the file is accounted for; quoted values spanning several lines are counted.

    Raises
    ------
    InputError
        No header, a single column (not comma-separated) or a malformed row.
    """
    if not text.strip():
        raise InputError("file is empty; expected a CSV with a header line", path=path)
    if "\x00" in text:  # the C parser would cut a value at a NUL; keep it whole, mark it
        text = text.replace("\x00", NUL_MARK)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # more fields than the header
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                              na_filter=False, index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise InputError(f"not a well-formed CSV ({exc}); check quoting and the number of commas",
                         path=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("file is empty; expected a CSV with a header line", path=path) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if raw.shape[1] < 2:
        raise InputError(f"not a comma-separated file: the header {list(raw.columns)} has one column; "
                         "export the data as CSV with a header line", path=path)
    raw = raw.fillna("").astype(str)
    extra = np.zeros(len(raw), dtype=np.int64)  # newlines inside quoted values
    multiline = '"' in text and "\n" in text  # only quoted values can hold newlines
    for col in (raw.columns if multiline else []):
        s = raw[col]
        if s.str.contains("\n", regex=False).any():
            extra += s.str.count("\n").to_numpy()
    lines = 2 + np.arange(len(raw), dtype=np.int64) + np.concatenate([[0], np.cumsum(extra)[:-1]]) \
        if len(raw) else np.zeros(0, dtype=np.int64)
    return raw.reset_index(drop=True), lines


def read_table(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or CSV.gz file (detected by content) into string columns and line numbers."""
    path = Path(path)
    kind = sniff(path)
    if kind == "gzip":

        data = gunzip(path.read_bytes(), path)  # bounded: a gzip bomb is an InputError
        if b"\x00" in data[:8192]:
            raise InputError("the gzip file does not hold text; expected a gzipped CSV", path=path)
        return parse_csv_text(decode(data, path), path)
    if kind != "text":
        raise InputError(f"expected a CSV file but found a {kind}", path=path)
    return parse_csv_text(decode(path.read_bytes(), path), path)


def read_gpkg(path: str | Path, layer: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a GeoPackage layer as string columns (+ ``easting``/``northing`` from point geometry).

    The "line" of a feature is its feature id (FID). Point geometries are transformed to BNG and
    fill ``easting``/``northing`` unless the layer has those attributes already.
    """


    path = Path(path)
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - any GDAL failure means unreadable
        raise InputError(f"cannot open the GeoPackage ({exc})", path=path) from None
    if not layers:
        raise InputError("the GeoPackage has no layers", path=path)
    if layer is not None and layer not in layers:
        raise InputError(f"no layer {layer!r}; layers are {layers} (set [source] layer in the mapping)",
                         path=path)
    name = layer or layers[0]
    gdf = pyogrio.read_dataframe(path, layer=name, fid_as_index=True)
    fids = np.asarray(gdf.index, dtype=np.int64)
    raw = pd.DataFrame(index=range(len(gdf)))
    for col in gdf.columns:
        if col == "geometry":
            continue
        s = gdf[col].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(s):
            if getattr(s.dt, "tz", None) is not None:
                s = s.dt.tz_convert("Europe/London").dt.tz_localize(None)
            s = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
        raw[str(col)] = s.astype(object).where(s.notna(), "").astype(str).to_numpy()
    geom = getattr(gdf, "geometry", None)
    if geom is not None and "geometry" in gdf.columns and gdf.geometry.notna().any():
        # the point geometry wins over coordinate attributes and postcodes where both exist
        gdf = require_crs(gdf, name, path=path)
        pts = gdf.geometry.reset_index(drop=True)
        is_pt = (pts.geom_type == "Point").to_numpy() & ~pts.is_empty.to_numpy()
        x = np.full(len(pts), np.nan)
        y = np.full(len(pts), np.nan)
        x[is_pt] = pts[is_pt].x.to_numpy()
        y[is_pt] = pts[is_pt].y.to_numpy()
        for field, v in (("easting", x), ("northing", y)):
            txt = np.array([repr(float(a)) if np.isfinite(a) else "" for a in v], dtype=object)
            target = next((c for c in raw.columns if normalise_name(c) == field), field)
            old = raw[target].to_numpy(dtype=object) if target in raw.columns else np.full(len(v), "", object)
            raw[target] = np.where(is_pt, txt, old)
    return raw, fids


# ---- column resolution ----------------------------------------------------------------------

def resolve_columns(columns, mapping: dict, path: str | Path) -> dict[str, str]:
    """Map canonical fields to the file's column names (mapping first, then :data:`SYNONYMS`).

    Raises
    ------
    InputError
        A mapped column is absent, or a required field (id, a date, coordinates or postcode,
        crime type) cannot be found: lists the columns found and the mapping key to set.
    """
    cols = list(columns)
    by_norm: dict[str, str] = {}
    for c in cols:
        by_norm.setdefault(normalise_name(c), c)
    found: dict[str, str] = {}
    for field, col in mapping["columns"].items():
        if col not in cols:
            raise InputError(f"the mapping sets [columns] {field} = {col!r} but the file has no such "
                             f"column; columns found: {cols}", path=path)
        found[field] = col
    for field, names in SYNONYMS.items():
        if field in found:
            continue
        for n in names:
            if n in by_norm and by_norm[n] not in found.values():
                found[field] = by_norm[n]
                break
    # a "date" column with no "time" column is the timestamp when nothing better exists
    have_time = "occurred_at" in found or "occurred_from" in found or "date" in found
    problems = []
    if "id" not in found:
        problems.append(("an offence id", "id"))
    if not have_time:
        problems.append(("a date/time", "occurred_at (or occurred_from/occurred_to, or date/time)"))
    has_xy = "easting" in found and "northing" in found
    has_ll = "longitude" in found and "latitude" in found
    if not (has_xy or has_ll or "postcode" in found):
        problems.append(("coordinates", "easting/northing or longitude/latitude (or postcode)"))
    if "crime_type" not in found:
        problems.append(("an offence type", "crime_type"))
    if problems:
        what = ", ".join(p[0] for p in problems)
        keys = "; ".join(p[1] for p in problems)
        raise InputError(f"cannot find {what}. Columns found: {cols}. Name them in a mapping TOML "
                         f"(--mapping) under [columns]: {keys}", path=path)
    return found


def parse_flags(s: pd.Series) -> np.ndarray:
    """Yes/no text to bool: ``1, true, t, yes, y`` (any case) are True, everything else False."""
    return s.str.strip().str.lower().isin(TRUE_WORDS).to_numpy()


#: Text that is a "no" (or empty) in a yes/no flag column; anything else is an unknown flag.
FALSE_WORDS = frozenset({"", "0", "false", "f", "no", "n"})


def unknown_flags(s: pd.Series) -> np.ndarray:
    """True where a yes/no flag holds neither a yes nor a no word (``maybe``, ``2``, ``x``)."""
    v = s.str.strip().str.lower()
    return (~v.isin(TRUE_WORDS) & ~v.isin(FALSE_WORDS)).to_numpy()




_OFFSET_RE = r"(?:Z|[+-]\d{2}:?\d{2})$"


def parse_datetimes(s: pd.Series, fmt: str | None = None, dayfirst: bool = True) -> pd.Series:
    """Parse text timestamps to naive local (Europe/London) ``datetime64[ns]``; failures are NaT.

    With ``fmt`` only that format is accepted. Otherwise ISO 8601 is tried first (fast, vectorised)
    and the remaining values are parsed one by one with ``dayfirst``. Values with a UTC offset are
    converted to Europe/London wall-clock time.
    """
    s = s.fillna("").astype(str).str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = (s != "") & ~out_of_range_text(s)  # 0001-01-01, 9999-12-31: NaT, never an abort
    if not todo.any():
        return out
    if fmt is not None:
        out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        return out
    offset = todo & s.str.contains(_OFFSET_RE, regex=True)
    if offset.any():
        v = pd.to_datetime(s[offset], format="ISO8601", errors="coerce", utc=True)
        out[offset] = v.dt.tz_convert("Europe/London").dt.tz_localize(None).astype("datetime64[ns]")
    plain = todo & ~offset
    if plain.any():
        out[plain] = pd.to_datetime(s[plain], format="ISO8601", errors="coerce")
        rest = plain & out.isna()
        if rest.any():

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[rest] = pd.to_datetime(s[rest], format="mixed", dayfirst=dayfirst, errors="coerce")
    return out.astype("datetime64[ns]")


def match_crime_types(s: pd.Series, offence_types: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Map offence type text to police.uk crime types (case-insensitive) or the mapping table.

    Returns
    -------
    crime_type : ndarray of object
        The police.uk crime type, or ``""`` when not recognised.
    mapped : ndarray of bool
        True where the value came from the ``[offence_types]`` table (its text is the subtype).
    """
    key = s.fillna("").astype(str).str.strip().str.lower()
    lookup = {t.lower(): t for t in POLICEUK_CRIME_TYPES}
    table = {str(k).strip().lower(): v for k, v in offence_types.items()}
    direct = key.map(lookup)
    via = key.map(table)
    out = direct.fillna(via).fillna("")
    return out.to_numpy(dtype=object), (direct.isna() & via.notna()).to_numpy()


# ---- staging --------------------------------------------------------------------------------

def stage_extract(raw: pd.DataFrame, lines: np.ndarray, source: str, mapping: dict
                  ) -> tuple[pd.DataFrame, Flags]:
    """Turn extract text columns into staged offence rows and their first problems.

    Parameters
    ----------
    raw : DataFrame
        String columns as read from the file.
    lines : ndarray of int
        1-based line (or GeoPackage FID) of each row.
    source : str
        File name (report key and ``source_file``).
    mapping : dict
        From :func:`load_mapping`.

    Returns
    -------
    staged : DataFrame
        :data:`hotspot.ingest.checks.STAGE_COLUMNS`.
    flags : Flags
    """

    cols = resolve_columns(raw.columns, mapping, source)
    n = len(raw)
    flags = Flags(n)
    blank = pd.Series("", index=raw.index, dtype=object)

    cache: dict[str, pd.Series] = {}

    def get(field: str) -> pd.Series:
        if field not in cols:
            return blank
        if field not in cache:
            cache[field] = raw[cols[field]].astype(str).str.strip()
        return cache[field]

    ids = get("id")
    flags.flag((ids == "").to_numpy(), "missing_id", f"column {cols['id']!r} (offence id) is empty")

    fmt, dayfirst = mapping["formats"]["datetime"], mapping["formats"]["dayfirst"]
    precision: str | np.ndarray = "exact"
    to = None
    if "occurred_at" in cols:
        col, txt = cols["occurred_at"], get("occurred_at")
    elif "occurred_from" in cols:
        col, txt = cols["occurred_from"], get("occurred_from")
    else:
        col, txt = cols["date"], get("date")
        if "time" in cols:
            t_txt = get("time")
            txt = txt.where((t_txt == "") | (txt == ""), txt + " " + t_txt)
            col = f"{cols['date']}+{cols['time']}"
            precision = np.where((t_txt == "").to_numpy(), "day", "exact").astype(object)
        else:
            precision = "day"
    when = parse_datetimes(txt, fmt, dayfirst)
    empty = (txt == "").to_numpy()
    hint = f" in format {fmt!r}" if fmt else " (set [formats] datetime in the mapping)"
    flags.flag(empty, "missing_date", f"column {col!r} is empty")
    flags.flag(out_of_range_text(txt).to_numpy(), "implausible_date",
               lazy(_esc(col) + " {!r} is outside the plausible date window", txt))
    flags.flag(when.isna().to_numpy() & ~empty, "unparseable_date",
               lazy(_esc(col) + " {!r} is not a date" + _esc(hint), txt))
    if "occurred_from" in cols and "occurred_at" not in cols and "occurred_to" in cols:
        to_txt = get("occurred_to")
        to = parse_datetimes(to_txt, fmt, dayfirst)
        flags.flag((to.isna() & (to_txt != "")).to_numpy(), "unparseable_date",
                   lazy(_esc(cols["occurred_to"]) + " {!r} is not a date" + _esc(hint), to_txt))
        inv = (to < when).fillna(False).to_numpy()
        flags.flag(inv, "inverted_time_range",
                   lazy(_esc(cols["occurred_to"]) + " {!r} is before " + _esc(cols["occurred_from"]) + " {!r}",
                        to_txt, txt))
        if mapping["formats"]["time_range"] == "midpoint":
            mid = when + (to - when) / 2
            when = mid.where(to.notna() & ~inv, when).dt.floor("s")

    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    missing = np.ones(n, dtype=bool)
    if "easting" in cols and "northing" in cols:
        x, y, missing = check_bng(get("easting"), get("northing"), flags,
                                  names=(cols["easting"], cols["northing"]))
    if "longitude" in cols and "latitude" in cols:
        use = pd.Series(missing, index=raw.index)
        lx, ly, lmiss = check_lonlat(get("longitude").where(use, ""), get("latitude").where(use, ""), flags)
        x = np.where(missing, lx, x)
        y = np.where(missing, ly, y)
        missing = missing & lmiss
    postcode = get("postcode")
    flags.flag(missing & (postcode == "").to_numpy(), "missing_coordinates", "no coordinates and no postcode")
    for fld in ("knife", "domestic"):
        if fld in cols:
            flags.flag(unknown_flags(get(fld)), "unknown_flag",
                       lazy(_esc(cols[fld]) + " {!r} is neither yes nor no", get(fld)))

    ctext = get("crime_type")
    ctype, mapped = match_crime_types(ctext, mapping["offence_types"])
    flags.flag(ctype == "", "unknown_offence_type",
               lazy(_esc(cols["crime_type"]) + " {!r} is not a police.uk crime type; add it to "
                    "[offence_types] in the mapping", ctext))
    subtype = get("offence_subtype")
    subtype = subtype.where(~(pd.Series(mapped, index=raw.index) & (subtype == "")), ctext)

    staged = pd.DataFrame({
        "offence_id": ids.to_numpy(dtype=object),
        "occurred_at": when.to_numpy(dtype="datetime64[ns]"),
        "month": when.dt.strftime("%Y-%m").fillna("").to_numpy(dtype=object),
        "time_precision": precision,
        "crime_type": ctype,
        "offence_subtype": subtype.to_numpy(dtype=object),
        "offence_code": get("offence_code").str.upper().to_numpy(dtype=object),
        "knife": parse_flags(get("knife")) if "knife" in cols else np.zeros(n, dtype=bool),
        "domestic": parse_flags(get("domestic")) if "domestic" in cols else np.zeros(n, dtype=bool),
        "easting": x,
        "northing": y,
        "location": get("location").to_numpy(dtype=object),
        "source_file": source,
        "source_line": np.asarray(lines, dtype=np.int64),
        "postcode": postcode.to_numpy(dtype=object),
    }, index=range(n))
    return staged, flags

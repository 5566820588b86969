"""The canonical offences CSV: :data:`hotspot.schema.OFFENCE_COLUMNS` as plain UTF-8 text.

:func:`write_canonical` writes accepted offences so that :func:`read_canonical` gives back the same
values with the same dtypes: ``occurred_at`` as ISO 8601 text (empty for NaT), booleans as
``True``/``False`` (``knife``/``domestic`` empty when unknown: police.uk), floats with full precision
(empty for NaN), ``source_line`` as an integer. ``postcode`` (rows awaiting postcode geocoding) and
``published_lsoa`` (police.uk's own LSOA code) are written too when the frame has them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotspot.errors import InputError
from hotspot.ingest.checks import Flags, check_bng, lazy
from hotspot.ingest.extract import read_table
from hotspot.io import unneutralise_cell, write_csv
from hotspot.schema import OFFENCE_COLUMNS, POLICEUK_CRIME_TYPES

#: dtype of every canonical column after reading.
BOOL_COLUMNS = ("knife", "domestic", "serious_violence")
#: Written when present: postcode (rows awaiting postcode geocoding), police.uk's own LSOA code.
OPTIONAL_COLUMNS = ("postcode", "published_lsoa")
#: Flags that may be unknown (NA, written empty): police.uk publishes neither.
NULLABLE_BOOL = ("knife", "domestic")
FLOAT_COLUMNS = ("easting", "northing")
INT_COLUMNS = ("source_line",)
DATETIME_COLUMNS = ("occurred_at",)
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S"


#: Columns added to the schema later: a canonical file written before them reads them as "".
BACKFILLED = ("offence_code",)


def is_canonical_header(columns) -> bool:
    """True when ``columns`` hold every :data:`~hotspot.schema.OFFENCE_COLUMNS` name."""
    return (set(OFFENCE_COLUMNS) - set(BACKFILLED)).issubset({str(c).strip() for c in columns})


def to_canonical_text(df: pd.DataFrame) -> pd.DataFrame:
    """Format an offences frame as the text the canonical CSV holds (one string per cell).

    Parameters
    ----------
    df : DataFrame
        Offences with at least :data:`~hotspot.schema.OFFENCE_COLUMNS`.

    Returns
    -------
    DataFrame
        Same rows, canonical columns (plus ``postcode`` if present), every value a ``str``.
    """
    missing = [c for c in OFFENCE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"cannot write canonical offences: columns {missing} are missing; "
                         "pass the .accepted table of hotspot.ingest.read_offences")
    cols = list(OFFENCE_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in df.columns]
    out = pd.DataFrame(index=df.index)
    for col in cols:
        s = df[col]
        if col in DATETIME_COLUMNS:
            out[col] = pd.to_datetime(s).dt.strftime(ISO_FORMAT).fillna("")
        elif col in BOOL_COLUMNS:  # NA (a flag police.uk does not publish) is written empty
            b = s.astype("boolean")
            out[col] = np.where(b.isna().to_numpy(), "", np.where(b.fillna(False).to_numpy(dtype=bool),
                                                                 "True", "False"))
        elif col in FLOAT_COLUMNS:
            v = s.to_numpy(dtype=float)
            out[col] = [repr(float(x)) if np.isfinite(x) else "" for x in v]
        elif col in INT_COLUMNS:
            out[col] = s.astype("int64").astype(str)
        else:
            out[col] = s.fillna("").astype(str)
    return out


def write_canonical(df: pd.DataFrame, path: str | Path) -> Path:
    """Write offences as a canonical CSV atomically.

    Parameters
    ----------
    df : DataFrame
        Offences with :data:`~hotspot.schema.OFFENCE_COLUMNS` (extra columns other than
        ``postcode`` are dropped).
    path : str or Path
        Destination ``.csv``.

    Returns
    -------
    Path
    """

    return write_csv(path, to_canonical_text(df))


def from_canonical_text(raw: pd.DataFrame, path: str | Path | None = None) -> pd.DataFrame:
    """Restore dtypes of canonical text columns (the inverse of :func:`to_canonical_text`).

    Raises
    ------
    InputError
        A value cannot be converted (names the file, line and column).
    """
    out = pd.DataFrame(index=raw.index)
    cols = list(OFFENCE_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in raw.columns]
    for col in cols:
        if col not in raw.columns and col in BACKFILLED:  # written before the column existed
            out[col] = ""
            continue
        s = raw[col].fillna("").astype(str)
        if col in DATETIME_COLUMNS:
            v = pd.to_datetime(s.where(s != "", None), format="ISO8601", errors="coerce")
            out[col] = v.astype("datetime64[ns]")
        elif col in BOOL_COLUMNS:
            low = s.str.strip().str.lower()
            ok = ["true", "false"] + ([""] if col in NULLABLE_BOOL else [])
            bad = ~low.isin(ok)
            if bad.any():
                _bad_value(raw, bad, col, path, "True or False")
            if col in NULLABLE_BOOL:
                out[col] = pd.array([None if v == "" else v == "true" for v in low], dtype="boolean")
            else:
                out[col] = (low == "true").to_numpy()
        elif col in FLOAT_COLUMNS:
            v = pd.to_numeric(s.where(s != "", None), errors="coerce")
            out[col] = v.astype("float64")
        elif col in INT_COLUMNS:
            v = pd.to_numeric(s, errors="coerce")
            if v.isna().any():
                _bad_value(raw, v.isna(), col, path, "an integer line number")
            out[col] = v.astype("int64")
        else:  # text written by hotspot.io.write_csv: formulas were neutralised with a leading '
            out[col] = s.map(unneutralise_cell).to_numpy(dtype=object)
    return out


def _bad_value(raw: pd.DataFrame, bad: pd.Series, col: str, path, wants: str) -> None:
    i = int(np.flatnonzero(bad.to_numpy())[0])
    raise InputError(f"value {raw[col].iloc[i]!r} is not {wants}; the canonical CSV was edited by hand? "
                     "Re-create it with `hotspot validate --canonical`", path=path, row=i + 2, column=col)


def read_canonical(path: str | Path) -> pd.DataFrame:
    """Read a canonical CSV written by :func:`write_canonical`, restoring every dtype.

    ``source_file`` and ``source_line`` keep the values stored in the file (the original input);
    :func:`hotspot.ingest.read_offences` replaces them with this file's own path and lines.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    DataFrame
        :data:`~hotspot.schema.OFFENCE_COLUMNS` (+ ``postcode`` if written).
    """

    raw, _ = read_table(path)
    if not is_canonical_header(raw.columns):
        missing = [c for c in OFFENCE_COLUMNS if c not in raw.columns and c not in BACKFILLED]
        raise InputError(f"not a canonical offences CSV: columns {missing} are missing "
                         f"(found {list(raw.columns)})", path=path)
    return from_canonical_text(raw, path).reset_index(drop=True)


def stage_canonical(raw: pd.DataFrame, lines: np.ndarray, source: str):
    """Re-validate a canonical CSV: staged rows, first problems and the stored classification.

    ``source_file``/``source_line`` become this file and its lines (the report is per input file).

    Returns
    -------
    staged : DataFrame
        :data:`hotspot.ingest.checks.STAGE_COLUMNS`.
    flags : Flags
    classified : DataFrame
        ``serious_violence``, ``sv_category`` as stored in the file.
    """

    typed = from_canonical_text(raw, source)
    n = len(raw)
    flags = Flags(n)
    ids = raw["offence_id"].str.strip()
    flags.flag((ids == "").to_numpy(), "missing_id", "offence_id is empty")
    occ = raw["occurred_at"].str.strip()
    month = raw["month"].str.strip()
    no_date = ((occ == "") & (month == "")).to_numpy()
    flags.flag(no_date, "missing_date", "occurred_at and month are empty")
    bad_t = (typed["occurred_at"].isna() & (occ != "")).to_numpy()
    flags.flag(bad_t, "unparseable_date", lazy("occurred_at {!r} is not ISO 8601", occ))
    bad_m = ~month.str.fullmatch(r"\d{4}-(?:0[1-9]|1[0-2])").to_numpy(dtype=bool)
    flags.flag(bad_m, "unparseable_date", lazy("month {!r} is not YYYY-MM", month))
    x, y, missing = check_bng(raw["easting"], raw["northing"], flags)
    pc = raw["postcode"].str.strip() if "postcode" in raw.columns else pd.Series("", index=raw.index)
    flags.flag(missing & (pc == "").to_numpy(), "missing_coordinates", "no coordinates and no postcode")
    ctype = raw["crime_type"].str.strip()
    flags.flag(~ctype.isin(POLICEUK_CRIME_TYPES).to_numpy(), "unknown_offence_type",
               lazy("crime_type {!r} is not a police.uk crime type", ctype))
    staged = typed.drop(columns=["serious_violence", "sv_category"]).copy()
    staged["offence_id"] = ids.to_numpy(dtype=object)
    staged["easting"], staged["northing"] = x, y
    staged["postcode"] = pc.to_numpy(dtype=object)
    staged["source_file"] = source
    staged["source_line"] = np.asarray(lines, dtype=np.int64)
    return staged, flags, typed[["serious_violence", "sv_category"]]

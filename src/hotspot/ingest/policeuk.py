"""police.uk street-level crime CSVs, exactly as published (https://data.police.uk/data/).

One monthly file per force (``YYYY-MM/YYYY-MM-<force>-street.csv``), in a folder or in the zip the
site hands out. The columns are :data:`hotspot.schema.POLICEUK_COLUMNS`. What this reader does:

* ``Month`` only: ``occurred_at`` is NaT, ``month`` is ``YYYY-MM``, ``time_precision`` ``"month"``.
* ``Longitude``/``Latitude`` (WGS84, already snapped by police.uk to an anonymised map point) are
  transformed to BNG metres; empty coordinates (the "No location" rows) are quarantined as
  ``missing_coordinates`` since police.uk has no postcode.
* An empty ``Crime ID`` is normal for anti-social behaviour: the row gets the stable id
  ``puk:<file name>:<line>`` (file name without folders, so the same published file always gives
  the same ids).
* ``Crime type`` must be one of :data:`hotspot.schema.POLICEUK_CRIME_TYPES` (exact text).
* police.uk says nothing about knives, domestic abuse or the offence below the crime type:
  ``knife`` and ``domestic`` are NA ("not available", never False) and ``offence_subtype`` is
  empty; the analysed set is every "Violence and sexual offences" and "Robbery" row, named so
  (:data:`hotspot.ingest.classify.POLICEUK_SELECTION`; see ``docs/serious_violence.md``).
* ``LSOA code`` is kept per row as ``published_lsoa`` (police.uk's own geocode, for the audit's
  agreement check); :mod:`hotspot.geography.geocode` places every point on the study's own
  boundaries.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from hotspot.errors import InputError
from hotspot.ingest.checks import Flags, check_lonlat, lazy
from hotspot.ingest.safety import read_member
from hotspot.schema import POLICEUK_COLUMNS, POLICEUK_CRIME_TYPES

STREET_SUFFIX = "-street.csv"
_MONTH_RE = r"\d{4}-(?:0[1-9]|1[0-2])"


def is_policeuk_header(columns) -> bool:
    """True when every published police.uk street-level column is present."""
    return set(POLICEUK_COLUMNS).issubset({str(c).strip() for c in columns})


def looks_like_policeuk(columns) -> bool:
    """True when most but maybe not all police.uk columns are present (for a helpful error)."""
    return len(set(POLICEUK_COLUMNS) & {str(c).strip() for c in columns}) >= 4


def zip_members(path: str | Path) -> list[str]:
    """CSV members of a police.uk zip, sorted; only ``*-street.csv`` when there are any.

    Raises
    ------
    InputError
        Corrupt zip, or no CSV inside (e.g. an Excel workbook, which is also a zip).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise InputError(f"corrupt zip file ({exc}); download it again", path=path) from None
    csvs = sorted(n for n in names if n.lower().endswith((".csv", ".csv.gz")))
    street = [n for n in csvs if n.lower().endswith(STREET_SUFFIX)]
    if not csvs:
        raise InputError(f"the zip holds no CSV files (found {names[:5]}...); if it is an Excel workbook "
                         "save it as 'CSV UTF-8'", path=path)
    return street or csvs


def read_zip_member(path: str | Path, member: str) -> bytes:
    """Bytes of one zip member (decompressed when it is ``.gz``), checked and size-bounded by
    :func:`hotspot.ingest.safety.read_member` (encryption, method, size, ratio, damage)."""

    return read_member(path, member)


def stage_policeuk(raw: pd.DataFrame, lines: np.ndarray, source: str) -> tuple[pd.DataFrame, Flags]:
    """Turn police.uk text columns into staged offence rows and their first problems.

    Parameters
    ----------
    raw : DataFrame
        String columns including :data:`~hotspot.schema.POLICEUK_COLUMNS`.
    lines : ndarray of int
        1-based line of each row in its file.
    source : str
        Name of the file (report key and ``source_file``).

    Returns
    -------
    staged : DataFrame
        :data:`hotspot.ingest.checks.STAGE_COLUMNS`.
    flags : Flags
    """
    n = len(raw)
    flags = Flags(n)
    name = PurePosixPath(str(source).replace("\\", "/")).name
    ids = raw["Crime ID"].str.strip()
    gen = pd.Series(lines, index=raw.index).astype(str).radd(f"puk:{name}:")
    ids = ids.where(ids != "", gen)

    month = raw["Month"].str.strip()
    flags.flag((month == "").to_numpy(), "missing_date", "Month is empty")
    flags.flag(~month.str.fullmatch(_MONTH_RE).to_numpy(dtype=bool), "unparseable_date",
               lazy("Month {!r} is not YYYY-MM", month))

    x, y, missing = check_lonlat(raw["Longitude"], raw["Latitude"], flags)
    flags.flag(missing, "missing_coordinates", "no Longitude/Latitude (police.uk 'No location' row)")

    ctype = raw["Crime type"].str.strip()
    known = ctype.isin(POLICEUK_CRIME_TYPES).to_numpy()
    flags.flag(~known, "unknown_offence_type",
               lazy("Crime type {!r} is not a police.uk crime type", ctype))

    staged = pd.DataFrame({
        "offence_id": ids.to_numpy(dtype=object),
        "occurred_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
        "month": month.where(month.str.fullmatch(_MONTH_RE).fillna(False), "").to_numpy(dtype=object),
        "time_precision": "month",
        "crime_type": ctype.to_numpy(dtype=object),
        "offence_subtype": "",
        "offence_code": "",  # police.uk publishes the crime type only
        "knife": pd.array([pd.NA] * n, dtype="boolean"),  # not published by police.uk
        "domestic": pd.array([pd.NA] * n, dtype="boolean"),
        "easting": x,
        "northing": y,
        "location": raw["Location"].to_numpy(dtype=object),
        "source_file": source,
        "source_line": np.asarray(lines, dtype=np.int64),
        "postcode": "",
        "published_lsoa": raw["LSOA code"].fillna("").str.strip().to_numpy(dtype=object),
    })
    return staged, flags


def month_of_name(name: str) -> str | None:
    """The ``YYYY-MM`` in a police.uk file name, or None."""
    m = re.search(_MONTH_RE, PurePosixPath(name).name)
    return m.group(0) if m else None

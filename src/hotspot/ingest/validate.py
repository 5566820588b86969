"""Validation, quarantine and reconciliation of offence rows.

Readers turn every input row into a *staged* row (the offences columns plus ``postcode``) and
record the first problem they find in a :class:`Flags` object. :func:`finalise` adds the checks
that need the whole run (future dates, missing and duplicate ids), splits accepted from
quarantined rows and :func:`read_offences` reconciles the counts per file.

Checks, in order (a row is quarantined for the first that fails):

=========================  ==========================================================================
reason                     rule
=========================  ==========================================================================
missing_id                 extract row with an empty id (police.uk rows get ``puk:<file>:<line>``)
missing_date               empty date/time (police.uk: empty ``Month``)
unparseable_date           text that is not a date (police.uk: not ``YYYY-MM``)
inverted_time_range        ``occurred_to`` earlier than ``occurred_from``
unparseable_coordinates    coordinate text that is not a number
swapped_coordinates        latitude in -8.7..2 and longitude in 49.8..60.9 (Britain, swapped); or
                           easting above 700 km with northing below it (BNG, swapped)
invalid_coordinates        easting outside 0..700 km / northing outside 0..1300 km, latitude outside
                           49.8..60.9 or longitude outside -8.7..2 (Great Britain)
missing_coordinates        no coordinates and no postcode (rows with a postcode are accepted with
                           NaN easting/northing for :mod:`hotspot.geography.geocode`)
unknown_offence_type       not a police.uk crime type nor in the mapping's ``[offence_types]``
future_date                after ``now`` (a date-only ``now`` means the end of that day)
duplicate_id               an id already accepted earlier in this run (inputs in the order given,
                           rows in file order): the first valid occurrence wins
=========================  ==========================================================================
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.ingest.canonical import is_canonical_header, stage_canonical
from hotspot.ingest.checks import check_duplicates, check_future, file_report, now_limit, quarantine_frame, totals
from hotspot.ingest.classify import classify, load_rules
from hotspot.ingest.extract import (
    NUL_MARK,
    decode,
    load_mapping,
    parse_csv_text,
    read_gpkg,
    read_table,
    sniff,
    stage_extract,
)
from hotspot.ingest.policeuk import (
    STREET_SUFFIX,
    is_policeuk_header,
    looks_like_policeuk,
    read_zip_member,
    stage_policeuk,
    zip_members,
)
from hotspot.ingest.safety import check_date_window, date_window, nul_rows
from hotspot.progress import track
from hotspot.schema import OFFENCE_COLUMNS, POLICEUK_COLUMNS

# ---- the entry point ------------------------------------------------------------------------

@dataclass
class IngestResult:
    """Validated offences, the rows set aside and the reconciliation report.

    Attributes
    ----------
    accepted : DataFrame
        :data:`~hotspot.schema.OFFENCE_COLUMNS` + ``postcode`` (``""`` if none); easting/northing
        in BNG metres, NaN for rows that :mod:`hotspot.geography.geocode` places by postcode.
    quarantine : DataFrame
        ``source_file, source_line, reason, detail, offence_id, raw`` (``raw``: the original
        values as a JSON object of column -> text).
    report : dict
        ``files`` (per file: ``rows_read, accepted, quarantined, by_reason, format``), ``totals``
        and ``inputs`` (per path given: the same counts summed over the files it holds).
    """

    accepted: pd.DataFrame
    quarantine: pd.DataFrame
    report: dict = field(default_factory=dict)
    #: per source file, the rows as read (text) and their 1-based lines: original values on demand
    originals: dict = field(default_factory=dict, repr=False)

    def original_values(self, files: Sequence[str], lines: Sequence[int]) -> list[str]:
        """The original values (JSON object of column -> text) of rows given by file and line;
        ``""`` for a row not read here."""
        out = []
        for f, ln in zip(files, lines):
            raw, index = self.originals.get(str(f), (None, None))
            pos = index.get(int(ln)) if index is not None else None
            out.append("" if pos is None else json.dumps(raw.iloc[pos].to_dict(), ensure_ascii=False))
        return out


@dataclass
class _Unit:
    input: str      # the path the user gave
    source: str     # the file name used as source_file and report key
    kind: str       # "text", "gzip", "gpkg", "zipmember"
    path: Path
    member: str | None = None


def expand_inputs(paths: Sequence[str | Path]) -> list[_Unit]:
    """Files to read, in order: folders recursively (``*-street.csv`` only when present, else
    every ``.csv``, ``.csv.gz``, ``.gpkg`` and ``.zip``), zips member by member, files as given.

    Raises
    ------
    InputError
        A path is missing, empty, binary, given twice, or a folder/zip without offence files.
    """

    units: list[_Unit] = []

    def add_file(given: Path, f: Path, kind: str) -> None:
        if kind == "zip":
            units.extend(_Unit(str(given), f"{f}/{m}", "zipmember", f, m) for m in zip_members(f))
        else:
            units.append(_Unit(str(given), str(f), kind, f))

    for p in paths:
        p = Path(p)
        kind = sniff(p)
        if kind == "dir":
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            street = [f for f in files if f.name.lower().endswith(STREET_SUFFIX)]
            files = street or [f for f in files
                               if f.name.lower().endswith((".csv", ".csv.gz", ".gpkg", ".zip"))]
            if not files:
                raise InputError("the folder holds no offence files (*.csv, *.csv.gz, *.gpkg, *.zip or "
                                 "police.uk YYYY-MM/*-street.csv)", path=p)
            for f in files:
                add_file(p, f, sniff(f))
        else:
            add_file(p, p, kind)
    seen: dict[tuple, str] = {}
    for u in units:
        key = (u.path.resolve(), u.member)
        if key in seen:
            raise InputError(f"this file is given more than once (also via {seen[key]!r}); pass each "
                             "file, folder or zip once", path=u.source)
        seen[key] = u.input
    return units


def _load(unit: _Unit, mapping: dict) -> tuple[pd.DataFrame, np.ndarray]:

    if unit.kind == "gpkg":
        return read_gpkg(unit.path, mapping["source"]["layer"])
    if unit.kind == "zipmember":
        if unit.member is None:  # expand_inputs always names the member of a zip unit
            raise InputError("zip input without a member name; pass the zip file itself", path=unit.source)
        data = read_zip_member(unit.path, unit.member)
        if b"\x00" in data[:8192]:
            raise InputError("binary zip member; expected a police.uk CSV", path=unit.source)
        return parse_csv_text(decode(data, unit.source), unit.source)
    return read_table(unit.path)


def _stage(raw: pd.DataFrame, lines: np.ndarray, unit: _Unit, mapping: dict):
    """Detect the format from the columns and stage the rows."""

    if is_policeuk_header(raw.columns):
        staged, flags = stage_policeuk(raw, lines, unit.source)
        return "policeuk", staged, flags, None
    if is_canonical_header(raw.columns):
        staged, flags, stored = stage_canonical(raw, lines, unit.source)
        return "canonical", staged, flags, stored
    if looks_like_policeuk(raw.columns) and not mapping["columns"]:
        missing = [c for c in POLICEUK_COLUMNS if c not in raw.columns]
        raise InputError(f"looks like a police.uk street-level CSV but lacks the columns {missing}; "
                         "use the file exactly as downloaded from data.police.uk", path=unit.source)
    staged, flags = stage_extract(raw, lines, unit.source, mapping)
    return ("gpkg-extract" if unit.kind == "gpkg" else "extract"), staged, flags, None


def read_offences(paths: Sequence[str | Path] | str | Path, *, mapping: Mapping | str | Path | None = None,
                  now=None, rules: Mapping | str | Path | None = None, postcodes=None,
                  earliest=None, latest=None) -> IngestResult:
    """Read, validate and classify offences from any supported input.

    Parameters
    ----------
    paths : path or list of paths
        police.uk street-level CSVs, folders of ``YYYY-MM/*-street.csv`` or the published zip;
        timestamped extracts (CSV, CSV.gz, GeoPackage); canonical CSVs. Formats are detected from
        the content (header), not the extension.
    mapping : dict or path, optional
        Column mapping for extracts (see :mod:`hotspot.ingest.extract`).
    now : str, date or datetime, optional
        Dates after this are ``future_date`` (default: now). ``"2021-06-30"`` means the end of that day.
    rules : dict or path, optional
        Serious-violence rules (see :mod:`hotspot.ingest.classify`). Canonical CSVs keep their stored
        classification unless rules are given.
    postcodes : optional
        Accepted for interface symmetry and ignored: postcodes are resolved by geocoding.
    earliest, latest : date-like, optional
        Plausible-date window (default 2000-01-01 to today + 1 day); rows outside it are
        ``implausible_date`` (:func:`hotspot.ingest.safety.check_date_window`).

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        A file cannot be read at all (not UTF-8, not a CSV, binary, empty, required columns
        missing); the message names the file and the fix. Nothing is returned in part.
    """

    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ArgumentError("paths", paths, "at least one offence file, folder or zip")
    cfg = load_mapping(mapping)
    rule_cfg = load_rules(rules)  # validate up front, before any reading
    now_limit(now)
    date_window(earliest, latest)
    units = expand_inputs(paths)
    seen: set = set()
    accepted, quarantines = [], []
    originals: dict = {}
    files: dict[str, dict] = {}
    inputs: dict[str, dict] = {}
    for unit in track(units, desc="reading offences", total=len(units), unit="file"):
        raw, lines = _load(unit, cfg)
        fmt, staged, flags, stored = _stage(raw, lines, unit, cfg)
        flags.flag(nul_rows(raw, NUL_MARK), "nul_byte", "a value holds a NUL byte (shown as \ufffd)")
        check_future(staged, flags, now)
        check_date_window(staged, flags, earliest, latest)
        check_duplicates(staged["offence_id"], flags, seen)
        ok = flags.ok
        good = staged.loc[ok]
        if stored is not None and rules is None:
            good = good.assign(serious_violence=stored.loc[ok, "serious_violence"].to_numpy(),
                               sv_category=stored.loc[ok, "sv_category"].to_numpy())
        else:
            good = classify(good, rule_cfg, policeuk=fmt == "policeuk")
        accepted.append(good)
        quarantines.append(quarantine_frame(raw, staged, flags))
        files[unit.source] = file_report(len(staged), flags, fmt)
        originals[unit.source] = (raw, {int(v): i for i, v in enumerate(lines)})
        inputs.setdefault(unit.input, {"files": 0})["files"] += 1
    for name in inputs:
        inputs[name].update(totals({k: v for k, v in files.items()
                                    if any(u.source == k and u.input == name for u in units)}))
    cols = list(OFFENCE_COLUMNS) + ["postcode"]
    if any("published_lsoa" in a.columns for a in accepted):  # police.uk's own LSOA code, per row
        cols.append("published_lsoa")
        accepted = [a if "published_lsoa" in a else a.assign(published_lsoa="") for a in accepted]
    acc = pd.concat(accepted, ignore_index=True)[cols] if accepted else pd.DataFrame(columns=cols)
    acc = acc.astype({"knife": "boolean", "domestic": "boolean", "serious_violence": bool, "source_line": "int64",
                      "easting": "float64", "northing": "float64", "occurred_at": "datetime64[ns]"})
    quarantine = pd.concat(quarantines, ignore_index=True)
    report = {"files": files, "totals": totals(files), "inputs": inputs}
    return IngestResult(accepted=acc, quarantine=quarantine, report=report, originals=originals)

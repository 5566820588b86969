"""Households on Universal Credit from DWP Stat-Xplore CSV exports.

The layout read and written here (one table: areas down, months across) is::

    "Title:","Households on Universal Credit by LSOA"
    "Measure:","Households on Universal Credit"
    "Source:","Department for Work and Pensions, Stat-Xplore"
    ""
    "Lower Layer Super Output Areas","November 2020","December 2020"
    "Bristol 045C (E01014581)","123","130"
    ...
    "Total","45678","46012"
    ""
    "Notes:"
    "Data for the latest month are provisional."
    ...

The reader is tolerant of what Stat-Xplore and spreadsheets do to such files: any number of
title/metadata lines before the header (the header is the first row whose later cells are month
labels), month labels as ``November 2020``, ``Nov 2020``, ``Nov-20`` or ``2020-11``, area labels
holding the code anywhere (``Bristol 045C (E01014581)``, ``E01014581 : Bristol 045C`` or just the
code), numbers with thousands separators, ``..``/``-`` for suppressed cells (kept as NaN and
counted), a trailing ``Total`` row (kept in ``attrs["total"]``, not as an area) and footnote lines
after the table. Area codes can be LSOA (2011 or 2021) or local authority codes.

References
----------
.. [1] Department for Work and Pensions. *Stat-Xplore: Households on Universal Credit.*
   https://stat-xplore.dwp.gov.uk/
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from hotspot.covariates.codes import AREA_CODE, LSOA_CODE, check_codes, to_number
from hotspot.errors import ArgumentError, InputError
from hotspot.io import write_text

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_TEXT_MONTH = re.compile(r"^([A-Za-z]{3,9})[\s\-/]+(\d{2}|\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-?(\d{2})$")
_MISSING = {"..", "-", "", ":", "x", "*"}
NOTES = [
    "Data for the latest month are provisional and may be revised.",
    "Statistical disclosure control has been applied; figures may not sum to totals.",
]


def parse_month(label: str) -> str | None:
    """``"November 2020"``, ``"Nov-20"``, ``"2020-11"`` -> ``"2020-11"``; None if not a month."""
    s = str(label).strip()
    m = _ISO_MONTH.match(s)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{m.group(2)}"
    m = _TEXT_MONTH.match(s)
    if not m:
        return None
    name = m.group(1).lower()
    hits = [i for i, full in enumerate(_MONTHS) if full.startswith(name) and len(name) >= 3]
    if len(hits) != 1 or (len(name) > 3 and name != _MONTHS[hits[0]][:len(name)]):
        return None
    year = int(m.group(2))
    year = year + 2000 if year < 100 else year
    return f"{year:04d}-{hits[0] + 1:02d}"


def month_label(month: str) -> str:
    """``"2020-11"`` -> ``"November 2020"`` (Stat-Xplore style)."""
    iso = parse_month(month)
    if iso is None:
        raise ArgumentError("month", month, "a month such as '2020-11' or 'November 2020'")
    y, m = iso.split("-")
    return f"{_MONTHS[int(m) - 1].capitalize()} {y}"


def _geo_label(codes: pd.Series) -> str:
    if codes.str.fullmatch(LSOA_CODE).all():
        return "Lower Layer Super Output Areas"
    return "Local Authority"


def write_statxplore(df: pd.DataFrame, path: str | Path, title: str, measure: str) -> Path:
    """Write a table in the Stat-Xplore CSV export layout read by :func:`read_statxplore`.

    Parameters
    ----------
    df : DataFrame
        Column ``code`` (LSOA or LA codes), optional ``name``, and one column per month named
        ``"YYYY-MM"`` (or any label :func:`parse_month` reads) holding counts (NaN = suppressed).
    path : str or Path
        CSV to write (atomically).
    title, measure : str
        Written on the ``Title:`` and ``Measure:`` lines.

    Returns
    -------
    Path
    """
    if "code" not in df.columns:
        raise ArgumentError("df", list(df.columns), "a DataFrame with a 'code' column and month columns")
    months = [c for c in df.columns if c not in ("code", "name")]
    bad = [c for c in months if parse_month(str(c)) is None]
    if bad or not months:
        raise ArgumentError("df", bad or "no month columns", "month columns named like '2020-11'")
    codes = df["code"].astype(str)
    names = df["name"].astype(str) if "name" in df.columns else pd.Series([""] * len(df), index=df.index)
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(["Title:", title])
    w.writerow(["Measure:", measure])
    w.writerow(["Source:", "Department for Work and Pensions, Stat-Xplore"])
    w.writerow([""])
    w.writerow([_geo_label(codes)] + [month_label(str(c)) for c in months])

    def fmt(v) -> str:
        return ".." if pd.isna(v) else f"{int(round(float(v)))}"

    for code, name, (_, row) in zip(codes, names, df[months].iterrows()):
        label = f"{name} ({code})" if name and name != "nan" else code
        w.writerow([label] + [fmt(v) for v in row])
    w.writerow(["Total"] + [fmt(df[c].sum()) for c in months])
    w.writerow([""])
    w.writerow(["Notes:"])
    for note in NOTES:
        w.writerow([note])
    return write_text(path, buf.getvalue())


def read_statxplore(path: str | Path) -> pd.DataFrame:
    """Read a Stat-Xplore CSV export (areas down, months across).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    DataFrame
        ``code, name`` and one float column per month (``"YYYY-MM"``, ascending); one row per area.
        ``attrs``: ``title``, ``measure``, ``geography`` (the header's first cell), ``months``,
        ``total`` (``{month: value}`` from a ``Total`` row, if any), ``suppressed`` (count of
        ``..`` cells), ``source``.

    Raises
    ------
    InputError
        No header row with month labels, a row with no area code, a duplicate area, or a cell that
        is not a number (naming the file, line and column).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("Stat-Xplore file not found; check the path (--uc PATH)", path=path)
    if path.is_dir():
        raise InputError("is a folder; pass the Stat-Xplore CSV itself (--uc PATH), or leave --uc out",
                         path=path)
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = None
    for i, row in enumerate(rows):
        cells = [c.strip() for c in row[1:] if c.strip()]
        if cells and all(parse_month(c) or c.lower() == "total" for c in cells) and \
                any(parse_month(c) for c in cells):
            header_at = i
            break
    if header_at is None:
        raise InputError("no header row with month columns (e.g. 'November 2020') found; export the "
                         "Stat-Xplore table with areas as rows and Month as columns, as CSV", path=path)
    meta = {}
    for row in rows[:header_at]:
        if row and row[0].strip().endswith(":") and len(row) > 1:
            meta[row[0].strip().rstrip(":").lower()] = row[1].strip()
    header = [c.strip() for c in rows[header_at]]
    parsed = [(j, parse_month(c)) for j, c in enumerate(header) if j > 0]
    month_cols = [(j, m) for j, m in parsed if m]
    labels: list[str] = []
    values: list[list[str]] = []
    lines: list[int] = []
    total: list[str] | None = None
    for k, row in enumerate(rows[header_at + 1:]):
        line = header_at + 2 + k
        if not row or not any(c.strip() for c in row):
            if not labels and total is None:
                continue  # blank lines between the header and the first area
            break  # blank line after the table: the footnotes follow
        first = row[0].strip()
        if first.lower() in ("total", "grand total"):
            total = row
            continue
        if len(row) < 2 or not any(c.strip() for c in row[1:]):
            break  # a one-cell line: footnote without a blank line before it
        labels.append(first)
        values.append([row[j].strip() if j < len(row) else "" for j, _ in month_cols])
        lines.append(line)
    if not labels:
        raise InputError("the table has a header but no area rows", path=path, row=header_at + 1)
    found: list[str] = []
    for lb, line in zip(labels, lines):
        m = AREA_CODE.search(lb)
        if m is None:
            raise InputError(f"row label {lb!r} holds no area code (such as E01014581 or E06000023); "
                             f"export with codes shown ('Bristol 045C (E01014581)')", path=path, row=line,
                             column=header[0])
        found.append(m.group(0))
    codes = pd.Series(found)
    # rows are consecutive from the first data line, so line numbers map one to one
    codes = check_codes(codes, path=path, column=header[0] or "area", first_line=lines[0],
                        pattern=re.compile(AREA_CODE.pattern), what="area code")
    names = [re.sub(r"^[\s:()\-]+|[\s:()\-]+$", "", AREA_CODE.sub("", lb)).strip() for lb in labels]
    out = pd.DataFrame({"code": codes, "name": names})
    vals = np.array(values, dtype=object).reshape(len(labels), len(month_cols))
    suppressed = 0
    for idx, (j, month) in enumerate(month_cols):
        col = pd.Series(vals[:, idx])
        suppressed += int(col.str.strip().isin(_MISSING - {""}).sum())
        out[month] = to_number(col, path=path, column=header[j], first_line=lines[0], allow_missing=True)
    months = [m for _, m in month_cols]
    order = ["code", "name"] + sorted(months)
    out = out[order].sort_values("code", kind="stable").reset_index(drop=True)
    if suppressed:
        warnings.warn(f"{path}: {suppressed} suppressed cell(s) ('..') read as missing (NaN)", stacklevel=2)
    tot = {}
    if total is not None:
        for j, month in month_cols:
            cell = total[j].strip().replace(",", "") if j < len(total) else ""
            try:
                tot[month] = float(cell)
            except ValueError:
                tot[month] = float("nan")
    out.attrs.update(title=meta.get("title", meta.get("dataset", "")), measure=meta.get("measure", ""),
                     geography=header[0], months=sorted(months), total=tot, suppressed=suppressed,
                     source=str(path))
    return out


def month_values(uc: pd.DataFrame, month: str | None = None) -> pd.Series:
    """One month of a :func:`read_statxplore` table as a Series indexed by area code.

    Parameters
    ----------
    uc : DataFrame
        From :func:`read_statxplore`.
    month : str, optional
        ``"YYYY-MM"`` (or a label :func:`parse_month` reads); default the latest month.
    """
    months = [c for c in uc.columns if c not in ("code", "name")]
    if not months:
        raise ArgumentError("uc", list(uc.columns), "a table from read_statxplore (month columns)")
    if month is None:
        chosen = max(months)
    else:
        chosen = parse_month(month)
        if chosen not in months:
            raise ArgumentError("month", month, f"one of the table's months ({', '.join(months)})")
    s = uc.set_index("code")[chosen].astype(float)
    s.name = "uc_households"
    s.attrs["month"] = chosen
    return s

"""ONS mid-year population estimates for LSOAs.

The layout read is the ONS "Lower layer Super Output Area population estimates" table saved as
CSV: ``LSOA Code, LSOA Name, All Ages`` then single-year-of-age columns (ignored). IoD2019 File 6
(``LSOA code (2011)``, ``Total population: mid 2015 (excluding prisoners)``, thousands separators)
is read too, as mid-2015 denominators. Variants with
``LSOA 2021 Code`` / ``LSOA 2021 Name`` / ``Total`` (2021-based releases) and ``LSOA11CD`` /
``LSOA21CD`` are recognised. Title lines above the header (as in the published workbook) are
skipped.

References
----------
.. [1] Office for National Statistics. *Lower layer Super Output Area population estimates
   (supporting information).* https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from hotspot.covariates.codes import check_codes, normalise_header, to_number
from hotspot.errors import InputError
from hotspot.io import write_csv

#: The header written by the synthetic generator (ONS mid-year estimate layout).
POPULATION_COLUMNS = ["LSOA Code", "LSOA Name", "All Ages"]

_CODE = ["lsoa code", "lsoa 2011 code", "lsoa 2021 code", "lsoa11cd", "lsoa21cd", "lsoa_code",
         "lsoa code (2011)", "lsoa code (2021)"]
_NAME = ["lsoa name", "lsoa 2011 name", "lsoa 2021 name", "lsoa11nm", "lsoa21nm", "lsoa_name",
         "lsoa name (2011)", "lsoa name (2021)"]
#: Totals: ONS mid-year estimates, and IoD2019 File 6 (population denominators, mid-2015).
_TOTAL = ["all ages", "total", "population", "all_ages", "total population: mid 2015 (excluding prisoners)"]


def _find(header: list[str], names: list[str]) -> int | None:
    norm = [normalise_header(h).casefold() for h in header]
    for n in names:
        if n in norm:
            return norm.index(n)
    return None


def read_population(path: str | Path) -> pd.DataFrame:
    """Read LSOA population estimates.

    Parameters
    ----------
    path : str or Path
        CSV with ``LSOA Code``, ``LSOA Name`` (optional) and ``All Ages``.

    Returns
    -------
    DataFrame
        ``lsoa_code, lsoa_name, population`` (float), sorted by code; ``attrs``: ``code_year``
        (2011 or 2021 when the header says so, else None), ``source``.

    Raises
    ------
    InputError
        Missing file or columns, malformed/duplicate codes, non-numeric or negative population.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("population file not found; check the path (--population PATH)", path=path)
    if path.is_dir():
        raise InputError("is a folder; pass the population CSV itself (--population PATH)", path=path)
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next((i for i, r in enumerate(rows[:30]) if _find(r, _CODE) is not None
                      and _find(r, _TOTAL) is not None), None)
    if header_at is None:
        raise InputError(f"no header with {POPULATION_COLUMNS[0]!r} and {POPULATION_COLUMNS[2]!r} found in "
                         f"the first 30 lines; use the ONS LSOA mid-year estimates layout "
                         f"({', '.join(POPULATION_COLUMNS)})", path=path)
    header = rows[header_at]
    first_line = header_at + 2
    body = [r for r in rows[header_at + 1:]]
    # trailing blank lines or notes: stop at the first row with no code cell
    ci, ni, ti = _find(header, _CODE), _find(header, _NAME), _find(header, _TOTAL)
    if ci is None or ti is None:  # cannot happen: header_at is the first row holding both
        raise InputError(f"the header on line {header_at + 1} lacks {POPULATION_COLUMNS[0]!r} or "
                         f"{POPULATION_COLUMNS[2]!r}", path=path, row=header_at + 1)
    end = len(body)
    for k, r in enumerate(body):
        if len(r) <= ci or not r[ci].strip():
            end = k
            break
    body = body[:end]
    if not body:
        raise InputError("the population table has no rows", path=path, row=header_at + 1)
    get = lambda idx: pd.Series([r[idx] if idx is not None and idx < len(r) else "" for r in body])  # noqa: E731
    out = pd.DataFrame({"lsoa_code": check_codes(get(ci), path=path, column=header[ci],
                                                 first_line=first_line)})
    out["lsoa_name"] = get(ni).str.strip() if ni is not None else ""
    pop = to_number(get(ti), path=path, column=header[ti], first_line=first_line)
    neg = pop < 0
    if neg.any():
        i = int(neg.to_numpy().nonzero()[0][0])
        raise InputError("negative population", path=path, row=first_line + i, column=header[ti])
    out["population"] = pop
    h = normalise_header(header[ci]).casefold()
    year = 2021 if ("2021" in h or "21cd" in h) else 2011 if ("2011" in h or "11cd" in h) else None
    out = out.sort_values("lsoa_code", kind="stable").reset_index(drop=True)
    out.attrs.update(code_year=year, source=str(path))
    return out


def write_population(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``lsoa_code, lsoa_name, population`` in the layout :func:`read_population` reads."""

    out = pd.DataFrame({"LSOA Code": df["lsoa_code"], "LSOA Name": df.get("lsoa_name", ""),
                        "All Ages": df["population"].round().astype(int)})
    return write_csv(path, out)

"""English Indices of Deprivation 2019, File 7 (all scores, ranks, deciles and population denominators).

File 7 is published as a CSV with one row per 2011 LSOA (32,844 in England) and the 57 columns of
:data:`IMD_FILE7_COLUMNS`. The reader also accepts the column-name variants met in practice:
header cells with embedded newlines or doubled spaces (from the XLSX), ``LSOA11CD``-style short
names, and 2021 LSOA codes (``LSOA code (2021)`` / ``LSOA21CD``, as in later releases).

References
----------
.. [1] Ministry of Housing, Communities & Local Government (2019). *The English Indices of
   Deprivation 2019: File 7, all ranks, deciles and scores for the indices of deprivation, and
   population denominators.* https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hotspot.covariates.codes import check_codes, normalise_header, to_number
from hotspot.errors import InputError

#: The published header of IoD2019 File 7, in order (the synthetic generator writes exactly this).
IMD_FILE7_COLUMNS: list[str] = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
    "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Score (rate)",
    "Income Rank (where 1 is most deprived)",
    "Income Decile (where 1 is most deprived 10% of LSOAs)",
    "Employment Score (rate)",
    "Employment Rank (where 1 is most deprived)",
    "Employment Decile (where 1 is most deprived 10% of LSOAs)",
    "Education, Skills and Training Score",
    "Education, Skills and Training Rank (where 1 is most deprived)",
    "Education, Skills and Training Decile (where 1 is most deprived 10% of LSOAs)",
    "Health Deprivation and Disability Score",
    "Health Deprivation and Disability Rank (where 1 is most deprived)",
    "Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)",
    "Crime Score",
    "Crime Rank (where 1 is most deprived)",
    "Crime Decile (where 1 is most deprived 10% of LSOAs)",
    "Barriers to Housing and Services Score",
    "Barriers to Housing and Services Rank (where 1 is most deprived)",
    "Barriers to Housing and Services Decile (where 1 is most deprived 10% of LSOAs)",
    "Living Environment Score",
    "Living Environment Rank (where 1 is most deprived)",
    "Living Environment Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Deprivation Affecting Children Index (IDACI) Score (rate)",
    "Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)",
    "Income Deprivation Affecting Children Index (IDACI) Decile (where 1 is most deprived 10% of LSOAs)",
    "Income Deprivation Affecting Older People (IDAOPI) Score (rate)",
    "Income Deprivation Affecting Older People (IDAOPI) Rank (where 1 is most deprived)",
    "Income Deprivation Affecting Older People (IDAOPI) Decile (where 1 is most deprived 10% of LSOAs)",
    "Children and Young People Sub-domain Score",
    "Children and Young People Sub-domain Rank (where 1 is most deprived)",
    "Children and Young People Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Adult Skills Sub-domain Score",
    "Adult Skills Sub-domain Rank (where 1 is most deprived)",
    "Adult Skills Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Geographical Barriers Sub-domain Score",
    "Geographical Barriers Sub-domain Rank (where 1 is most deprived)",
    "Geographical Barriers Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Wider Barriers Sub-domain Score",
    "Wider Barriers Sub-domain Rank (where 1 is most deprived)",
    "Wider Barriers Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Indoors Sub-domain Score",
    "Indoors Sub-domain Rank (where 1 is most deprived)",
    "Indoors Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Outdoors Sub-domain Score",
    "Outdoors Sub-domain Rank (where 1 is most deprived)",
    "Outdoors Sub-domain Decile (where 1 is most deprived 10% of LSOAs)",
    "Total population: mid 2015 (excluding prisoners)",
    "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
    "Population aged 16-59: mid 2015 (excluding prisoners)",
    "Older population aged 60 and over: mid 2015 (excluding prisoners)",
    "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)",
]

#: Engine name -> recognised headers (compared after whitespace normalisation, case-insensitive).
#: The first entry of each list is the File 7 name. ``lsoa_code`` variants carry the code vintage.
IMD_FIELDS: dict[str, list[str]] = {
    "lsoa_code": ["LSOA code (2011)", "LSOA code (2021)", "LSOA11CD", "LSOA21CD", "lsoa_code"],
    "lsoa_name": ["LSOA name (2011)", "LSOA name (2021)", "LSOA11NM", "LSOA21NM", "lsoa_name"],
    "la_code": ["Local Authority District code (2019)", "LAD19CD", "la_code"],
    "la_name": ["Local Authority District name (2019)", "LAD19NM", "la_name"],
    "imd_score": ["Index of Multiple Deprivation (IMD) Score", "IMDScore", "imd_score"],
    "imd_rank": ["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)", "IMDRank",
                 "IMD_Rank", "imd_rank"],
    "imd_decile": ["Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
                   "IMDDec0", "IMD_Decile", "imd_decile"],
    "income_score": ["Income Score (rate)", "IncScore"],
    "employment_score": ["Employment Score (rate)", "EmpScore"],
    "education_score": ["Education, Skills and Training Score", "EduScore"],
    "health_score": ["Health Deprivation and Disability Score", "HDDScore"],
    "crime_score": ["Crime Score", "CriScore"],
    "housing_score": ["Barriers to Housing and Services Score", "BHSScore"],
    "environment_score": ["Living Environment Score", "EnvScore"],
    "population_2015": ["Total population: mid 2015 (excluding prisoners)", "TotPop"],
}
REQUIRED = ["lsoa_code", "imd_score", "imd_decile"]
_LA_CODE = re.compile(r"^[EWX]0[6-9]\d{6}$")


def _match_columns(columns: list[str]) -> dict[str, str]:
    norm = {normalise_header(c).casefold(): c for c in columns}
    found: dict[str, str] = {}
    for name, variants in IMD_FIELDS.items():
        for v in variants:
            hit = norm.get(normalise_header(v).casefold())
            if hit is not None:
                found[name] = hit
                break
    return found


def read_imd(path: str | Path) -> pd.DataFrame:
    """Read IoD2019 File 7 (or a file with its column names) and validate it.

    Parameters
    ----------
    path : str or Path
        CSV in the File 7 layout (:data:`IMD_FILE7_COLUMNS`); extra columns are ignored and the
        variants in :data:`IMD_FIELDS` are recognised.

    Returns
    -------
    DataFrame
        ``lsoa_code, lsoa_name, la_code, la_name, imd_score, imd_rank, imd_decile`` and each domain
        score found (``income_score ... environment_score``) and ``population_2015``; one row per
        LSOA sorted by code. ``attrs``: ``code_year`` (2011 or 2021), ``source``.

    Raises
    ------
    InputError
        Missing file or required column, malformed or duplicate LSOA code, non-numeric score,
        decile outside 1..10 (each naming the file, line and column).

    References
    ----------
    .. [1] MHCLG (2019), The English Indices of Deprivation 2019, File 7.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("IMD file not found; pass the IoD2019 File 7 CSV (--imd PATH)", path=path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read as CSV ({exc}); save File 7 as CSV (UTF-8)", path=path) from None
    cols = _match_columns(list(raw.columns))
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        wants = "; ".join(f"{IMD_FIELDS[m][0]!r}" for m in missing)
        raise InputError(f"not an IMD File 7 table: no column {wants} (columns found: "
                         f"{', '.join(map(str, raw.columns[:8]))}{' ...' if raw.shape[1] > 8 else ''}). "
                         f"Use IoD2019 File 7 or rename the columns", path=path)
    code_col = cols["lsoa_code"]
    code_year = 2021 if "2021" in code_col or "21CD" in code_col.upper() else 2011
    out = pd.DataFrame({"lsoa_code": check_codes(raw[code_col], path=path, column=code_col)})
    for name in ("lsoa_name", "la_code", "la_name"):
        if name in cols:
            out[name] = raw[cols[name]].str.strip()
    if "la_code" in out:
        bad = ~out["la_code"].str.fullmatch(_LA_CODE) & (out["la_code"] != "")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(f"{out['la_code'].iloc[i]!r} is not a local authority code (E06/E07/E08/"
                             f"E09, W06 or X06 + six digits)", path=path, row=i + 2, column=cols["la_code"])
    for name in IMD_FIELDS:
        if name in cols and name not in out:
            out[name] = to_number(raw[cols[name]], path=path, column=cols[name],
                                  allow_missing=name not in REQUIRED)
    dec = out["imd_decile"]
    bad = (dec < 1) | (dec > 10) | (dec != dec.round())
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"IMD decile {dec.iloc[i]!r} is not a whole number from 1 to 10",
                         path=path, row=i + 2, column=cols["imd_decile"])
    out["imd_decile"] = dec.astype(int)
    if "imd_rank" in out and out["imd_rank"].notna().all():
        out["imd_rank"] = out["imd_rank"].astype(int)
    out = out.sort_values("lsoa_code", kind="stable").reset_index(drop=True)
    out.attrs.update(code_year=code_year, source=str(path))
    return out

"""English Indices of Deprivation 2019: Files 1, 2 and 7 as published, and their move onto 2021 LSOAs.

Which file a CSV is, is told by its header (:func:`detect_iod_file`): File 1 (IMD rank and decile,
no score: the usual download), File 2 (ranks and deciles of the IMD and its seven domains), File 7
(every score, rank and decile and the population denominators). File 6 (population denominators)
is refused here with a pointer to :func:`hotspot.covariates.population.read_population`. Files are
read as published: UTF-8 BOM, quoted thousands separators (``"29,199"``), 2011 LSOA codes.

:func:`imd_to_2021` re-expresses a 2011-coded table on 2021 LSOAs through the ONS lookup: an
unchanged or split LSOA copies its parent's values; a merged one (several 2011 parents) gets the
population-weighted score of its parents, re-ranked among all LSOAs in England (by interpolation
on the published score -> rank pairs) and the decile of that rank; without scores (Files 1 and 2)
it takes the rank and decile of the parent holding most of its population. Deciles are never
averaged.

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

import numpy as np
import pandas as pd

from hotspot.covariates.codes import check_codes, normalise_header, report_missing, to_number
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

#: Number of LSOAs (2011) in England ranked by IoD2019; decile d holds ranks ((d-1)N/10, dN/10].
ENGLAND_LSOAS_2011 = 32844
#: File 1's short IMD headers (the same columns File 2 and File 7 give with "(where 1 is ...)").
FILE1_RANK = "Index of Multiple Deprivation (IMD) Rank"
FILE1_DECILE = "Index of Multiple Deprivation (IMD) Decile"
FILE6_TOTAL = "Total population: mid 2015 (excluding prisoners)"

#: Engine name -> recognised headers (compared after whitespace normalisation, case-insensitive).
#: The first entry of each list is the File 7 name. ``lsoa_code`` variants carry the code vintage.
IMD_FIELDS: dict[str, list[str]] = {
    "lsoa_code": ["LSOA code (2011)", "LSOA code (2021)", "LSOA11CD", "LSOA21CD", "lsoa_code"],
    "lsoa_name": ["LSOA name (2011)", "LSOA name (2021)", "LSOA11NM", "LSOA21NM", "lsoa_name"],
    "la_code": ["Local Authority District code (2019)", "LAD19CD", "la_code"],
    "la_name": ["Local Authority District name (2019)", "LAD19NM", "la_name"],
    "imd_score": ["Index of Multiple Deprivation (IMD) Score", "IMDScore", "imd_score"],
    "imd_rank": ["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)", FILE1_RANK,
                 "IMDRank", "IMD_Rank", "imd_rank"],
    "imd_decile": ["Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
                   FILE1_DECILE, "IMDDec0", "IMD_Decile", "imd_decile"],
    "income_score": ["Income Score (rate)", "IncScore"],
    "employment_score": ["Employment Score (rate)", "EmpScore"],
    "education_score": ["Education, Skills and Training Score", "EduScore"],
    "health_score": ["Health Deprivation and Disability Score", "HDDScore"],
    "crime_score": ["Crime Score", "CriScore"],
    "housing_score": ["Barriers to Housing and Services Score", "BHSScore"],
    "environment_score": ["Living Environment Score", "EnvScore"],
    "population_2015": ["Total population: mid 2015 (excluding prisoners)", "TotPop"],
}
REQUIRED = ["lsoa_code", "imd_decile"]
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


def detect_iod_file(columns) -> int | None:
    """Which IoD2019 file a header is: 1, 2, 6 or 7 (None if none of them).

    File 7 has the IMD score and the population denominators; File 2 the ranks and deciles of the
    IMD and the domains but no scores; File 1 the IMD rank and decile with the short headers; File 6
    the population denominators alone.
    """
    norm = {normalise_header(c).casefold() for c in columns}
    has = lambda name: normalise_header(name).casefold() in norm  # noqa: E731
    score = has(IMD_FIELDS["imd_score"][0])
    pop = has(FILE6_TOTAL)
    imd = has(IMD_FIELDS["imd_decile"][0]) or has(FILE1_DECILE)
    if score and imd:
        return 7
    if has(IMD_FIELDS["imd_decile"][0]) and has("Income Decile (where 1 is most deprived 10% of LSOAs)"):
        return 2
    if has(FILE1_DECILE) and has(FILE1_RANK):
        return 1
    if pop and not imd:
        return 6
    return None


def read_imd(path: str | Path) -> pd.DataFrame:
    """Read IoD2019 File 1, 2 or 7 (or a file with their column names) and validate it.

    Parameters
    ----------
    path : str or Path
        CSV as published (BOM and thousands separators allowed); File 7 layout
        (:data:`IMD_FILE7_COLUMNS`), File 2 or File 1; extra columns are ignored and the variants in
        :data:`IMD_FIELDS` are recognised.

    Returns
    -------
    DataFrame
        ``lsoa_code, lsoa_name, la_code, la_name, imd_score, imd_rank, imd_decile`` (``imd_score``
        NaN for Files 1 and 2, which publish none) and each domain score found
        (``income_score ... environment_score``) and ``population_2015``; one row per LSOA sorted
        by code. ``attrs``: ``code_year`` (2011 or 2021), ``iod_file`` (1, 2, 7 or None), ``source``.

    Raises
    ------
    InputError
        Missing file or required column (File 6 is named as such), malformed or duplicate LSOA
        code, non-numeric score, decile outside 1..10 (each naming the file, line and column).

    References
    ----------
    .. [1] MHCLG (2019), The English Indices of Deprivation 2019, Files 1, 2 and 7.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("IMD file not found; pass IoD2019 File 1, 2 or 7 as CSV (--imd PATH)", path=path)
    if path.is_dir():
        raise InputError("is a folder; pass the IoD2019 File 1, 2 or 7 CSV itself (--imd PATH)", path=path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read as CSV ({exc}); save the IoD2019 file as CSV (UTF-8)", path=path) from None
    iod_file = detect_iod_file(raw.columns)
    if iod_file == 6:
        raise InputError("this is IoD2019 File 6 (population denominators), not an IMD table; pass it "
                         "as --population and File 1, 2 or 7 as --imd", path=path)
    cols = _match_columns(list(raw.columns))
    missing = [c for c in REQUIRED if c not in cols]
    if missing or not ({"imd_score", "imd_rank"} & set(cols)):
        wants = "; ".join(f"{IMD_FIELDS[m][0]!r}" for m in missing) or repr(IMD_FIELDS["imd_rank"][0])
        raise InputError(f"not an IoD2019 IMD table (File 1, 2 or 7): no column {wants} (columns found: "
                         f"{', '.join(map(str, raw.columns[:8]))}{' ...' if raw.shape[1] > 8 else ''}). "
                         f"Use IoD2019 File 1, 2 or 7 or rename the columns", path=path)
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
    if "imd_score" not in out:
        out.insert(out.columns.get_loc("la_name") + 1 if "la_name" in out else 1, "imd_score", np.nan)
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
    out.attrs.update(code_year=code_year, source=str(path), iod_file=iod_file)
    return out


def decile_from_rank(rank, n: int = ENGLAND_LSOAS_2011) -> np.ndarray:
    """National decile (1 = most deprived 10%) of a national rank among ``n`` LSOAs.

    Decile ``d`` holds ranks ``((d-1)n/10, dn/10]``; on IoD2019 this reproduces every published
    decile from its rank.
    """
    r = np.asarray(rank, dtype=float)
    return np.clip(np.ceil(r * 10.0 / n), 1, 10)


def rank_from_score(score, ref_score, ref_rank) -> np.ndarray:
    """National rank of new scores by linear interpolation on published (score, rank) pairs.

    A higher IMD score is more deprived (a lower rank). Scores beyond the reference range take the
    end ranks.
    """
    rs = np.asarray(ref_score, dtype=float)
    rr = np.asarray(ref_rank, dtype=float)
    ok = np.isfinite(rs) & np.isfinite(rr)
    order = np.argsort(rs[ok], kind="stable")
    return np.interp(np.asarray(score, dtype=float), rs[ok][order], rr[ok][order])


def imd_to_2021(imd: pd.DataFrame, lookup: pd.DataFrame, *, population: pd.DataFrame | None = None,
                n: int = ENGLAND_LSOAS_2011) -> pd.DataFrame:
    """Move a 2011-coded IMD table onto 2021 LSOAs (see the module docstring for the rules).

    Parameters
    ----------
    imd : DataFrame
        From :func:`read_imd` (2011 codes).
    lookup : DataFrame
        From :func:`hotspot.covariates.codes.read_lsoa_lookup` (``LSOA11CD, LSOA21CD, CHGIND``;
        ``share_of_lsoa11_area`` used, when present, to share a split parent's population).
    population : DataFrame, optional
        2011-coded ``lsoa_code, population`` (e.g. IoD2019 File 6 through
        :func:`~hotspot.covariates.population.read_population`); else ``imd["population_2015"]``.
    n : int
        LSOAs ranked nationally (32,844 for IoD2019).

    Returns
    -------
    DataFrame
        One row per 2021 LSOA reached: ``lsoa_code, lsoa11_codes, chgind, imd_score, imd_rank,
        imd_decile, imd_method`` (``copied``, ``reranked_weighted_score`` or
        ``majority_population``), the domain scores (population-weighted) and ``population_2015``
        when known. ``attrs``: ``code_year=2021``, ``unmatched`` (2011 codes not in the lookup),
        ``iod_file``, ``source``.
    """

    t = imd.copy()
    if population is not None:
        t["population_2015"] = t["lsoa_code"].map(population.set_index("lsoa_code")["population"])
    lk = lookup[lookup["LSOA11CD"].isin(set(t["lsoa_code"]))].copy()
    unmatched = report_missing(lookup["LSOA11CD"], t["lsoa_code"], what="LSOA 2011 -> 2021 lookup")
    k = lk.groupby("LSOA11CD")["LSOA21CD"].transform("count")
    share = (pd.to_numeric(lk["share_of_lsoa11_area"], errors="coerce") if "share_of_lsoa11_area" in lk
             else pd.Series(np.nan, index=lk.index))
    share = share / share.groupby(lk["LSOA11CD"]).transform("sum")
    lk["w"] = share.where(share.notna(), 1.0 / k)
    m = lk.merge(t, left_on="LSOA11CD", right_on="lsoa_code", how="inner")
    pop = m["population_2015"].astype(float) if "population_2015" in m else pd.Series(np.nan, index=m.index)
    m["pw"] = pop * m["w"]
    if "share_of_lsoa21_area" in m:  # no population: weight parents by the child's area they cover
        m["pw"] = m["pw"].fillna(pd.to_numeric(m["share_of_lsoa21_area"], errors="coerce"))
    m["pw"] = m["pw"].fillna(m["w"])
    g = m.groupby("LSOA21CD", sort=True)
    out = pd.DataFrame({"lsoa11_codes": g["LSOA11CD"].agg(lambda s: ";".join(sorted(s))),
                        "chgind": g["CHGIND"].agg(lambda s: "".join(sorted(set(s))))})
    n_par = g["LSOA11CD"].nunique()
    scores = [c for c in t.columns if c == "imd_score" or c.endswith("_score")]
    for c in scores:
        v = m[c].astype(float)
        ok = v.notna()
        out[c] = (v.fillna(0) * m["pw"]).where(ok).groupby(m["LSOA21CD"]).sum(min_count=1) / \
            m["pw"].where(ok).groupby(m["LSOA21CD"]).sum().replace(0, np.nan)
    if "population_2015" in m and m["population_2015"].notna().any():
        out["population_2015"] = (m["population_2015"].astype(float) * m["w"]).groupby(m["LSOA21CD"]).sum(min_count=1)
    # rank and decile: the single parent's; for a merge, re-rank the weighted score or take the majority
    top = m.sort_values(["LSOA21CD", "pw", "LSOA11CD"], ascending=[True, False, True]).drop_duplicates("LSOA21CD")
    top = top.set_index("LSOA21CD")
    has_rank = "imd_rank" in t and t["imd_rank"].notna().any()
    out["imd_rank"] = top["imd_rank"].astype(float) if has_rank else np.nan
    out["imd_decile"] = top["imd_decile"].astype(float)
    pop_known = pop.notna().groupby(m["LSOA21CD"]).all()
    out["imd_method"] = np.where(n_par > 1, np.where(pop_known, "majority_population", "majority_area"),
                                 "copied")
    merged = (n_par > 1).to_numpy()
    if merged.any() and has_rank and t["imd_score"].notna().sum() >= 2:
        sc = out.loc[merged, "imd_score"]
        good = sc.notna().to_numpy()
        idx = sc.index[good]
        r = rank_from_score(sc[good], t["imd_score"], t["imd_rank"])
        out.loc[idx, "imd_rank"] = np.round(r)
        out.loc[idx, "imd_decile"] = decile_from_rank(np.round(r), n)
        out.loc[idx, "imd_method"] = "reranked_weighted_score"
    out["imd_decile"] = out["imd_decile"].astype("Int64")
    out["imd_rank"] = out["imd_rank"].astype("Int64") if has_rank else out["imd_rank"]
    out = out.rename_axis("lsoa_code").reset_index()
    first = ["lsoa_code", "lsoa11_codes", "chgind", "imd_score", "imd_rank", "imd_decile", "imd_method"]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs.update(code_year=2021, unmatched=unmatched, iod_file=imd.attrs.get("iod_file"),
                     source=imd.attrs.get("source"))
    return out

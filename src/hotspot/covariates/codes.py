"""LSOA codes shared by the covariate readers: validation, duplicates, coverage and 2011 -> 2021 joins.

LSOA codes are nine characters: a country letter (``E`` England, ``W`` Wales, ``X`` the engine's
synthetic areas), ``01`` (the LSOA entity code) and six digits. The same shape is used by the 2011
and the 2021 LSOAs; which vintage a file uses is told by its header (``LSOA code (2011)``,
``LSOA11CD``, ``LSOA21CD``...), never by the code itself.

Joining 2011-coded covariates to 2021 LSOAs uses the ONS lookup (``LSOA11CD, LSOA21CD, CHGIND``;
``CHGIND`` is ``U`` unchanged, ``S`` split, ``M`` merged, ``X`` irregular). :func:`recode_2011_to_2021`
treats all four alike: a 2011 LSOA with ``k`` 2021 children gives each child the weight ``1/k``;
counts (population, households) are shared out by that weight and summed per 2021 LSOA;
intensive values (scores, rates, deciles) are averaged per 2021 LSOA weighted by the weighted
count column given (population when known, else equally). So a split copies the parent's score to
every child and shares its population equally; a merge takes the population-weighted mean score and
sums the populations. Ranks are not meaningful after recoding and are dropped.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from hotspot.errors import InputError

#: An LSOA (2011 or 2021) code: E01/W01 (and the synthetic X01) plus six digits.
LSOA_CODE = re.compile(r"^[EWX]01\d{6}$")
#: Any ONS-style nine-character area code (LSOA, LA, beat...): letter + eight digits, or X + letter.
AREA_CODE = re.compile(r"[EWX][0-9A-Z]\d{7}")
#: Change indicators of the ONS LSOA 2011 -> 2021 lookup.
CHGIND = {"U": "unchanged", "S": "split", "M": "merged", "X": "irregular"}


def normalise_header(name: object) -> str:
    """Collapse whitespace (published spreadsheets put newlines inside header cells)."""
    return " ".join(str(name).replace("\ufeff", "").split())


def check_codes(codes: pd.Series, *, path: str | Path | None, column: str, first_line: int = 2,
                pattern: re.Pattern = LSOA_CODE, what: str = "LSOA code") -> pd.Series:
    """Validate codes: present, well formed and unique. Returns the stripped codes.

    ``first_line`` is the file line of the first data row (header = 1), for error messages.
    """
    codes = codes.astype("string").str.strip()
    blank = codes.isna() | (codes == "")
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError(f"empty {what}; every row needs one (remove the row or fill the code)",
                         path=path, row=first_line + i, column=column)
    bad = ~codes.str.fullmatch(pattern).astype(bool)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{codes.iloc[i]!r} is not a valid {what} (expected e.g. E01014581, "
                         f"W01000001 or X01000001); fix or remove the row",
                         path=path, row=first_line + i, column=column)
    dup = codes.duplicated(keep=False)
    if dup.any():
        first = codes[dup].iloc[0]
        lines = [first_line + int(i) for i in np.flatnonzero((codes == first).to_numpy())]
        raise InputError(f"duplicate {what} {first!r} on lines {', '.join(map(str, lines))} "
                         f"({int(codes.duplicated().sum())} duplicate rows in all); each area must "
                         f"appear once: remove the repeats", path=path, row=lines[1], column=column)
    return codes.astype(str)


def to_number(values: pd.Series, *, path: str | Path | None, column: str, first_line: int = 2,
              allow_missing: bool = False) -> pd.Series:
    """Parse numbers (thousands separators allowed); error naming the first bad cell."""
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    missing = text.isna() | text.isin(["", "..", "-", ":", "x", "*"])
    num = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = num.isna() & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{values.iloc[i]!r} is not a number; fix the cell", path=path,
                         row=first_line + i, column=column)
    if missing.any() and not allow_missing:
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError("missing value; every row needs a number here", path=path,
                         row=first_line + i, column=column)
    return num.astype(float)


def report_missing(have: Iterable[str], need: Iterable[str], *, what: str,
                   source: str | Path | None = None) -> list[str]:
    """Codes in ``need`` with no row in ``have``: returned sorted and announced with a warning."""
    missing = sorted(set(map(str, need)) - set(map(str, have)))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        where = f" ({source})" if source else ""
        warnings.warn(f"{len(missing)} area code(s) have no {what} row{where}: {shown}; their "
                      f"{what} values are left empty (NaN). Check the file covers the study area "
                      f"and uses the same LSOA vintage (2011 vs 2021 codes; see "
                      f"hotspot.covariates.codes.recode_2011_to_2021)", stacklevel=3)
    return missing


def read_lsoa_lookup(path: str | Path) -> pd.DataFrame:
    """Read an LSOA 2011 -> 2021 lookup CSV (``LSOA11CD, LSOA21CD, CHGIND``; other columns ignored).

    Returns
    -------
    DataFrame
        ``LSOA11CD, LSOA21CD, CHGIND`` (one row per 2011/2021 pair), plus
        ``share_of_lsoa11_area``/``share_of_lsoa21_area`` when the file has them (the derived
        area-overlap lookup does).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("LSOA lookup file not found; check the path", path=path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [normalise_header(c).upper() for c in df.columns]
    need = ["LSOA11CD", "LSOA21CD", "CHGIND"]
    miss = [c for c in need if c not in df.columns]
    if miss:
        raise InputError(f"the lookup has no {', '.join(miss)} column(s) (columns: "
                         f"{', '.join(df.columns)}); use the ONS 'LSOA (2011) to LSOA (2021)' "
                         f"lookup", path=path)
    out = df[need].apply(lambda s: s.str.strip())
    for extra in ("SHARE_OF_LSOA11_AREA", "SHARE_OF_LSOA21_AREA"):  # derived lookups carry area shares
        if extra in df.columns:
            out[extra.lower()] = pd.to_numeric(df[extra], errors="coerce")
    for col in ("LSOA11CD", "LSOA21CD"):
        bad = ~out[col].str.fullmatch(LSOA_CODE)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{out[col].iloc[i]!r} is not an LSOA code", path=path, row=i + 2, column=col)
    badc = ~out["CHGIND"].str.upper().isin(list(CHGIND))
    if badc.any():
        i = int(np.flatnonzero(badc.to_numpy())[0])
        raise InputError(f"CHGIND {out['CHGIND'].iloc[i]!r} is not one of U, S, M, X", path=path,
                         row=i + 2, column="CHGIND")
    out["CHGIND"] = out["CHGIND"].str.upper()
    dup = out.duplicated(["LSOA11CD", "LSOA21CD"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError("repeated LSOA11CD/LSOA21CD pair; remove the repeat", path=path, row=i + 2)
    return out.reset_index(drop=True)


def recode_2011_to_2021(df: pd.DataFrame, lookup: pd.DataFrame, *, counts: Sequence[str] = (),
                        intensive: Sequence[str] = (), weight: str | None = None,
                        code: str = "lsoa_code") -> pd.DataFrame:
    """Re-express a 2011-LSOA table on 2021 LSOAs (see the module docstring for the rules).

    Parameters
    ----------
    df : DataFrame
        One row per 2011 LSOA in column ``code``.
    lookup : DataFrame
        From :func:`read_lsoa_lookup`.
    counts : columns shared out (split) and summed (merge).
    intensive : columns averaged per 2021 LSOA.
    weight : str, optional
        A count column weighting the intensive averages (e.g. ``"population"``); equal weights if None.

    Returns
    -------
    DataFrame
        ``code`` (2021 codes), the ``counts`` and ``intensive`` columns, ``n_2011`` (parents) and
        ``chgind`` (the change indicators involved, e.g. ``"S"``, ``"M"``). 2011 codes absent from
        the lookup are reported with a warning and dropped from the result (listed in
        ``attrs["unmatched"]``).
    """
    lk = lookup.copy()
    lk["w"] = 1.0 / lk.groupby("LSOA11CD")["LSOA21CD"].transform("count")
    unmatched = report_missing(lk["LSOA11CD"], df[code], what="LSOA 2011 -> 2021 lookup")
    m = df.merge(lk, left_on=code, right_on="LSOA11CD", how="inner")
    out = pd.DataFrame({code: sorted(m["LSOA21CD"].unique())}).set_index(code)
    for c in counts:
        m[f"_{c}"] = m[c].astype(float) * m["w"]
        out[c] = m.groupby("LSOA21CD")[f"_{c}"].sum(min_count=1)
    wts = (m[weight].astype(float) * m["w"]) if weight else m["w"]
    m["_wt"] = wts.fillna(0.0)
    for c in intensive:
        v = m[c].astype(float)
        ok = v.notna()
        num = (v.fillna(0) * m["_wt"]).where(ok).groupby(m["LSOA21CD"]).sum(min_count=1)
        den = m["_wt"].where(ok).groupby(m["LSOA21CD"]).sum()
        out[c] = (num / den.replace(0, np.nan))
        # all-zero weights (e.g. no population): fall back to a plain mean
        plain = v.groupby(m["LSOA21CD"]).mean()
        out[c] = out[c].fillna(plain)
    out["n_2011"] = m.groupby("LSOA21CD")["LSOA11CD"].nunique()
    out["chgind"] = m.groupby("LSOA21CD")["CHGIND"].agg(lambda s: "".join(sorted(set(s))))
    out = out.reset_index()
    out.attrs["unmatched"] = unmatched
    out.attrs["code_year"] = 2021
    return out

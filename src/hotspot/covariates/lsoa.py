"""Covariates on the study's own LSOAs: IMD, population and Universal Credit, each optional.

:func:`lsoa_covariates` puts whatever covariates were given onto the boundary LSOAs (moving
2011-coded tables onto 2021 LSOAs through the lookup when the boundaries are 2021) and returns one
row per LSOA. A covariate that was not given is a column of NA with a note saying it is not
available, never an error and never a zero; an empty path (``--uc ""``) means "not given".

References
----------
.. [1] MHCLG (2019). *The English Indices of Deprivation 2019*, Files 1, 2, 6 and 7.
.. [2] ONS. *LSOA (2011) to LSOA (2021) to Local Authority District (2022) Lookup for England and Wales.*
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hotspot.covariates.codes import read_lsoa_lookup, recode_2011_to_2021
from hotspot.covariates.imd import imd_to_2021, read_imd
from hotspot.covariates.population import read_population
from hotspot.covariates.universal_credit import month_values, read_statxplore
from hotspot.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from hotspot.geography.areas import Areas

#: Columns of :func:`lsoa_covariates`, in order.
COVARIATE_COLUMNS = ["lsoa_code", "imd_score", "imd_rank", "imd_decile", "imd_method", "population",
                     "population_source", "uc_households"]


def given(path) -> Path | None:
    """``None`` for an absent covariate (``None``, ``""`` or blanks), else the path."""
    if path is None or (isinstance(path, str) and not path.strip()):
        return None
    return Path(path)


def _table(value, reader):
    """A table as given, or read from a path; None when not given."""
    if value is None or isinstance(value, pd.DataFrame):
        return value
    p = given(value)
    return None if p is None else reader(p)


def _boundary_year(areas: Areas, lookup: pd.DataFrame | None) -> int | None:
    year = (getattr(areas, "provenance", {}) or {}).get("lsoa", {}).get("code_year")
    if year is not None or lookup is None:
        return year
    codes = set(areas.lsoa["lsoa_code"])  # no provenance: tell by which side of the lookup matches
    n21, n11 = len(codes & set(lookup["LSOA21CD"])), len(codes & set(lookup["LSOA11CD"]))
    return 2021 if n21 > n11 else 2011 if n11 > n21 else None


def lsoa_covariates(areas: Areas, *, imd=None, population=None, uc=None, lookup=None,
                    uc_month: str | None = None) -> pd.DataFrame:
    """IMD, population and UC for each boundary LSOA; absent covariates are NA columns.

    Parameters
    ----------
    areas : Areas
        The boundaries (``areas.lsoa["lsoa_code"]`` is the universe; ``provenance["lsoa"]
        ["code_year"]`` tells the vintage).
    imd : path or DataFrame, optional
        IoD2019 File 1, 2 or 7 (:func:`~hotspot.covariates.imd.read_imd`).
    population : path or DataFrame, optional
        ONS mid-year estimates or IoD2019 File 6 (:func:`~hotspot.covariates.population.read_population`).
        Without it: the boundary layer's ``population``, else File 7's mid-2015 denominators.
    uc : path or DataFrame, optional
        Stat-Xplore Universal Credit households by LSOA.
    lookup : path or DataFrame, optional
        LSOA 2011 -> 2021 lookup (:func:`~hotspot.covariates.codes.read_lsoa_lookup`); used when a
        table has 2011 codes and the boundaries 2021 codes.
    uc_month : str, optional
        ``YYYY-MM`` of the UC count (default the latest).

    Returns
    -------
    DataFrame
        :data:`COVARIATE_COLUMNS`, one row per boundary LSOA in its order. ``attrs``: ``available``
        (``{"imd": bool, "imd_score": bool, "population": bool, "uc": bool}``), ``notes`` (plain
        sentences for reports), ``missing`` (per covariate, the LSOAs without a value), ``sources``.
    """
    imd_t = _table(imd, read_imd)
    pop_t = _table(population, read_population)
    lk = _table(lookup, read_lsoa_lookup)
    codes = pd.Index(areas.lsoa["lsoa_code"].astype(str), name="lsoa_code")
    out = pd.DataFrame({"lsoa_code": codes})
    year = _boundary_year(areas, lk)
    notes: list[str] = []
    missing: dict[str, list[str]] = {}
    sources = {}

    def on_boundaries(t: pd.DataFrame | None, kind: str) -> tuple[pd.DataFrame | None, bool]:
        """Whether (and how) a 2011-coded table is moved to 2021 codes."""
        if t is None:
            return None, False
        if t.attrs.get("code_year") == 2011 and year == 2021:
            if lk is None:
                notes.append(f"{kind} uses 2011 LSOA codes and the boundaries 2021 codes, and no 2011 -> 2021 "
                             f"lookup was given (--lookup): only LSOAs whose code did not change are matched")
                return t, False
            return t, True
        return t, False

    # ---- population
    pop = pd.Series(np.nan, index=codes)
    pop_src = pd.Series(pd.NA, index=codes, dtype="string")
    pop_t, recode_pop = on_boundaries(pop_t, "the population table")
    if pop_t is not None:
        sources["population"] = pop_t.attrs.get("source")
        t = recode_2011_to_2021(pop_t[["lsoa_code", "population"]], lk, counts=["population"]) \
            if recode_pop else pop_t
        pop = t.set_index("lsoa_code")["population"].reindex(codes)
        pop_src[pop.notna()] = Path(str(pop_t.attrs.get("source", "population file"))).name
    if pop.isna().any() and "population" in areas.lsoa.columns:
        b = pd.Series(areas.lsoa["population"].astype(float).to_numpy(), index=codes)
        fill = pop.isna() & b.notna()
        pop[fill], pop_src[fill] = b[fill], "boundaries"

    # ---- IMD
    imd_cols = {"imd_score": np.nan, "imd_rank": pd.NA, "imd_decile": pd.NA, "imd_method": pd.NA}
    imd_t, recode_imd = on_boundaries(imd_t, "the IMD file")
    if imd_t is not None:
        sources["imd"] = imd_t.attrs.get("source")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # coverage is reported below, per boundary LSOA
            t = imd_to_2021(imd_t, lk, population=pop_t if (pop_t is not None and
                                                            pop_t.attrs.get("code_year") == 2011) else None) \
                if recode_imd else imd_t.assign(imd_method="copied")
        t = t.set_index("lsoa_code")
        for c in imd_cols:
            out[c] = t[c].reindex(codes).to_numpy() if c in t else imd_cols[c]
        merged = t.get("imd_method", pd.Series(dtype=object)).isin(
            ["reranked_weighted_score", "majority_population", "majority_area"])
        if merged.any():
            how = t.loc[merged, "imd_method"].value_counts().to_dict()
            notes.append(f"{int(merged.sum())} 2021 LSOA(s) merge several 2011 LSOAs; their IMD decile is set "
                         "by " + ", ".join(f"{k.replace('_', ' ')} ({v})" for k, v in how.items())
                         + ", never an average of deciles")
        if imd_t["imd_score"].isna().all():
            notes.append(f"IoD2019 File {imd_t.attrs.get('iod_file') or '?'} publishes no IMD score: "
                         f"imd_score is not available (ranks and deciles are)")
        # File 7's mid-2015 denominators stand in for a population nobody gave
        if pop.isna().all() and "population_2015" in t and t["population_2015"].notna().any():
            p15 = t["population_2015"].reindex(codes)
            fill = p15.notna()
            pop[fill], pop_src[fill] = p15[fill], "IoD2019 mid-2015 denominators"
        missing["imd"] = sorted(set(codes) - set(t.index[t["imd_decile"].notna()]))
    else:
        for c, v in imd_cols.items():
            out[c] = v
        notes.append("IMD not available (no IMD file given)")
    out["imd_decile"] = pd.array(out["imd_decile"], dtype="Int64")
    out["imd_rank"] = pd.array(pd.to_numeric(out["imd_rank"], errors="coerce"), dtype="Int64")
    out["imd_score"] = pd.to_numeric(out["imd_score"], errors="coerce").astype(float)

    out["population"] = pop.to_numpy()
    out["population_source"] = pop_src.to_numpy()
    if pop.isna().all():
        notes.append("population not available (no population file, none in the boundaries)")
    missing["population"] = sorted(codes[pop.isna().to_numpy()])

    # ---- Universal Credit
    out["uc_households"] = np.nan
    uc_t = _table(uc, _read_uc)
    if uc_t is not None:

        sources["uc"] = uc_t.attrs.get("source")
        s = month_values(uc_t, uc_month)
        if not s.index.isin(codes).any() and not (lk is not None and s.index.isin(lk["LSOA11CD"]).any()):
            raise InputError("the Universal Credit table's area codes match no LSOA in the boundaries; "
                             "export Stat-Xplore by LSOA for the same areas", path=uc_t.attrs.get("source"))
        if lk is not None and year == 2021 and not s.index.isin(codes).all() and s.index.isin(lk["LSOA11CD"]).any():
            s = recode_2011_to_2021(s.rename("uc").rename_axis("lsoa_code").reset_index(), lk,
                                    counts=["uc"]).set_index("lsoa_code")["uc"]
        out["uc_households"] = s.reindex(codes).to_numpy(dtype=float)
        missing["uc"] = sorted(codes[out["uc_households"].isna().to_numpy()])
    else:
        notes.append("Universal Credit not available (no Stat-Xplore file given)")
    for k in ("imd", "population", "uc"):
        if missing.get(k) and len(missing[k]) < len(codes):
            notes.append(f"{len(missing[k])} of {len(codes)} LSOAs have no {k.replace('uc', 'UC')} value")
    out = out[COVARIATE_COLUMNS]
    out.attrs.update(available={"imd": imd_t is not None,
                                "imd_score": imd_t is not None and out["imd_score"].notna().any(),
                                "population": bool(pop.notna().any()), "uc": uc_t is not None},
                     notes=notes, missing=missing, sources=sources, boundary_code_year=year)
    return out


def _read_uc(path: Path) -> pd.DataFrame:

    return read_statxplore(path)

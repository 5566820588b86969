"""Area profiles: offences, serious violence and knife crime per LSOA, beat or local authority,
with rates per resident and per Universal Credit household and the area's deprivation.

Everything is built at LSOA level and summed up the nesting LSOA -> beat -> LA held by
:class:`hotspot.geography.areas.Areas`, so the three levels always reconcile. Nothing is dropped
silently: areas without a covariate row are listed in ``attrs["missing"]`` (and warned about),
offences without an LSOA, or in an LSOA absent from the boundaries, are counted in
``attrs["unplaced_offences"]``.

References
----------
.. [1] Avon and Somerset Violence Reduction Unit (2021). *Serious Violence Strategic Needs
   Assessment* (rates per 1,000 residents; Universal Credit households per 100 households).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hotspot.covariates.codes import recode_2011_to_2021, report_missing
from hotspot.covariates.imd import imd_to_2021
from hotspot.covariates.universal_credit import month_values
from hotspot.errors import ArgumentError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from hotspot.geography.areas import Areas

LEVELS = {"lsoa": "lsoa_code", "beat": "beat_code", "la": "la_code"}
COUNT_COLUMNS = ["offences", "serious_violence", "knife", "knife_sv"]


def _bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.astype(str).str.strip().str.lower().isin(["true", "1", "yes", "y", "t"])


def offence_counts(offences: pd.DataFrame, codes: pd.Index,
                   harm: np.ndarray | None = None) -> tuple[pd.DataFrame, int]:
    """Offences, serious violence, knife and knife-enabled serious violence per LSOA.

    Returns the counts indexed by ``codes`` (zeros where none) and the number of offences whose
    ``lsoa_code`` is empty or not in ``codes``. With ``harm`` (one weight per offence), also
    ``sv_harm``: the summed harm of the serious-violence offences.
    """
    if "lsoa_code" not in offences.columns:
        raise ArgumentError("offences", list(offences.columns)[:10],
                            "a geocoded offences table with an 'lsoa_code' column (hotspot geocode)")
    df = pd.DataFrame({"lsoa_code": offences["lsoa_code"].astype("string")})
    df["offences"] = 1
    df["serious_violence"] = _bool(offences["serious_violence"]).astype(int) \
        if "serious_violence" in offences else 0
    df["knife"] = _bool(offences["knife"]).astype(int) if "knife" in offences else 0
    df["knife_sv"] = df["knife"] * df["serious_violence"]
    cols = list(COUNT_COLUMNS)
    if harm is not None:
        w = np.asarray(harm, dtype=float)
        if w.shape != (len(offences),):
            raise ArgumentError("harm", f"{w.size} values", f"one weight per offence ({len(offences)})")
        sv = df["serious_violence"].to_numpy() > 0
        if np.isnan(w[sv]).any():
            raise ArgumentError("harm", "NaN weights", "a weight for every serious-violence offence")
        df["sv_harm"] = np.where(sv, w, 0.0)
        cols.append("sv_harm")
    placed = df["lsoa_code"].isin(codes)
    counts = df[placed].groupby("lsoa_code")[cols].sum()
    counts = counts.reindex(codes, fill_value=0)
    counts[COUNT_COLUMNS] = counts[COUNT_COLUMNS].astype(int)
    if "knife" in offences and offences["knife"].isna().any():
        # police.uk publishes no knife flag: the knife counts are not available, not zero
        counts[["knife", "knife_sv"]] = counts[["knife", "knife_sv"]].astype(float)
        unknown = offences.loc[offences["knife"].isna(), "lsoa_code"].astype("string")
        counts.loc[counts.index.isin(set(unknown)) | offences["knife"].isna().all(), ["knife", "knife_sv"]] = np.nan
    return counts, int((~placed).sum())


def _maybe_recode(table: pd.DataFrame | None, lookup: pd.DataFrame | None, *, counts, intensive,
                  weight=None, code="lsoa_code"):
    if table is None or lookup is None or table.attrs.get("code_year") != 2011:
        return table
    keep = [c for c in counts if c in table] + [c for c in intensive if c in table]
    out = recode_2011_to_2021(table[[code] + keep], lookup, counts=[c for c in counts if c in table],
                              intensive=[c for c in intensive if c in table],
                              weight=weight if weight in table else None, code=code)
    return out


def area_profile(offences: pd.DataFrame, areas: Areas, *, imd: pd.DataFrame | None = None,
                 uc: pd.DataFrame | None = None, population: pd.DataFrame | None = None,
                 level: str = "lsoa", uc_month: str | None = None,
                 lookup: pd.DataFrame | None = None, harm: np.ndarray | None = None) -> pd.DataFrame:
    """Profile each area: counts, rates per 1,000 residents and per UC household, deprivation.

    Parameters
    ----------
    offences : DataFrame
        Geocoded offences (``lsoa_code``, ``serious_violence``, ``knife``; see :mod:`hotspot.schema`).
    areas : Areas
        Boundaries; ``areas.lsoa`` gives the LSOA -> beat -> LA nesting, population and households.
    imd : DataFrame, optional
        From :func:`hotspot.covariates.imd.read_imd`.
    uc : DataFrame, optional
        From :func:`hotspot.covariates.universal_credit.read_statxplore`, LSOA codes (any level) or
        LA codes (``level="la"`` only).
    population : DataFrame, optional
        From :func:`hotspot.covariates.population.read_population`; replaces the boundary
        layer's population where given.
    level : {"lsoa", "beat", "la"}
    uc_month : str, optional
        ``"YYYY-MM"`` of the UC count (default the latest month in ``uc``).
    lookup : DataFrame, optional
        LSOA 2011 -> 2021 lookup (:func:`hotspot.covariates.codes.read_lsoa_lookup`); when given,
        2011-coded covariates are re-expressed on 2021 LSOAs first (the boundaries must then use
        2021 codes).
    harm : ndarray, optional
        Harm weight of each offence (:func:`hotspot.hotspots.harm.HarmIndex.lookup`; every
        serious-violence offence needs one): adds ``sv_harm`` beside the counts.

    Returns
    -------
    DataFrame
        One row per area: ``<level>_code``, a name, ``lsoas`` (count), ``offences,
        serious_violence, knife, knife_sv``, ``population, households, uc_households``,
        ``offences_per_1000, sv_per_1000, knife_per_1000, knife_sv_per_1000``,
        ``uc_per_100_households`` (UC households per 100 households), ``sv_per_100_uc`` (serious
        violence per 100 UC households), ``imd_score`` and ``imd_decile`` (at beat and LA level:
        the population-weighted mean score and the population-weighted median decile, with
        ``share_pop_decile_1``, the share of residents in LSOAs of the most deprived decile). ``attrs``: ``level``, ``missing`` (``{"imd": [...],
        "uc": [...], "population": [...]}`` LSOA/LA codes without a row), ``unplaced_offences``,
        ``uc_month``.
    """
    if level not in LEVELS:
        raise ArgumentError("level", level, "one of 'lsoa', 'beat', 'la'")
    key = LEVELS[level]
    lsoa = pd.DataFrame(areas.lsoa.drop(columns=areas.lsoa.geometry.name, errors="ignore"))
    if key not in lsoa.columns:
        raise InputError(f"the LSOA layer has no {key!r} column, so LSOAs cannot be grouped by {level}; "
                         f"use boundaries with nested {level} codes", path=areas.source or None)
    base = lsoa.set_index("lsoa_code")
    codes = pd.Index(base.index.astype(str), name="lsoa_code")
    prof = pd.DataFrame(index=codes)
    for col in ("lsoa_name", "beat_code", "la_code"):
        if col in base:
            prof[col] = base[col].to_numpy()
    missing: dict[str, list[str]] = {}

    counts, unplaced = offence_counts(offences, codes, harm)
    prof = prof.join(counts)
    if unplaced:
        warnings.warn(f"{unplaced} offence(s) have no LSOA in the boundaries (empty or unknown "
                      f"lsoa_code); they are not in the area profile. Geocode with the same boundaries",
                      stacklevel=2)

    # population: covariate file wins, else the boundary layer
    prof["population"] = base["population"].astype(float).to_numpy() if "population" in base else np.nan
    population = _maybe_recode(population, lookup, counts=["population"], intensive=[])
    if population is not None:
        pop = population.set_index("lsoa_code")["population"]
        missing["population"] = report_missing(pop.index, codes, what="population",
                                               source=population.attrs.get("source"))
        prof["population"] = pop.reindex(codes).to_numpy()
    prof["households"] = base["households"].astype(float).to_numpy() if "households" in base else np.nan

    if imd is not None and lookup is not None and imd.attrs.get("code_year") == 2011:
        # merged LSOAs: decile re-ranked from the weighted score or the majority parent's, never averaged
        imd = imd_to_2021(imd, lookup)
    if imd is not None:
        t = imd.set_index("lsoa_code")
        missing["imd"] = report_missing(t.index, codes, what="IMD", source=imd.attrs.get("source"))
        prof["imd_score"] = t["imd_score"].reindex(codes).to_numpy(dtype=float)
        prof["imd_decile"] = t["imd_decile"].astype(float).reindex(codes).to_numpy()
    else:  # not given: "not available" (NaN) columns, never an error
        prof["imd_score"] = np.nan
        prof["imd_decile"] = np.nan

    uc_la = None
    month = None
    if uc is not None:

        s = month_values(uc, uc_month)
        month = s.attrs.get("month")
        if s.index.isin(codes).any():
            if lookup is not None and uc.attrs.get("code_year") == 2011:
                s = recode_2011_to_2021(s.rename("uc").rename_axis("lsoa_code").reset_index(), lookup,
                                        counts=["uc"]).set_index("lsoa_code")["uc"]
            missing["uc"] = report_missing(s.index, codes, what="Universal Credit",
                                           source=uc.attrs.get("source"))
            prof["uc_households"] = s.reindex(codes).to_numpy()
        elif level == "la" and "la_code" in prof and s.index.isin(prof["la_code"]).any():
            uc_la = s
        else:
            raise InputError("the Universal Credit table's area codes match no LSOA "
                             + ("or local authority " if level == "la" else "")
                             + "in the boundaries; use a table for the same areas (LSOA codes, or LA "
                               "codes with --level la)", path=uc.attrs.get("source"))

    prof = prof.reset_index()
    if level == "lsoa":
        out = prof.rename(columns={"lsoa_name": "name"})
        out.insert(2, "lsoas", 1)
    else:
        out = _aggregate(prof, key)
        layer = areas.beat if level == "beat" else areas.la
        name_col = "beat_name" if level == "beat" else "la_name"
        if layer is not None and name_col in layer.columns:
            names = pd.Series(layer[name_col].to_numpy(), index=layer[key].astype(str))
            out.insert(1, "name", out[key].map(names).fillna(""))
        else:
            out.insert(1, "name", "")
        if uc_la is not None and uc is not None:  # uc_la is only set from uc
            missing["uc"] = report_missing(uc_la.index, out[key], what="Universal Credit",
                                           source=uc.attrs.get("source"))
            out["uc_households"] = out[key].map(uc_la)
    out = _rates(out)
    out.attrs.update(level=level, missing=missing, unplaced_offences=unplaced, uc_month=month)
    return out


def _wmean(values: pd.Series, weights: pd.Series) -> float:
    ok = values.notna() & weights.notna()
    w = weights[ok].astype(float)
    if not ok.any():
        return float("nan")
    if w.sum() <= 0:
        return float(values[ok].mean())
    return float((values[ok] * w).sum() / w.sum())


def _wmedian(values: pd.Series, weights: pd.Series) -> float:
    """Weighted median (the lower one at an exact half): a value the data hold, for ranks."""
    ok = values.notna() & weights.notna() & (weights > 0)
    if not ok.any():
        return float(values.dropna().median()) if values.notna().any() else float("nan")
    v = values[ok].astype(float).to_numpy()
    w = weights[ok].astype(float).to_numpy()
    order = np.argsort(v, kind="stable")
    cum = np.cumsum(w[order])
    return float(v[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _aggregate(prof: pd.DataFrame, key: str) -> pd.DataFrame:
    g = prof.groupby(key, sort=True)
    out = pd.DataFrame({"lsoas": g.size()})
    for col in COUNT_COLUMNS:  # knife counts stay NaN (not available) where no flag is known
        out[col] = g[col].sum(min_count=1) if prof[col].isna().any() else g[col].sum()
    for col in ("sv_harm", "population", "households", "uc_households"):
        if col in prof:
            out[col] = g[col].sum(min_count=1)
    if "imd_score" in prof:
        out["imd_score"] = g.apply(lambda d: _wmean(d["imd_score"], d["population"]), include_groups=False)
    if "imd_decile" in prof:  # deciles are ranks: a median, never a mean (a "decile 6.25" means nothing)
        out["imd_decile"] = g.apply(lambda d: _wmedian(d["imd_decile"], d["population"]), include_groups=False)
        out["share_pop_decile_1"] = g.apply(
            lambda d: _wmean((d["imd_decile"] == 1).astype(float).where(d["imd_decile"].notna()), d["population"]),
            include_groups=False)
    out = out.reset_index()
    if key == "beat_code" and "la_code" in prof:
        out.insert(1, "la_code", out[key].map(prof.groupby(key)["la_code"].first()))
    return out


def _rates(out: pd.DataFrame) -> pd.DataFrame:
    pop = out["population"].where(out["population"] > 0)
    for col, name in (("offences", "offences_per_1000"), ("serious_violence", "sv_per_1000"),
                      ("knife", "knife_per_1000"), ("knife_sv", "knife_sv_per_1000")):
        out[name] = out[col] / pop * 1000.0
    if "uc_households" in out:
        hh = out["households"].where(out["households"] > 0)
        out["uc_per_100_households"] = out["uc_households"] / hh * 100.0
        out["sv_per_100_uc"] = out["serious_violence"] / out["uc_households"].where(
            out["uc_households"] > 0) * 100.0
    return out


def by_imd_decile(offences: pd.DataFrame, areas: Areas, imd: pd.DataFrame, *,
                  population: pd.DataFrame | None = None,
                  lookup: pd.DataFrame | None = None) -> pd.DataFrame:
    """Offences and serious violence by national IMD decile of the LSOA where they happened.

    Parameters
    ----------
    offences, areas, imd, population, lookup
        As :func:`area_profile`.

    Returns
    -------
    DataFrame
        Ten rows, ``imd_decile`` 1 (most deprived 10% of LSOAs in England) to 10, with ``lsoas,
        population, offences, serious_violence, knife, offences_per_1000, sv_per_1000,
        share_offences, share_sv, share_population`` (percentages of the LSOAs that have an IMD
        row). Offences in LSOAs without an IMD row are counted in ``attrs["no_imd_offences"]``.

    References
    ----------
    .. [1] MHCLG (2019). The English Indices of Deprivation 2019: Statistical Release.
    """
    if imd is None or "imd_decile" not in imd.columns:
        raise ArgumentError("imd", None if imd is None else list(imd.columns)[:6],
                            "an IMD table from read_imd (with imd_decile)")
    prof = area_profile(offences, areas, imd=imd, population=population, level="lsoa", lookup=lookup)
    has = prof["imd_decile"].notna()
    no_imd = int(prof.loc[~has, "offences"].sum())
    p = prof[has].copy()
    p["imd_decile"] = p["imd_decile"].round().astype(int)
    g = p.groupby("imd_decile")
    out = pd.DataFrame({"lsoas": g.size(), "population": g["population"].sum(min_count=1),
                        "offences": g["offences"].sum(), "serious_violence": g["serious_violence"].sum(),
                        "knife": g["knife"].sum(min_count=1)})
    out = out.reindex(pd.RangeIndex(1, 11, name="imd_decile"))
    out[["lsoas", "offences", "serious_violence"]] = \
        out[["lsoas", "offences", "serious_violence"]].fillna(0).astype(int)
    # knife counts stay unknown (NaN) where the data carry no knife flag (police.uk), never 0
    out["knife"] = out["knife"].fillna(0).astype(int) if p["knife"].notna().all() else out["knife"].astype(float)
    pop = out["population"].where(out["population"] > 0)
    out["offences_per_1000"] = out["offences"] / pop * 1000.0
    out["sv_per_1000"] = out["serious_violence"] / pop * 1000.0
    for col, share in (("offences", "share_offences"), ("serious_violence", "share_sv"),
                       ("population", "share_population")):
        tot = out[col].sum()
        out[share] = out[col] / tot * 100.0 if tot > 0 else np.nan
    out = out.reset_index()
    out.attrs.update(no_imd_offences=no_imd, missing=prof.attrs["missing"],
                     unplaced_offences=prof.attrs["unplaced_offences"])
    return out

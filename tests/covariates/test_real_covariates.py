"""IoD2019 Files 1, 2, 6 and the assembled File 7 layout, and the derived lookup, as in
../shared/real: 1,005 LSOA 2011 rows each (imd/README), lookup 1,039 pairs (U 974, S 63, M 2)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from tests.realdata import BOUNDARIES_GPKG, IMD_FILE1, IMD_FILE2, IMD_FILE6, IMD_FILE7, LOOKUP

from hotspot.covariates.codes import read_lsoa_lookup
from hotspot.covariates.imd import decile_from_rank, read_imd
from hotspot.covariates.lsoa import lsoa_covariates
from hotspot.covariates.population import read_population
from hotspot.geography.areas import read_boundaries


def _csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("path,file_no", [(IMD_FILE1, 1), (IMD_FILE2, 2), (IMD_FILE7, 7)])
def test_each_iod_file_read_as_published(real, path, file_no):
    t = read_imd(path)
    assert t.attrs["iod_file"] == file_no and len(t) == 1005 and t.attrs["code_year"] == 2011
    rows = _csv_rows(IMD_FILE1)  # independent: File 1's own cells, separators removed by hand
    want = {r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Rank"].replace(",", "")) for r in rows}
    assert dict(zip(t["lsoa_code"], t["imd_rank"])) == want
    # every published decile is the decile of its national rank among 32,844 LSOAs
    assert (decile_from_rank(t["imd_rank"]) == t["imd_decile"]).all()


def test_file6_population(real):
    p = read_population(IMD_FILE6)
    rows = _csv_rows(IMD_FILE6)
    total = sum(int(r["Total population: mid 2015 (excluding prisoners)"].replace(",", "")) for r in rows)
    assert len(p) == 1005 and p["population"].sum() == total


def test_derived_lookup(real):
    lk = read_lsoa_lookup(LOOKUP)
    assert len(lk) == 1039
    assert lk["CHGIND"].value_counts().to_dict() == {"U": 974, "S": 63, "M": 2}


def test_real_covariates_on_ons_lsoa21(real):
    areas = read_boundaries(BOUNDARIES_GPKG)
    c = lsoa_covariates(areas, imd=IMD_FILE1, lookup=LOOKUP, population=IMD_FILE6).set_index("lsoa_code")
    assert len(c) == 1038 and c["imd_decile"].notna().all()
    assert c["imd_decile"].isin(range(1, 11)).all()  # whole deciles only
    # the one merge (README: M 2): E01029026 (958) + E01029069 (1,116) -> majority parent's decile
    f1 = pd.read_csv(IMD_FILE1, encoding="utf-8-sig").set_index("LSOA code (2011)")
    assert c.loc["E01035107", "imd_decile"] == f1.loc["E01029069", "Index of Multiple Deprivation (IMD) Decile"]
    rows = _csv_rows(IMD_FILE6)
    total = sum(int(r["Total population: mid 2015 (excluding prisoners)"].replace(",", "")) for r in rows)
    assert c["population"].sum() == pytest.approx(total)
    # File 7 layout: the merge is re-ranked from the population-weighted score
    c7 = lsoa_covariates(areas, imd=IMD_FILE7, lookup=LOOKUP).set_index("lsoa_code")
    assert c7.loc["E01035107", "imd_method"] == "reranked_weighted_score"
    assert c7.loc["E01035107", "imd_score"] == pytest.approx((11.650 * 958 + 14.883 * 1116) / 2074, abs=1e-3)
    assert c7["imd_decile"].notna().all()


def test_without_lookup_only_unchanged_codes_match(real):
    c = lsoa_covariates(read_boundaries(BOUNDARIES_GPKG), imd=IMD_FILE1)
    # 2011 codes that are also 2021 codes: the README's 974 unchanged pairs
    assert c["imd_decile"].notna().sum() == 974
    assert any("--lookup" in n for n in c.attrs["notes"])


def test_real_area_profiles_knife_not_available(real):
    from tests.realdata import POLICE

    from hotspot.covariates.profiles import area_profile
    from hotspot.geography.geocode import load_offences

    areas = read_boundaries(BOUNDARIES_GPKG)
    off = load_offences(POLICE, areas=areas, now="2025-12-31").offences
    for level, n in (("lsoa", 1038), ("beat", 185), ("la", 5)):
        p = area_profile(off, areas, imd=read_imd(IMD_FILE1), lookup=read_lsoa_lookup(LOOKUP),
                         population=read_population(IMD_FILE6), level=level)
        assert len(p) == n and p["offences"].sum() == len(off)
        assert p["serious_violence"].sum() == off["serious_violence"].sum()
        assert p["knife"].isna().all() and p["knife_sv_per_1000"].isna().all()  # not available, not 0

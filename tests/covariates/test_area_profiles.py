"""Area profiles and the IMD decile table on a hand-built four-LSOA study area."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from hotspot.covariates.profiles import area_profile, by_imd_decile
from hotspot.errors import ArgumentError, InputError
from hotspot.geography.areas import Areas

X0, Y0 = 358000.0, 172000.0  # central Bristol, EPSG:27700
LSOAS = [  # code, beat, la, population, households
    ("X01000001", "XB000001", "X06000001", 1000, 400),
    ("X01000002", "XB000001", "X06000001", 3000, 1200),
    ("X01000003", "XB000002", "X06000002", 2000, 800),
    ("X01000004", "XB000002", "X06000002", 2000, 1000),
]


def make_areas() -> Areas:
    lsoa = gpd.GeoDataFrame(
        {"lsoa_code": [r[0] for r in LSOAS], "lsoa_name": [f"Bristol 00{i}A" for i in range(4)],
         "beat_code": [r[1] for r in LSOAS], "la_code": [r[2] for r in LSOAS],
         "population": [r[3] for r in LSOAS], "households": [r[4] for r in LSOAS]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(4)],
        crs="EPSG:27700")
    beat = lsoa.dissolve("beat_code", as_index=False)[["beat_code", "la_code", "geometry"]]
    beat["beat_name"] = ["Central", "East"]
    la = lsoa.dissolve("la_code", as_index=False)[["la_code", "geometry"]]
    la["la_name"] = ["Bristol, City of", "North Somerset"]
    force = gpd.GeoDataFrame({"name": ["test"]}, geometry=[la.union_all()], crs="EPSG:27700")
    return Areas(lsoa=lsoa, beat=beat, la=la, force=force, source="fixture")


def make_offences(spec) -> pd.DataFrame:
    """spec: list of (lsoa_code, serious_violence, knife)."""
    lk = {r[0]: r for r in LSOAS}
    return pd.DataFrame({
        "offence_id": [f"o{i}" for i in range(len(spec))],
        "lsoa_code": [s[0] for s in spec],
        "beat_code": [lk[s[0]][1] if s[0] in lk else None for s in spec],
        "la_code": [lk[s[0]][2] if s[0] in lk else None for s in spec],
        "serious_violence": [s[1] for s in spec], "knife": [s[2] for s in spec]})


SPEC = ([("X01000001", True, True)] * 3 + [("X01000001", False, False)] * 2
        + [("X01000002", True, False)] * 6 + [("X01000003", False, True)] * 4
        + [("X01000004", True, True)] * 1)
IMD = pd.DataFrame({"lsoa_code": [r[0] for r in LSOAS], "imd_score": [50.0, 10.0, 30.0, 20.0],
                    "imd_decile": [1, 8, 3, 5]})


def test_lsoa_counts_and_rates():
    p = area_profile(make_offences(SPEC), make_areas(), imd=IMD).set_index("lsoa_code")
    assert p["offences"].tolist() == [5, 6, 4, 1]
    assert p["serious_violence"].tolist() == [3, 6, 0, 1]
    assert p["knife"].tolist() == [3, 0, 4, 1]
    assert p["knife_sv"].tolist() == [3, 0, 0, 1]
    np.testing.assert_allclose(p["offences_per_1000"], [5.0, 2.0, 2.0, 0.5])
    np.testing.assert_allclose(p["sv_per_1000"], p["serious_violence"] / p["population"] * 1000)
    assert p.loc["X01000001", "imd_decile"] == 1 and p.loc["X01000001", "name"] == "Bristol 000A"


def test_beat_and_la_reconcile_with_lsoa_and_weight_imd_by_population():
    off, areas = make_offences(SPEC), make_areas()
    lsoa = area_profile(off, areas, imd=IMD, level="lsoa")
    for level, key in (("beat", "beat_code"), ("la", "la_code")):
        agg = area_profile(off, areas, imd=IMD, level=level).set_index(key)
        sums = lsoa.groupby(key)[["offences", "serious_violence", "knife", "population"]].sum()
        pd.testing.assert_frame_equal(agg[sums.columns].astype(float), sums.astype(float), check_names=False)
    beat = area_profile(off, areas, imd=IMD, level="beat").set_index("beat_code")
    assert beat.loc["XB000001", "imd_score"] == pytest.approx((50 * 1000 + 10 * 3000) / 4000)
    # deciles are ranks: the population median (1,000 residents in decile 1, 3,000 in decile 8 -> 8)
    assert beat.loc["XB000001", "imd_decile"] == 8
    assert beat.loc["XB000001", "share_pop_decile_1"] == pytest.approx(1000 / 4000)
    assert beat.loc["XB000002", "imd_decile"] == 3  # 2,000 in decile 3, 2,000 in 5: the lower at a half
    assert beat.loc["XB000001", "name"] == "Central" and beat.loc["XB000001", "lsoas"] == 2
    la = area_profile(off, areas, level="la").set_index("la_code")
    assert la.loc["X06000002", "name"] == "North Somerset"


def test_missing_covariate_rows_are_reported_not_dropped():
    imd = IMD[IMD["lsoa_code"] != "X01000003"]
    with pytest.warns(UserWarning, match="1 area code.*IMD"):
        p = area_profile(make_offences(SPEC), make_areas(), imd=imd)
    assert p.attrs["missing"]["imd"] == ["X01000003"]
    assert len(p) == 4 and p.set_index("lsoa_code").loc["X01000003", "offences"] == 4
    assert np.isnan(p.set_index("lsoa_code").loc["X01000003", "imd_score"])


def test_unplaced_offences_are_counted():
    spec = SPEC + [("X01999999", True, False), (None, False, False)]
    with pytest.warns(UserWarning, match="2 offence"):
        p = area_profile(make_offences(spec), make_areas())
    assert p.attrs["unplaced_offences"] == 2 and p["offences"].sum() == len(SPEC)


def test_population_file_overrides_boundary_population():
    pop = pd.DataFrame({"lsoa_code": [r[0] for r in LSOAS], "population": [2000.0, 3000, 2000, 2000]})
    p = area_profile(make_offences(SPEC), make_areas(), population=pop).set_index("lsoa_code")
    assert p.loc["X01000001", "offences_per_1000"] == pytest.approx(2.5)


def test_universal_credit_lsoa_and_la_tables():
    uc = pd.DataFrame({"code": [r[0] for r in LSOAS], "name": "", "2020-10": [1, 1, 1, 1],
                       "2020-11": [100.0, 120.0, 80.0, 50.0]})
    p = area_profile(make_offences(SPEC), make_areas(), uc=uc, level="beat").set_index("beat_code")
    assert p.attrs["uc_month"] == "2020-11"
    assert p.loc["XB000001", "uc_households"] == 220
    assert p.loc["XB000001", "uc_per_100_households"] == pytest.approx(220 / 1600 * 100)
    assert p.loc["XB000001", "sv_per_100_uc"] == pytest.approx(9 / 220 * 100)
    uc_la = pd.DataFrame({"code": ["X06000001", "X06000002"], "name": "", "2020-11": [500.0, 300.0]})
    la = area_profile(make_offences(SPEC), make_areas(), uc=uc_la, level="la").set_index("la_code")
    assert la.loc["X06000002", "uc_per_100_households"] == pytest.approx(300 / 1800 * 100)
    with pytest.raises(InputError, match="match no LSOA"):
        area_profile(make_offences(SPEC), make_areas(), uc=uc_la, level="lsoa")


def test_bad_level():
    with pytest.raises(ArgumentError, match="level"):
        area_profile(make_offences(SPEC), make_areas(), level="msoa")


def test_by_imd_decile():
    t = by_imd_decile(make_offences(SPEC), make_areas(), IMD)
    assert t["imd_decile"].tolist() == list(range(1, 11))
    assert t["offences"].sum() == len(SPEC)
    assert t.set_index("imd_decile").loc[1, "offences"] == 5
    assert t.set_index("imd_decile").loc[1, "offences_per_1000"] == pytest.approx(5.0)
    assert t["share_offences"].sum() == pytest.approx(100.0)
    assert t["share_population"].sum() == pytest.approx(100.0)
    assert t.set_index("imd_decile").loc[2, "lsoas"] == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([r[0] for r in LSOAS]), st.booleans(), st.booleans()),
                max_size=60))
def test_totals_conserved_at_every_level(spec):
    off, areas = make_offences(spec), make_areas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for level in ("lsoa", "beat", "la"):
            p = area_profile(off, areas, level=level)
            assert p["offences"].sum() == len(spec)
            assert p["serious_violence"].sum() == sum(s[1] for s in spec)
            assert p["knife_sv"].sum() == sum(s[1] and s[2] for s in spec)
            assert p["population"].sum() == sum(r[3] for r in LSOAS)


def test_2011_covariates_joined_to_2021_boundaries_through_lookup():
    # boundaries on 2021 codes: X01000001 unchanged; X01000002 split into X01100001/2; 3+4 merged
    areas = make_areas()
    lsoa = areas.lsoa.iloc[:3].copy()
    lsoa["lsoa_code"] = ["X01000001", "X01100001", "X01100003"]
    areas21 = Areas(lsoa=lsoa, beat=areas.beat, la=areas.la, force=areas.force, source="fixture")
    lookup = pd.DataFrame({"LSOA11CD": ["X01000001", "X01000002", "X01000002", "X01000003", "X01000004"],
                           "LSOA21CD": ["X01000001", "X01100001", "X01100002", "X01100003", "X01100003"],
                           "CHGIND": ["U", "S", "S", "M", "M"]})
    imd = IMD.assign(population_2015=[1000.0, 3000.0, 1000.0, 3000.0])
    imd.attrs["code_year"] = 2011
    off = make_offences([])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every 2021 LSOA is covered: nothing to report
        p = area_profile(off, areas21, imd=imd, lookup=lookup)
    p = p.set_index("lsoa_code")
    assert p.loc["X01100001", "imd_score"] == 10.0  # split: parent's score
    assert p.loc["X01100003", "imd_score"] == pytest.approx((30 * 1000 + 20 * 3000) / 4000)  # merge
    assert p.attrs["missing"]["imd"] == []


def test_by_imd_decile_needs_imd():
    with pytest.raises(ArgumentError, match="imd"):
        by_imd_decile(make_offences(SPEC), make_areas(), None)


def test_harm_beside_the_counts_at_every_level():
    off, areas = make_offences(SPEC), make_areas()
    # SPEC rows: 3 SV in LSOA 1, 2 other in LSOA 1, 6 SV in LSOA 2, 4 other in LSOA 3, 1 SV in LSOA 4
    w = np.array([100.0] * 3 + [np.nan] * 2 + [10.0] * 6 + [np.nan] * 4 + [1000.0])
    lsoa = area_profile(off, areas, harm=w).set_index("lsoa_code")
    assert lsoa["sv_harm"].tolist() == [300.0, 60.0, 0.0, 1000.0]
    assert lsoa["serious_violence"].tolist() == [3, 6, 0, 1]  # counts unchanged beside it
    beat = area_profile(off, areas, harm=w, level="beat").set_index("beat_code")
    assert beat["sv_harm"].to_dict() == {"XB000001": 360.0, "XB000002": 1000.0}
    w_bad = w.copy()
    w_bad[0] = np.nan  # a serious-violence offence without a weight is refused, never counted as 0
    with pytest.raises(ArgumentError, match="harm"):
        area_profile(off, areas, harm=w_bad)

"""LSOA code checks, coverage reporting and the 2011 -> 2021 recode."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot.covariates.codes import read_lsoa_lookup, recode_2011_to_2021, report_missing
from hotspot.errors import InputError

LOOKUP = """LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND
E01000001,A,E01000001,A,U
E01000002,B,E01033001,B1,S
E01000002,B,E01033002,B2,S
E01000003,C,E01033003,CD,M
E01000004,D,E01033003,CD,M
"""


@pytest.fixture
def lookup(tmp_path):
    p = tmp_path / "lk.csv"
    p.write_text(LOOKUP)
    return read_lsoa_lookup(p)


def test_recode_unchanged_split_merge(lookup):
    t = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002", "E01000003", "E01000004"],
                      "population": [1000.0, 2000.0, 1000.0, 3000.0],
                      "imd_score": [10.0, 40.0, 20.0, 60.0]})
    out = recode_2011_to_2021(t, lookup, counts=["population"], intensive=["imd_score"],
                              weight="population").set_index("lsoa_code")
    assert out.loc["E01000001", "population"] == 1000 and out.loc["E01000001", "imd_score"] == 10
    # split: score copied, population shared equally
    assert out.loc["E01033001", "imd_score"] == 40 and out.loc["E01033002", "population"] == 1000
    # merge: population summed, score population-weighted
    assert out.loc["E01033003", "population"] == 4000
    assert out.loc["E01033003", "imd_score"] == pytest.approx((20 * 1000 + 60 * 3000) / 4000)
    assert out.loc["E01033003", "chgind"] == "M" and out.loc["E01033003", "n_2011"] == 2
    assert out["population"].sum() == t["population"].sum()  # counts are conserved


def test_recode_reports_unmatched(lookup):
    t = pd.DataFrame({"lsoa_code": ["E01000001", "E01999999"], "population": [1.0, 2.0]})
    with pytest.warns(UserWarning, match="1 area code"):
        out = recode_2011_to_2021(t, lookup, counts=["population"])
    assert out.attrs["unmatched"] == ["E01999999"]


def test_lookup_validation(tmp_path):
    p = tmp_path / "lk.csv"
    p.write_text("LSOA11CD,LSOA21CD,CHGIND\nE01000001,E01000001,Q\n")
    with pytest.raises(InputError, match="CHGIND") as e:
        read_lsoa_lookup(p)
    assert e.value.row == 2
    p.write_text("LSOA11CD,LSOA21CD\nE01000001,E01000001\n")
    with pytest.raises(InputError, match="CHGIND"):
        read_lsoa_lookup(p)


def test_report_missing_returns_sorted_and_warns():
    with pytest.warns(UserWarning, match="2 area code"):
        assert report_missing(["A"], ["C", "A", "B"], what="IMD") == ["B", "C"]

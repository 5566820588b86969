"""Stat-Xplore CSV reader and writer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.covariates.universal_credit import month_values, parse_month, read_statxplore, write_statxplore
from hotspot.errors import ArgumentError, InputError

EXPORT = '''"Dataset:","Households on Universal Credit"
"Title:","Households on Universal Credit by LSOA"
"Measure:","Households on Universal Credit"
"Counting:","Households"
""
"Lower Layer Super Output Areas","Oct-20","Nov-20",
"Bristol 045C (E01014581)","310","1,302",
"E01014485 : Bristol 001A","..","45",
"W01000001","12","13",
"Total","322","1,360",
""
"Notes:"
"* Data for the latest month are provisional."
'''


def test_reads_export_with_titles_suppression_total_and_footnotes(tmp_path):
    p = tmp_path / "uc.csv"
    p.write_text(EXPORT, encoding="utf-8")
    with pytest.warns(UserWarning, match="1 suppressed"):
        uc = read_statxplore(p)
    assert list(uc.columns) == ["code", "name", "2020-10", "2020-11"]
    assert list(uc["code"]) == ["E01014485", "E01014581", "W01000001"]
    t = uc.set_index("code")
    assert t.loc["E01014581", "2020-11"] == 1302
    assert t.loc["E01014581", "name"] == "Bristol 045C"
    assert t.loc["E01014485", "name"] == "Bristol 001A"
    assert np.isnan(t.loc["E01014485", "2020-10"])
    assert uc.attrs["total"] == {"2020-10": 322.0, "2020-11": 1360.0}
    assert uc.attrs["measure"] == "Households on Universal Credit"
    s = month_values(uc)
    assert s.attrs["month"] == "2020-11" and s["W01000001"] == 13
    assert month_values(uc, "October 2020")["W01000001"] == 12
    with pytest.raises(ArgumentError, match="month"):
        month_values(uc, "2019-01")


def test_duplicate_area_is_an_error(tmp_path):
    p = tmp_path / "uc.csv"
    p.write_text(EXPORT.replace("W01000001", "E01014581"), encoding="utf-8")
    with pytest.raises(InputError, match="duplicate area code 'E01014581' on lines 7, 9") as e:
        read_statxplore(p)
    assert e.value.row == 9


def test_label_without_code_and_bad_number(tmp_path):
    p = tmp_path / "uc.csv"
    p.write_text(EXPORT.replace("W01000001", "Somewhere"), encoding="utf-8")
    with pytest.raises(InputError, match="holds no area code") as e:
        read_statxplore(p)
    assert e.value.row == 9
    p.write_text(EXPORT.replace('"310"', '"lots"'), encoding="utf-8")
    with pytest.raises(InputError, match="not a number") as e:
        read_statxplore(p)
    assert e.value.row == 7 and e.value.column == "Oct-20"


def test_no_month_header(tmp_path):
    p = tmp_path / "uc.csv"
    p.write_text('"Title:","x"\n"Area","Value"\n"E01014581","3"\n')
    with pytest.raises(InputError, match="month columns"):
        read_statxplore(p)


@pytest.mark.parametrize("label, iso", [("November 2020", "2020-11"), ("Nov-20", "2020-11"),
                                        ("Nov 2020", "2020-11"), ("2020-11", "2020-11"),
                                        ("Sept 2021", "2021-09"), ("Total", None), ("Smarch 2020", None),
                                        ("2020-13", None)])
def test_parse_month(label, iso):
    assert parse_month(label) == iso


codes = st.lists(st.integers(0, 999_999), min_size=1, max_size=12, unique=True).map(
    lambda xs: [f"X01{x:06d}" for x in xs])


@settings(max_examples=25, deadline=None)
@given(codes=codes, data=st.data())
def test_write_read_roundtrip(tmp_path_factory, codes, data):
    vals = data.draw(st.lists(st.one_of(st.none(), st.integers(0, 50_000)), min_size=len(codes) * 2,
                              max_size=len(codes) * 2))
    df = pd.DataFrame({"code": codes, "name": [f"Area {i}" for i in range(len(codes))],
                       "2020-11": [np.nan if v is None else v for v in vals[:len(codes)]],
                       "2020-12": [np.nan if v is None else v for v in vals[len(codes):]]})
    p = tmp_path_factory.mktemp("uc") / "uc.csv"
    write_statxplore(df, p, "Households on Universal Credit", "Households on Universal Credit")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = read_statxplore(p)
    exp = df.sort_values("code").reset_index(drop=True)
    pd.testing.assert_frame_equal(back[["code", "name"]], exp[["code", "name"]])
    for m in ("2020-11", "2020-12"):
        np.testing.assert_array_equal(back[m].to_numpy(), exp[m].to_numpy(dtype=float))
        assert back.attrs["total"][m] == exp[m].sum()
    text = p.read_text()
    assert text.startswith('"Title:","Households on Universal Credit"')
    assert '"Lower Layer Super Output Areas","November 2020","December 2020"' in text


def test_writer_validates(tmp_path):
    with pytest.raises(ArgumentError, match="'code'"):
        write_statxplore(pd.DataFrame({"x": [1]}), tmp_path / "a.csv", "t", "m")
    with pytest.raises(ArgumentError, match="month"):
        write_statxplore(pd.DataFrame({"code": ["X01000001"], "v": [1]}), tmp_path / "a.csv", "t", "m")


def test_two_row_header_and_blank_line_before_rows(tmp_path):
    p = tmp_path / "uc.csv"
    p.write_text('"Households on Universal Credit"\n"","Month",\n'
                 '"Lower Layer Super Output Areas","November 2020","December 2020",\n""\n'
                 '"E01014581","10","11",\n"E01014582","bad","12",\n')
    with pytest.raises(InputError, match="not a number") as e:
        read_statxplore(p)
    assert e.value.row == 6
    p.write_text(p.read_text().replace('"bad"', '"9"'))
    uc = read_statxplore(p)
    assert uc["2020-12"].tolist() == [11.0, 12.0] and uc.attrs["total"] == {}

"""ONS LSOA mid-year population reader."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot.covariates.population import read_population, write_population
from hotspot.errors import InputError

ONS = """Mid-2020 Population Estimates for Lower Layer Super Output Areas in England and Wales
All Ages,,
LSOA Code,LSOA Name,All Ages,0,1,2
E01014581,Bristol 045C,"1,612",20,25,22
W01000001,Isle of Anglesey 007A,1400,10,11,9
X01000001,Bristol 001A,1500,12,14,13

Source: Office for National Statistics
"""


def test_reads_ons_layout_with_title_lines_and_notes(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text(ONS)
    df = read_population(p)
    assert list(df.columns) == ["lsoa_code", "lsoa_name", "population"]
    assert dict(zip(df["lsoa_code"], df["population"])) == {
        "E01014581": 1612.0, "W01000001": 1400.0, "X01000001": 1500.0}
    assert df.attrs["code_year"] is None


def test_2021_header_variant(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text("LSOA 2021 Code,LSOA 2021 Name,Total\nE01014581,Bristol 045C,1600\n")
    df = read_population(p)
    assert df.attrs["code_year"] == 2021 and df["population"].iloc[0] == 1600


def test_roundtrip_writer(tmp_path):
    src = pd.DataFrame({"lsoa_code": ["X01000002", "X01000001"], "lsoa_name": ["B", "A"],
                        "population": [1700.0, 1650.0]})
    back = read_population(write_population(src, tmp_path / "p.csv"))
    assert list(back["lsoa_code"]) == ["X01000001", "X01000002"]
    assert list(back["population"]) == [1650.0, 1700.0]


@pytest.mark.parametrize("body, row, match", [
    ("X01000001,A,1500\nX01000001,B,1600\n", 3, "duplicate"),
    ("X01000001,A,1500\nX0100002,B,1600\n", 3, "not a valid LSOA code"),
    ("X01000001,A,1500\nX01000002,B,many\n", 3, "not a number"),
    ("X01000001,A,-5\n", 2, "negative"),
])
def test_errors_name_line(tmp_path, body, row, match):
    p = tmp_path / "pop.csv"
    p.write_text("LSOA Code,LSOA Name,All Ages\n" + body)
    with pytest.raises(InputError, match=match) as e:
        read_population(p)
    assert e.value.row == row


def test_wrong_layout(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text("code,people\nX01000001,3\n")
    with pytest.raises(InputError, match="All Ages"):
        read_population(p)

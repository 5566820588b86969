"""IMD 2019 File 7 reader on small real-shaped files."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from hotspot.covariates.imd import IMD_FILE7_COLUMNS, read_imd
from hotspot.errors import InputError


def _row(code, name, score, decile, rank=100, pop=1500):
    vals = {c: "0.1" for c in IMD_FILE7_COLUMNS}
    vals.update({
        "LSOA code (2011)": code, "LSOA name (2011)": name,
        "Local Authority District code (2019)": "E06000023",
        "Local Authority District name (2019)": "Bristol, City of",
        "Index of Multiple Deprivation (IMD) Score": str(score),
        "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": str(rank),
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)": str(decile),
        "Total population: mid 2015 (excluding prisoners)": str(pop),
    })
    return [vals[c] for c in IMD_FILE7_COLUMNS]


def _write(path, rows, header=IMD_FILE7_COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


ROWS = [_row("E01014581", "Bristol 045C", 62.1, 1, 477, 1600),
        _row("E01014485", "Bristol 001A", 12.3, 6, 18000, 1400),
        _row("X01000001", "Bristol 002A", 30.0, 3, 5000, 1500)]


def test_file7_header_has_57_published_columns():
    assert len(IMD_FILE7_COLUMNS) == len(set(IMD_FILE7_COLUMNS)) == 57
    assert IMD_FILE7_COLUMNS[0] == "LSOA code (2011)"
    assert "Crime Score" in IMD_FILE7_COLUMNS


def test_reads_file7(tmp_path):
    df = read_imd(_write(tmp_path / "f7.csv", ROWS))
    assert list(df["lsoa_code"]) == sorted(["E01014581", "E01014485", "X01000001"])
    row = df.set_index("lsoa_code").loc["E01014581"]
    assert row["imd_score"] == pytest.approx(62.1)
    assert row["imd_decile"] == 1 and row["imd_rank"] == 477
    assert row["la_name"] == "Bristol, City of"
    assert row["population_2015"] == 1600
    assert df.attrs["code_year"] == 2011
    assert {"income_score", "crime_score", "environment_score"} <= set(df.columns)


def test_header_variants_newlines_and_2021_codes(tmp_path):
    header = [c.replace("LSOA code (2011)", "LSOA code (2021)") for c in IMD_FILE7_COLUMNS]
    header = [h.replace("Index of Multiple", "Index of\nMultiple") for h in header]
    df = read_imd(_write(tmp_path / "f7.csv", ROWS, header=header))
    assert df.attrs["code_year"] == 2021
    assert len(df) == 3


def test_short_names_accepted(tmp_path):
    pd.DataFrame({"lsoa11cd": ["W01000001", "E01000002"], "IMDScore": [5.0, 40.0],
                  "IMD_Decile": [9, 2]}).to_csv(tmp_path / "s.csv", index=False)
    df = read_imd(tmp_path / "s.csv")
    assert list(df["imd_decile"]) == [2, 9]


def test_duplicate_code_is_an_error_naming_lines(tmp_path):
    rows = ROWS + [_row("E01014581", "Bristol 045C", 61.0, 1)]
    with pytest.raises(InputError, match="duplicate LSOA code 'E01014581' on lines 2, 5") as e:
        read_imd(_write(tmp_path / "f7.csv", rows))
    assert e.value.row == 5 and e.value.column == "LSOA code (2011)"


@pytest.mark.parametrize("bad, col", [
    (lambda r: r.__setitem__(0, "E0201458"), "LSOA code (2011)"),
    (lambda r: r.__setitem__(4, "high"), "Index of Multiple Deprivation (IMD) Score"),
    (lambda r: r.__setitem__(6, "11"),
     "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"),
])
def test_bad_cell_names_line_and_column(tmp_path, bad, col):
    rows = [list(r) for r in ROWS]
    bad(rows[1])
    with pytest.raises(InputError) as e:
        read_imd(_write(tmp_path / "f7.csv", rows))
    assert e.value.row == 3 and e.value.column == col and "f7.csv" in str(e.value)


def test_not_an_imd_file(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="Index of Multiple Deprivation"):
        read_imd(tmp_path / "x.csv")
    with pytest.raises(InputError, match="not found"):
        read_imd(tmp_path / "missing.csv")

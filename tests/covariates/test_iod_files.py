"""IoD2019 Files 1, 2, 6 and 7 as published (BOM, thousands separators, 2011 codes) and the move
to 2021 LSOAs: a merged LSOA's decile is re-ranked from its weighted score or the majority parent's,
never averaged. Small real-shaped fixtures (header cells as MHCLG publish them)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from hotspot.covariates.codes import read_lsoa_lookup
from hotspot.covariates.imd import IMD_FILE7_COLUMNS, decile_from_rank, detect_iod_file, imd_to_2021, read_imd
from hotspot.covariates.lsoa import lsoa_covariates
from hotspot.covariates.population import read_population
from hotspot.errors import InputError
from hotspot.geography.areas import Areas

BOM = "\ufeff"
HEAD = ["LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
        "Local Authority District name (2019)"]
ROWS = [  # code, rank, decile, score, population (mid-2015)
    ("E01029026", 22584, 7, 11.650, 958),
    ("E01029069", 19026, 6, 14.883, 1116),
    ("E01014370", 12188, 4, 22.795, 1952),
    ("E01014485", 1207, 1, 52.100, 1689),
]


def _csv(path, header, rows):
    def cell(v):
        return f'"{v}"' if "," in str(v) else str(v)
    text = BOM + ",".join(cell(h) for h in header) + "\r\n" + "".join(
        ",".join(cell(v) for v in r) + "\r\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


def _file1(tmp_path):
    return _csv(tmp_path / "File_1.csv", HEAD + ["Index of Multiple Deprivation (IMD) Rank",
                                                "Index of Multiple Deprivation (IMD) Decile"],
                [(c, f"N {c[-3:]}", "E07000187", "Mendip", f"{r:,}", d) for c, r, d, _, _ in ROWS])


def _file7(tmp_path):
    rows = []
    for c, r, d, s, p in ROWS:
        row = {k: "" for k in IMD_FILE7_COLUMNS}
        row.update({HEAD[0]: c, HEAD[1]: f"N {c[-3:]}", HEAD[2]: "E07000187", HEAD[3]: "Mendip",
                    IMD_FILE7_COLUMNS[4]: s, IMD_FILE7_COLUMNS[5]: r, IMD_FILE7_COLUMNS[6]: d,
                    "Total population: mid 2015 (excluding prisoners)": p})
        rows.append([row[k] for k in IMD_FILE7_COLUMNS])
    return _csv(tmp_path / "File_7.csv", IMD_FILE7_COLUMNS, rows)


def _file6(tmp_path):
    return _csv(tmp_path / "File_6.csv", HEAD + ["Total population: mid 2015 (excluding prisoners)"],
                [(c, f"N {c[-3:]}", "E07000187", "Mendip", f"{p:,}") for c, _, _, _, p in ROWS])


def _lookup(tmp_path):
    # E01029026 + E01029069 -> E01035107 (merge); E01014370 unchanged; E01014485 split in two
    rows = [("E01029026", "E01035107", "M", 1.0, 0.42), ("E01029069", "E01035107", "M", 1.0, 0.58),
            ("E01014370", "E01014370", "U", 1.0, 1.0), ("E01014485", "E01033001", "S", 0.25, 1.0),
            ("E01014485", "E01033002", "S", 0.75, 1.0)]
    return _csv(tmp_path / "lookup.csv", ["LSOA11CD", "LSOA21CD", "CHGIND", "share_of_lsoa11_area",
                                          "share_of_lsoa21_area"], rows)


def _areas21():
    codes = ["E01014370", "E01033001", "E01033002", "E01035107"]
    lsoa = gpd.GeoDataFrame({"lsoa_code": codes, "lsoa_name": codes, "beat_code": "B1", "la_code": "E06000066"},
                            geometry=[box(i * 10, 0, i * 10 + 10, 10) for i in range(4)], crs=27700)
    return Areas(lsoa=lsoa, beat=None, la=None, force=lsoa.dissolve(), source="fixture",
                 provenance={"lsoa": {"code_year": 2021}})


def test_detect_and_read_file1_with_bom_and_thousands(tmp_path):
    t = read_imd(_file1(tmp_path))
    assert t.attrs["iod_file"] == 1 and t.attrs["code_year"] == 2011
    assert t.set_index("lsoa_code").loc["E01014370", "imd_rank"] == 12188
    assert t["imd_score"].isna().all()


def test_file6_is_refused_as_imd_and_read_as_population(tmp_path):
    p = _file6(tmp_path)
    with pytest.raises(InputError, match="File 6.*--population"):
        read_imd(p)
    pop = read_population(p)
    assert pop.set_index("lsoa_code").loc["E01014370", "population"] == 1952
    assert pop.attrs["code_year"] == 2011


def test_merged_lsoa_reranked_from_weighted_score(tmp_path):
    t = imd_to_2021(read_imd(_file7(tmp_path)), read_lsoa_lookup(_lookup(tmp_path))).set_index("lsoa_code")
    m = t.loc["E01035107"]
    assert m["imd_score"] == pytest.approx((11.650 * 958 + 14.883 * 1116) / 2074)  # 13.390
    # 13.390 lies between 11.650 (rank 22584) and 14.883 (rank 19026): linear interpolation
    want_rank = 22584 + (13.38965 - 11.650) / (14.883 - 11.650) * (19026 - 22584)
    assert m["imd_rank"] == pytest.approx(want_rank, abs=1)
    assert m["imd_decile"] == 7  # ceil(20670 * 10 / 32844) = 7: a whole decile, not 6.46
    assert m["imd_method"] == "reranked_weighted_score"
    assert t.loc["E01033002", "imd_decile"] == 1 and t.loc["E01033002", "imd_method"] == "copied"  # split
    assert t.loc["E01033002", "population_2015"] == pytest.approx(1689 * 0.75)  # shared by area


def test_merged_lsoa_without_scores_takes_majority_population(tmp_path):
    lk = read_lsoa_lookup(_lookup(tmp_path))
    t = imd_to_2021(read_imd(_file1(tmp_path)), lk, population=read_population(_file6(tmp_path)))
    m = t.set_index("lsoa_code").loc["E01035107"]
    assert (m["imd_decile"], m["imd_rank"], m["imd_method"]) == (6, 19026, "majority_population")  # 1116 > 958


def test_decile_from_rank_matches_published_cut_points():
    # IoD2019: 32,844 LSOAs; decile 1 = ranks 1..3284, decile 10 ends at 32844
    assert decile_from_rank([1, 3284, 3285, 16422, 16423, 32844]).tolist() == [1, 1, 2, 5, 6, 10]


def test_covariates_optional_and_empty_path_is_not_given(tmp_path):
    c = lsoa_covariates(_areas21(), imd=None, uc="", population="  ", lookup=None)
    assert len(c) == 4 and c["imd_decile"].isna().all() and c["uc_households"].isna().all()
    assert not any(c.attrs["available"].values())
    assert any("IMD not available" in n for n in c.attrs["notes"])


def test_lsoa_covariates_file1_lookup_file6(tmp_path):
    c = lsoa_covariates(_areas21(), imd=_file1(tmp_path), lookup=_lookup(tmp_path),
                        population=_file6(tmp_path)).set_index("lsoa_code")
    assert c["imd_decile"].tolist() == [4, 1, 1, 6]
    assert c.loc["E01035107", "population"] == 958 + 1116
    assert c["population"].sum() == pytest.approx(sum(r[4] for r in ROWS))
    assert c.attrs["available"]["imd"] and not c.attrs["available"]["imd_score"]


def test_folder_given_as_covariate_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="folder"):
        lsoa_covariates(_areas21(), uc=tmp_path)
    assert np.isnan(decile_from_rank([np.nan])[0])
    assert detect_iod_file(["LSOA code (2011)", "Index of Multiple Deprivation (IMD) Rank",
                            "Index of Multiple Deprivation (IMD) Decile"]) == 1

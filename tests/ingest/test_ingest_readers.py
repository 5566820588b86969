"""Readers: police.uk (file, folder, zip), extracts (CSV, CSV.gz, mapping, GeoPackage), canonical."""

from __future__ import annotations

import gzip
import zipfile
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_fixtures import extract_row, policeuk_row, policeuk_text
from shapely.geometry import Point

from hotspot.crs import to_bng
from hotspot.errors import ConfigError, InputError
from hotspot.ingest import read_canonical, read_offences, write_canonical
from hotspot.schema import OFFENCE_COLUMNS

NOW = "2021-12-31"


def test_policeuk_file_month_only_bng_and_generated_ids(write_policeuk):
    p = write_policeuk([policeuk_row(), policeuk_row(crime_id="", crime_type="Anti-social behaviour",
                                                     lon="-2.58", lat="51.46")])
    res = read_offences(p, now=NOW)
    acc = res.accepted
    assert list(acc.columns) == OFFENCE_COLUMNS + ["postcode", "published_lsoa"]
    assert acc["occurred_at"].isna().all() and set(acc["month"]) == {"2021-03"}
    assert set(acc["time_precision"]) == {"month"}
    x, y = to_bng([-2.594], [51.455])
    assert acc["easting"].iloc[0] == pytest.approx(x[0]) and acc["northing"].iloc[0] == pytest.approx(y[0])
    assert acc["offence_id"].iloc[0] == "a1b2c3"
    assert acc["offence_id"].iloc[1] == f"puk:{p.name}:3"
    assert list(acc["source_line"]) == [2, 3]
    assert acc["knife"].isna().all() and acc["domestic"].isna().all()  # not published: NA, not False
    # robbery is in the police.uk analysed set, ASB is not
    assert list(acc["sv_category"]) == ["robbery", ""]
    # ids are stable between runs
    assert read_offences(p, now=NOW).accepted["offence_id"].tolist() == acc["offence_id"].tolist()


def test_policeuk_folder_and_zip_give_the_same_offences(tmp_path, write_policeuk):
    root = tmp_path / "puk"
    months = ["2021-01", "2021-02", "2021-03"]
    for i, m in enumerate(months):
        write_policeuk([policeuk_row(crime_id=f"c{i}{j}", month=m) for j in range(3)]
                       + [policeuk_row(crime_id="", month=m, crime_type="Anti-social behaviour")],
                       month=m, root=root)
    (root / "2021-01" / "2021-01-avon-and-somerset-outcomes.csv").write_text("Crime ID,Month\nx,2021-01\n")
    folder = read_offences(root, now=NOW)
    zpath = tmp_path / "avon-and-somerset-street.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(root.rglob("*.csv")):
            zf.write(f, f.relative_to(root).as_posix())
    zipped = read_offences(zpath, now=NOW)
    for res in (folder, zipped):
        assert len(res.accepted) == 12 and len(res.quarantine) == 0
        assert len(res.report["files"]) == 3  # outcomes file ignored
        assert sorted(res.accepted["month"].unique()) == months
    assert f"{zpath}/2021-02/2021-02-avon-and-somerset-street.csv" in zipped.report["files"]
    assert zipped.report["inputs"][str(zpath)]["rows_read"] == 12
    cols = ["offence_id", "month", "crime_type", "easting", "northing"]
    pd.testing.assert_frame_equal(folder.accepted[cols], zipped.accepted[cols])


def test_extract_csv_with_obvious_names_and_gzip(tmp_path, write_extract):
    rows = [extract_row(), extract_row(id="OFF000002", knife_flag="1", offence_subtype="Wounding (GBH)"),
            extract_row(id="OFF000003", easting="", northing="", postcode="BS1 4DJ")]
    p = write_extract(rows)
    res = read_offences(p, now=NOW)
    acc = res.accepted
    assert acc["occurred_at"].iloc[0] == pd.Timestamp("2021-03-05 22:15")
    assert list(acc["time_precision"]) == ["exact"] * 3 and list(acc["month"]) == ["2021-03"] * 3
    assert list(acc["knife"]) == [False, True, False]
    assert list(acc["sv_category"]) == ["vap_injury", "vap_knife", "vap_injury"]
    assert np.isnan(acc["easting"].iloc[2]) and acc["postcode"].iloc[2] == "BS1 4DJ"
    gz = tmp_path / "extract.data"  # content decides the format, not the extension
    gz.write_bytes(gzip.compress(p.read_bytes()))
    res2 = read_offences(gz, now=NOW)
    pd.testing.assert_frame_equal(res2.accepted.drop(columns="source_file"), acc.drop(columns="source_file"))


def test_extract_with_odd_names_needs_and_uses_a_mapping_toml(tmp_path, write_extract):
    header = ["URN", "From Date", "To Date", "X Coord", "Y Coord", "Offence Group", "HO Desc", "Blade", "DA"]
    rows = [["U1", "05/03/2021 22:00", "05/03/2021 23:00", "358650", "172950", "Wounding with intent", "", "Y", "N"],
            ["U2", "06/03/2021 01:00", "", "358650", "172950", "Robbery", "Robbery of personal property", "N", "Y"]]
    p = write_extract(rows, name="weird.csv", header=header)
    with pytest.raises(InputError) as err:
        read_offences(p, now=NOW)
    msg = str(err.value)
    assert "weird.csv" in msg and "Columns found" in msg and "From Date" in msg and "[columns]" in msg
    toml = tmp_path / "m.toml"
    toml.write_text('''
[columns]
id = "URN"
occurred_from = "From Date"
occurred_to = "To Date"
easting = "X Coord"
northing = "Y Coord"
crime_type = "Offence Group"
offence_subtype = "HO Desc"
knife = "Blade"
domestic = "DA"
[formats]
datetime = "%d/%m/%Y %H:%M"
time_range = "midpoint"
[offence_types]
"Wounding with intent" = "Violence and sexual offences"
''')
    acc = read_offences(p, mapping=toml, now=NOW).accepted
    assert list(acc["occurred_at"]) == [pd.Timestamp("2021-03-05 22:30"), pd.Timestamp("2021-03-06 01:00")]
    assert list(acc["crime_type"]) == ["Violence and sexual offences", "Robbery"]
    assert acc["offence_subtype"].iloc[0] == "Wounding with intent"
    assert list(acc["sv_category"]) == ["vap_knife", "domestic_serious"]


def test_mapping_errors_name_the_key(tmp_path, write_extract):
    p = write_extract([extract_row()])
    with pytest.raises(ConfigError, match="columns.ident"):
        read_offences(p, mapping={"columns": {"ident": "id"}})
    with pytest.raises(InputError, match="no such column"):
        read_offences(p, mapping={"columns": {"id": "URN"}})
    with pytest.raises(ConfigError, match="offence_types.Stabbing"):
        read_offences(p, mapping={"offence_types": {"Stabbing": "Knife crime"}})


def test_geopackage_extract(tmp_path):
    x, y = 358650.0, 172950.0
    gdf = gpd.GeoDataFrame({
        "crime_ref": ["G1", "G2", "G3"],
        "occurred_at": ["2021-03-05T22:15:00", "2021-03-06T01:00:00", ""],
        "offence_type": ["Robbery", "Violence and sexual offences", "Robbery"],
        "knife": [0, 1, 0]}, geometry=[Point(x, y), Point(x + 10, y + 10), Point(x, y)], crs="EPSG:27700")
    p = tmp_path / "extract.gpkg"
    gdf.to_file(p, layer="offences", driver="GPKG", engine="pyogrio")
    res = read_offences(p, now=NOW)
    assert list(res.accepted["offence_id"]) == ["G1", "G2"]
    assert list(res.accepted["easting"]) == [x, x + 10]
    assert list(res.accepted["knife"]) == [False, True]
    assert list(res.quarantine["reason"]) == ["missing_date"]
    assert res.report["files"][str(p)]["format"] == "gpkg-extract"


def test_canonical_round_trip_and_reread(tmp_path, write_extract, write_policeuk):
    e = write_extract([extract_row(), extract_row(id="OFF2", easting="", northing="", postcode="BS1 4DJ",
                                                  domestic_flag="yes")])
    puk = write_policeuk([policeuk_row()])
    acc = read_offences([e, puk], now=NOW).accepted
    out = tmp_path / "canonical.csv"
    write_canonical(acc, out)
    back = read_canonical(out)
    pd.testing.assert_frame_equal(back, acc, check_exact=True)
    res = read_offences(out, now=NOW)
    assert res.report["files"][str(out)]["format"] == "canonical"
    assert list(res.accepted["source_line"]) == [2, 3, 4]
    cols = [c for c in acc.columns if c not in ("source_file", "source_line")]
    pd.testing.assert_frame_equal(res.accepted[cols], acc[cols], check_exact=True)


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"id;date;x\n1;2;3\n", "one column"),
    ("id,occurred_at,crime_type\n1,2021-01-01,Robbery\n\xe9".encode("latin-1"), "not UTF-8"),
    (b"\x00\x01\x02binary", "binary"),
    (b"a,b\n1,2,3,4\n", "well-formed"),
])
def test_unreadable_files_raise_one_input_error(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=match) as err:
        read_offences(p)
    assert str(p) in str(err.value)


def test_utf8_bom_is_accepted_and_truncated_policeuk_header_is_explained(tmp_path, write_policeuk):
    p = write_policeuk([policeuk_row()])
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert len(read_offences(p, now=NOW).accepted) == 1
    text = policeuk_text([policeuk_row()]).replace(",Context", "").replace("investigation,\n", "investigation\n")
    text = text.replace("Latitude,", "Lat,")
    q = tmp_path / "cut.csv"
    q.write_text(text)
    with pytest.raises(InputError, match="police.uk.*Latitude"):
        read_offences(q)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_offences(tmp_path / "nope.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no offence files"):
        read_offences(tmp_path / "empty")


def test_date_and_time_columns_lat_lon_and_day_precision(write_extract):
    header = ["Crime Ref", "Date", "Time", "Lat", "Lon", "Offence Type"]
    rows = [["A", "2021-01-01", "10:00", "51.45", "-2.59", "robbery"],
            ["B", "2021-01-02", "", "51.45", "-2.59", "ROBBERY"]]
    acc = read_offences(write_extract(rows, header=header), now=NOW).accepted
    assert list(acc["occurred_at"]) == [pd.Timestamp("2021-01-01 10:00"), pd.Timestamp("2021-01-02")]
    assert list(acc["time_precision"]) == ["exact", "day"]
    assert list(acc["crime_type"]) == ["Robbery", "Robbery"]
    x, y = to_bng([-2.59], [51.45])
    assert acc["easting"].iloc[0] == pytest.approx(x[0]) and acc["northing"].iloc[1] == pytest.approx(y[0])


def test_validate_command_writes_report_quarantine_and_canonical(tmp_path, write_extract, capsys):
    import json

    from hotspot.cli import main

    p = write_extract([extract_row(id="A"), extract_row(id="B", crime_type="Mugging")])
    rep, q, can = tmp_path / "out" / "r.json", tmp_path / "out" / "q.csv", tmp_path / "out" / "c.csv"
    code = main(["validate", str(p), "--report", str(rep), "--quarantine", str(q), "--canonical", str(can),
                 "--now", NOW])
    assert code == 0
    out = capsys.readouterr().out
    assert "read 2" in out and "unknown_offence_type: 1" in out
    assert json.loads(rep.read_text())["totals"]["quarantined"] == 1
    assert pd.read_csv(q)["reason"].tolist() == ["unknown_offence_type"]
    assert read_canonical(can)["offence_id"].tolist() == ["A"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00binary")
    assert main(["validate", str(bad), "--report", str(tmp_path / "r2.json"), "--quarantine",
                 str(tmp_path / "q2.csv")]) == 2
    assert not (tmp_path / "r2.json").exists()


def test_zip_without_csv_is_explained(tmp_path):
    z = tmp_path / "workbook.xlsx"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match="no CSV"):
        read_offences(z)


def test_folder_holding_a_zip_and_inputs_given_twice(tmp_path, write_policeuk):
    src = write_policeuk([policeuk_row(crime_id="z1"), policeuk_row(crime_id="z2")], root=tmp_path / "raw")
    folder = tmp_path / "policeuk"
    folder.mkdir()
    with zipfile.ZipFile(folder / "avon-and-somerset-street.zip", "w") as zf:
        zf.write(src, f"2021-03/{src.name}")
    res = read_offences(folder, now=NOW)
    assert list(res.accepted["offence_id"]) == ["z1", "z2"]
    with pytest.raises(InputError, match="more than once"):
        read_offences([src, src.parent])


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from([",", '"', "\n", " "]),
                max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(
    _TEXT.filter(lambda s: s.strip() != ""),
    st.one_of(st.none(), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1))),
    st.one_of(st.just(np.nan), st.floats(0, 7e5, allow_nan=False)),
    st.one_of(st.none(), st.booleans()), st.one_of(st.none(), st.booleans()), _TEXT), min_size=0, max_size=8))
def test_canonical_round_trip_property(tmp_path_factory, rows):
    n = len(rows)
    occurred = pd.Series([pd.Timestamp(r[1]).floor("s") if r[1] else pd.NaT for r in rows],
                         dtype="datetime64[ns]")
    df = pd.DataFrame({
        "offence_id": [r[0] for r in rows], "occurred_at": occurred,
        "month": occurred.dt.strftime("%Y-%m").fillna("2021-01"),
        "time_precision": ["exact" if r[1] else "month" for r in rows],
        "crime_type": "Robbery", "offence_subtype": [r[5] for r in rows], "offence_code": [r[5] for r in rows],
        "knife": [r[3] for r in rows], "domestic": [r[4] for r in rows],
        "serious_violence": [bool(r[3]) for r in rows], "sv_category": ["vap_knife" if r[3] else "" for r in rows],
        "easting": [r[2] for r in rows], "northing": [r[2] for r in rows], "location": [r[5] for r in rows],
        "source_file": "x.csv", "source_line": np.arange(2, n + 2, dtype=np.int64),
    }, index=range(n)).astype({"knife": "boolean", "domestic": "boolean", "serious_violence": bool, "easting": float,
                               "northing": float})
    p = tmp_path_factory.mktemp("canon") / "c.csv"
    write_canonical(df, p)
    back = read_canonical(p)
    pd.testing.assert_frame_equal(back, df, check_exact=True, check_dtype=False)
    for col in ("occurred_at", "easting", "northing", "knife", "source_line"):
        assert back[col].dtype == df[col].dtype

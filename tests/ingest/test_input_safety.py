"""Inputs that cannot poison (issue 14): dates, zip members, formulas, geometry, flags, NUL bytes."""

from __future__ import annotations

import gzip
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from hotspot.errors import InputError
from hotspot.ingest import read_offences
from hotspot.ingest.safety import gunzip, read_member
from hotspot.io import neutralise_cell, write_csv

HEAD = "offence_id,occurred_at,crime_type,easting,northing,location,knife_flag,domestic_flag\n"


def _csv(tmp_path: Path, rows: list[str], name="x.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEAD + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


def _reasons(res) -> dict:
    return dict(zip(res.quarantine["offence_id"], res.quarantine["reason"]))


def test_dates_outside_the_window_are_quarantined_not_fatal(tmp_path):
    p = _csv(tmp_path, ["a,2021-01-01T10:00,Robbery,358000,173000,x,N,N",
                        "b,0001-01-01T00:00,Robbery,358000,173000,x,N,N",
                        "c,9999-12-31,Robbery,358000,173000,x,N,N",
                        "d,1900-01-01,Robbery,358000,173000,x,N,N",
                        "e,1999-12-31T23:59,Robbery,358000,173000,x,N,N"])
    res = read_offences(p, now="2021-07-01")
    assert res.accepted["offence_id"].tolist() == ["a"]
    r = _reasons(res)
    assert r["b"] == r["c"] == r["d"] == r["e"] == "implausible_date"
    assert res.report["totals"]["rows_read"] == 5   # every row accounted for


def test_date_window_is_configurable(tmp_path):
    p = _csv(tmp_path, ["a,1995-06-01T10:00,Robbery,358000,173000,x,N,N"])
    assert len(read_offences(p, now="2021-07-01").accepted) == 0
    assert len(read_offences(p, now="2021-07-01", earliest="1990-01-01").accepted) == 1
    with pytest.raises(InputError, match="window"):
        read_offences(p, earliest="2022-01-01", latest="2021-01-01")


def test_cube_does_not_grow_from_one_old_row(tmp_path):
    """A 1900-01-01 row used to stretch the monthly cube from 42 to 1,458 steps."""
    rows = [f"r{i},2021-0{1 + i % 6}-1{i % 9}T12:00,Robbery,358000,173000,x,N,N" for i in range(30)]
    p = _csv(tmp_path, rows + ["old,1900-01-01T00:00,Robbery,358000,173000,x,N,N"])
    acc = read_offences(p, now="2021-07-01").accepted
    months = acc["occurred_at"].dt.to_period("M")
    assert (months.max() - months.min()).n + 1 <= 6


def test_unknown_flags_are_quarantined_not_false(tmp_path):
    p = _csv(tmp_path, ["a,2021-01-01T10:00,Robbery,358000,173000,x,Y,N",
                        "b,2021-01-01T10:00,Robbery,358000,173000,x,maybe,N",
                        "c,2021-01-01T10:00,Robbery,358000,173000,x,N,2",
                        "d,2021-01-01T10:00,Robbery,358000,173000,x,,"])
    res = read_offences(p, now="2021-07-01")
    assert res.accepted["offence_id"].tolist() == ["a", "d"]
    assert _reasons(res) == {"b": "unknown_flag", "c": "unknown_flag"}


def test_nul_byte_is_reported_and_does_not_truncate(tmp_path):
    rows = [f"r{i},2021-01-01T10:00,Robbery,358000,173000,street {i},N,N" for i in range(400)]
    rows.append("z,2021-01-01T10:00,Robbery,358000,173000,On or near\x00 Evil Street,N,N")
    rows.append("after,2021-01-01T10:00,Robbery,358000,173000,still read,N,N")
    p = _csv(tmp_path, rows)
    res = read_offences(p, now="2021-07-01")
    assert "after" in set(res.accepted["offence_id"])
    q = res.quarantine.set_index("offence_id")
    assert q.loc["z", "reason"] == "nul_byte" and "Evil Street" in q.loc["z", "raw"]


def test_gpkg_geometry_wins_over_attributes_and_postcode(tmp_path):
    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences

    g = gpd.GeoDataFrame({"offence_id": ["a", "b"], "occurred_at": ["2021-01-01T10:00"] * 2,
                          "crime_type": ["Robbery"] * 2, "postcode": ["BS1 5TR", "BS1 5TR"],
                          "x": [None, 1.0], "y": [None, 2.0]},
                         geometry=[Point(358123, 173456), Point(358200, 173500)], crs=27700)
    p = tmp_path / "g.gpkg"
    g.to_file(p, layer="off")
    acc = read_offences(p, now="2021-07-01").accepted.set_index("offence_id")
    assert acc.loc["a", "easting"] == 358123.0 and acc.loc["b", "northing"] == 173500.0
    off = load_offences([p], areas=embedded_areas(), now="2021-07-01").offences.set_index("offence_id")
    assert set(off["geocode_method"]) <= {"within", "snapped"} and off.loc["a", "easting"] == 358123.0


# ---- zip members ------------------------------------------------------------------------------

GOOD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
        "Crime type,Last outcome category,Context\n"
        ",2021-01,Avon and Somerset Constabulary,Avon and Somerset Constabulary,-2.59,51.45,"
        "On or near X,E01014540,Bristol 032A,Robbery,,\n")


def _zip(tmp_path: Path, name="2021-01/2021-01-avon-and-somerset-street.csv", data=GOOD.encode(),
         method=zipfile.ZIP_DEFLATED) -> Path:
    p = tmp_path / "puk.zip"
    with zipfile.ZipFile(p, "w", compression=method) as zf:
        zf.writestr(name, data)
    return p


def _patch(p: Path, fn) -> Path:
    b = bytearray(p.read_bytes())
    fn(b)
    p.write_bytes(bytes(b))
    return p


def test_good_member_reads(tmp_path):
    p = _zip(tmp_path)
    assert read_member(p, "2021-01/2021-01-avon-and-somerset-street.csv").startswith(b"Crime ID")
    assert len(read_offences(p, now="2021-07-01").accepted) == 1


def test_crc_mismatch_is_a_clear_error(tmp_path):
    p = _zip(tmp_path, method=zipfile.ZIP_STORED)
    p = _patch(p, lambda b: b.__setitem__(b.index(b"On or near") + 3, ord("Q")))
    with pytest.raises(InputError, match="damaged"):
        read_offences(p, now="2021-07-01")


def test_truncated_deflate_data_is_a_clear_error(tmp_path):
    p = _zip(tmp_path, data=(GOOD * 200).encode())
    with zipfile.ZipFile(p) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    p = _patch(p, lambda b: b.__setitem__(slice(start + 10, start + 60), b"\xff" * 50))
    with pytest.raises(InputError, match="damaged"):
        read_offences(p, now="2021-07-01")


def test_unsupported_method_is_a_clear_error(tmp_path):
    p = _zip(tmp_path)
    with zipfile.ZipFile(p) as zf:
        info = zf.infolist()[0]
    def setm(b):   # method 99 (AES) in the local and the central header
        struct.pack_into("<H", b, info.header_offset + 8, 99)
        cd = b.rindex(b"PK\x01\x02")
        struct.pack_into("<H", b, cd + 10, 99)
    _patch(p, setm)
    with pytest.raises(InputError, match="compression method 99"):
        read_offences(p, now="2021-07-01")


def test_encrypted_member_is_a_clear_error(tmp_path):
    p = _zip(tmp_path)
    with zipfile.ZipFile(p) as zf:
        info = zf.infolist()[0]
    def setflag(b):
        for off in (info.header_offset + 6, b.rindex(b"PK\x01\x02") + 8):
            struct.pack_into("<H", b, off, struct.unpack_from("<H", b, off)[0] | 0x1)
    _patch(p, setflag)
    with pytest.raises(InputError, match="encrypted"):
        read_offences(p, now="2021-07-01")


def test_bad_local_header_is_a_clear_error(tmp_path):
    p = _zip(tmp_path)
    p = _patch(p, lambda b: b.__setitem__(slice(0, 4), b"XXXX"))
    with pytest.raises(InputError):
        read_offences(p, now="2021-07-01")


def test_zip_bomb_is_refused_without_reading_it(tmp_path):
    """1 MB zip holding one 1 GB field: refused from its header (ratio), before inflating."""
    import tracemalloc

    p = tmp_path / "bomb.zip"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("2021-01/2021-01-x-street.csv", "w", force_zip64=True) as fh:
            fh.write(GOOD.split("\n")[0].encode() + b"\n\"")
            block = b"A" * (1 << 20)
            for _ in range(1024):
                fh.write(block)
    assert p.stat().st_size < 2 << 20
    tracemalloc.start()
    with pytest.raises(InputError, match="expands|limit"):
        read_offences(p, now="2021-07-01")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 << 20


def test_member_whose_header_lies_is_bounded(tmp_path, monkeypatch):
    p = _zip(tmp_path, data=b"x" * 5000)
    with pytest.raises(InputError, match="limit|more than"):
        read_member(p, "2021-01/2021-01-avon-and-somerset-street.csv", limit=1000)


def test_gzip_bomb_is_bounded():
    data = gzip.compress(b"0" * (5 << 20))
    with pytest.raises(InputError, match="limit"):
        gunzip(data, "x.csv.gz", limit=1 << 20)
    assert gunzip(gzip.compress(b"abc") + gzip.compress(b"def"), "x.gz") == b"abcdef"


# ---- formula neutralisation ---------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"), ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("'=already", "''=already"),
    ("-2.5", "-2.5"), ("+44%", "+44%"), ("On or near Park Street", "On or near Park Street"), ("", ""),
])
def test_neutralise_cell(raw, expected):
    assert neutralise_cell(raw) == expected
    if expected.startswith("'") and expected != raw:
        assert expected[1:] == raw            # removing one ' gives the original back


def test_formula_locations_come_out_inert_in_every_csv(tmp_path):
    from hotspot.ingest.canonical import write_canonical

    p = _csv(tmp_path, ["a,2021-01-01T10:00,Robbery,358000,173000,=HYPERLINK(\"http://x\"),N,N",
                        "b,2021-01-01T10:00,Robbery,358000,173000,+cmd|' /C calc'!A0,N,N",
                        "c,garbage,Robbery,358000,173000,@SUM(1),N,N"])
    res = read_offences(p, now="2021-07-01")
    write_csv(tmp_path / "quarantine.csv", res.quarantine)
    write_canonical(res.accepted, tmp_path / "canonical.csv")
    write_csv(tmp_path / "areas.csv", pd.DataFrame({"name": ["=1+1", "ok"], "value": [-3, 4]}))
    for f in ("quarantine.csv", "canonical.csv", "areas.csv"):
        for cell in pd.read_csv(tmp_path / f, dtype=str, keep_default_na=False).to_numpy().ravel():
            assert not str(cell).startswith(("=", "+cmd", "@", "-2+")), (f, cell)
    assert "-3" in (tmp_path / "areas.csv").read_text()      # negative numbers stay numbers
    q = pd.read_csv(tmp_path / "quarantine.csv", dtype=str)
    assert "@SUM(1)" in q["raw"].iloc[0]                       # original kept (JSON raw value)
    # canonical CSV round trip still reads (the ' is text, the row is kept)
    assert len(read_offences(tmp_path / "canonical.csv", now="2021-07-01").accepted) == 2


def test_policeuk_months_outside_the_window(tmp_path):
    h = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
         "Crime type,Last outcome category,Context\n")
    rows = "".join(f",{m},A,A,-2.59,51.45,On or near X,E01014540,Bristol 032A,Robbery,,\n"
                   for m in ("2021-01", "0001-01", "9999-12", "1900-01"))
    p = tmp_path / "2021-01-x-street.csv"
    p.write_text(h + rows)
    res = read_offences(p, now="2021-07-01")
    assert len(res.accepted) == 1
    assert res.quarantine["reason"].tolist() == ["implausible_date"] * 3

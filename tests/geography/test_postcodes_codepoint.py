"""OS Code-Point Open as published (headerless, BNG metres), small fixture and the real BS/BA/TA files."""

from __future__ import annotations

import gzip

from hotspot.geography.geocode import read_postcodes
from tests.realdata import POSTCODES


def test_codepoint_fixture_drops_no_coordinates(tmp_path):
    p = tmp_path / "bs.csv"
    p.write_text('"BS1 1AD",10,360205,173432,"E92000001","E19000002","E18000010","","E06000023","E05010907"\n'
                 '"BS1 9ZZ",90,0,0,"E92000001","","","","",""\n', encoding="utf-8")
    got = read_postcodes(p)
    assert list(got.index) == ["BS11AD"]
    assert (got.loc["BS11AD", "easting"], got.loc["BS11AD", "northing"]) == (360205, 173432)


def test_real_codepoint_folder(real):
    lines = 0
    for f in sorted(POSTCODES.glob("codepo_*.csv.gz")):
        with gzip.open(f, "rt") as fh:
            lines += sum(1 for _ in fh)
    assert lines == 54949  # README: 27,371 + 15,513 + 12,065
    got = read_postcodes(POSTCODES)
    assert len(got) == 54949
    assert (got.loc["BS11AD", "easting"], got.loc["BS11AD", "northing"]) == (360205, 173432)

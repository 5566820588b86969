"""`hotspot kde/gistar --harm`: harm-weighted surfaces on an extract; refused on police.uk violence.

Expected harm totals come from the extract's own ``ho_code`` column and the shipped ONS table read
with pandas, not from hotspot.hotspots.harm.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
from tests.realdata import BOUNDARIES_GPKG, POLICE

from hotspot.cli import main
from hotspot.paths import data_dir


@pytest.fixture(scope="module")
def june_sv(tmp_path_factory):
    df = pd.read_csv(data_dir() / "offences_extract.csv.gz", dtype=str, keep_default_na=False)
    keep = df["occurred_at"].str.startswith("2021-06") & (df["sv_flag"] == "Y")
    keep &= df["easting"].str.fullmatch(r"\d+") & df["northing"].str.fullmatch(r"\d+")
    path = tmp_path_factory.mktemp("harm") / "june.csv"
    df[keep].to_csv(path, index=False)
    return path, df[keep]


def _expected_harm(rows: pd.DataFrame) -> float:
    t = pd.read_csv(data_dir() / "harm" / "ons_css_weights.csv", dtype={"key": str})
    w = dict(zip(t["key"], t["weight"]))
    w["1"] = w["1, 4.1/2/10"]
    return float(rows["ho_code"].map(w).sum())


def test_gistar_and_kde_take_harm_from_offence_codes(june_sv, tmp_path, capsys):
    path, rows = june_sv
    out = tmp_path / "gi.gpkg"
    rc = main(["gistar", "--embedded", str(path), "--cell", "250", "--distance", "500",
               "--harm", "ons-css", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "weighted by harm (ons-css)" in text
    cells = gpd.read_file(out, layer="cells")
    # rows the reader quarantines (duplicates, implausible values) are the only difference
    assert cells["count"].sum() == pytest.approx(_expected_harm(rows), rel=0.01)
    tif = tmp_path / "kde.tif"
    rc = main(["kde", "--embedded", str(path), "--cell", "250", "--bandwidth", "500", "--units", "per_cell",
               "--harm", "ons-css", "--out", str(tif)])
    assert rc == 0, capsys.readouterr().out
    with rasterio.open(tif) as src:
        band = src.read(1, masked=True)
    assert float(band.sum()) == pytest.approx(_expected_harm(rows), rel=0.05)  # edge loss only


def test_harm_on_policeuk_violence_is_refused_with_the_reason(real, tmp_path, capsys):
    rc = main(["gistar", "--boundaries", str(BOUNDARIES_GPKG), str(POLICE / "2025-06-avon-and-somerset-street.csv.gz"),
               "--cell", "250", "--harm", "ons-css", "--out", str(tmp_path / "gi.gpkg")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Violence and sexual offences" in err and "7.5 to 7,973.4" in err and "harm_override" in err
    assert not (tmp_path / "gi.gpkg").exists()


def test_harm_table_that_does_not_exist_is_a_clear_error(june_sv, tmp_path, capsys):
    path, _ = june_sv
    out = tmp_path / "gi.gpkg"
    rc = main(["gistar", "--embedded", str(path), "--cell", "250", "--harm", str(tmp_path / "nope.csv"),
               "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "nope.csv" in err and "harm index file not found" in err
    assert not out.exists()

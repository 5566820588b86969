"""The tasking cycle on the real published files in ../shared/real (police.uk, ONS, IoD2019).

Expected values here come from the files themselves (line counts of the published CSVs) and from
the VRU's needs assessment (place coordinates), never from the engine.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from hotspot.cli import main
from hotspot.config import load
from hotspot.cycle import run_cycle
from hotspot.paths import reference_dir
from tests.realdata import BOUNDARIES_GPKG, IMD_FILE1, LOOKUP, POLICE


def _published_rows() -> int:
    """Data rows in the police.uk files, counted from the bytes as published."""
    n = 0
    for f in sorted(POLICE.glob("*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            n += sum(1 for _ in fh) - 1
    return n


@pytest.fixture(scope="module")
def real_cycle(real, tmp_path_factory):
    out = tmp_path_factory.mktemp("real_out")
    cfg = load(None, overrides={"inputs": {"offences": [str(POLICE)], "boundaries": str(BOUNDARIES_GPKG)},
                                "covariates": {"imd": str(IMD_FILE1), "lookup": str(LOOKUP)}})
    return run_cycle(cfg, out, log=lambda s: None)


def test_real_cycle_is_june_2025_and_reconciles_every_published_row(real_cycle):
    assert real_cycle.cycle_id == "2025-06"
    m = real_cycle.manifest
    assert m["time_resolution"] == "month"
    t = m["reconciliation"]
    assert t["rows_read"] == _published_rows() == 79_775
    assert t["accepted"] + t["quarantined"] == t["rows_read"]
    assert m["months"]["missing"] == ["2025-05"]
    assert m["study_area"]["embedded"] is False


def test_real_briefing_names_june_shows_no_hours_and_no_invented_knife_figures(real_cycle):
    html = (real_cycle.folder / "briefing" / "briefing.html").read_text(encoding="utf-8")
    assert "June 2025" in html
    assert "Violence and sexual offences, and robbery" in html
    assert re.search(r"Knife-enabled serious violence</div><div class='v'>not available", html)
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:00-\d\d:00", html), "hour windows invented"
    assert "2025-05" in html  # the missing month is said, not drawn as zero


def _bng(lat: float, lon: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)


def test_bristol_and_weston_town_centres_are_in_the_top_five(real_cycle):
    top = pd.read_csv(real_cycle.folder / "tables" / "top_hotspots.csv").head(5)
    places = pd.read_csv(reference_dir() / "hotspot_places.csv").set_index("place")
    for place in ("Bristol city centre", "Weston-super-Mare town centre"):
        px, py = _bng(places.at[place, "lat"], places.at[place, "lon"])
        d = np.hypot(top["x"] - px, top["y"] - py).min()
        assert d < 1000, f"{place}: nearest top-5 hot spot {d:.0f} m away"
    assert not top["peak_window"].astype(str).str.contains(r"\d\d:00").any()


def test_real_cycle_without_boundaries_stops_with_one_message_naming_the_flag(real, capsys):
    code = main(["run", "--offences", str(POLICE), "--out", "/nonexistent/never-written"])
    err = capsys.readouterr().err
    assert code == 2 and "--boundaries" in err
    assert not Path("/nonexistent/never-written").exists()


def test_real_geocode_without_boundaries_refuses_instead_of_using_the_synthetic_world(real, tmp_path, capsys):
    one = sorted(POLICE.glob("*.csv.gz"))[0]
    code = main(["geocode", str(one), "--out", str(tmp_path / "x.gpkg")])
    assert code == 2 and "--boundaries" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()


def test_real_public_cycle_runs(real, real_cycle, tmp_path):
    cfg = load(None, overrides={"inputs": {"offences": [str(POLICE)], "boundaries": str(BOUNDARIES_GPKG)},
                                "covariates": {"imd": str(IMD_FILE1), "lookup": str(LOOKUP)}})
    res = run_cycle(cfg, tmp_path, public=True, log=lambda s: None)
    manifest = json.loads((res.folder / "manifest.json").read_text())
    assert manifest["handling"] == "OFFICIAL"
    assert not list(res.folder.rglob("offences.gpkg"))


def test_real_offences_are_refused_by_the_embedded_synthetic_world(real, tmp_path, capsys):
    one = sorted(POLICE.glob("*.csv.gz"))[0]
    code = main(["geocode", str(one), "--embedded", "--out", str(tmp_path / "x.gpkg")])
    err = capsys.readouterr().err
    assert code == 2 and "real ONS LSOA codes" in err and "--boundaries" in err
    assert not (tmp_path / "x.gpkg").exists()


def test_real_areas_without_covariates_say_not_available(real, tmp_path, capsys):
    out = tmp_path / "areas.csv"
    code = main(["areas", str(sorted(POLICE.glob("*.csv.gz"))[-1]), "--boundaries", str(BOUNDARIES_GPKG),
                 "--level", "la", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    prof = pd.read_csv(out)
    assert len(prof) == 5 and prof["knife"].isna().all()
    assert main(["areas", str(POLICE), "--boundaries", str(BOUNDARIES_GPKG), "--uc", "", "--out",
                 str(tmp_path / "b.csv")]) == 2


def test_a_stage_with_no_offences_fails_the_run_naming_the_filter(real, tmp_path):
    from hotspot.errors import InputError

    cfg = load(None, overrides={"inputs": {"offences": [str(sorted(POLICE.glob("*.csv.gz"))[0])],
                                           "boundaries": str(BOUNDARIES_GPKG)},
                                "cycle": {"end": "2024-01-31"}})
    with pytest.raises(InputError, match=r"0 offences in this cycle \(January 2024\)"):
        run_cycle(cfg, tmp_path, log=lambda s: None)
    assert not (tmp_path / "2024-01").exists()


def test_real_harm_is_not_invented_for_policeuk_violence(real_cycle):
    """police.uk says "Violence and sexual offences", not which offence: no harm weight is guessed."""
    tables = real_cycle.folder / "tables"
    hs = json.loads((tables / "hotspots.json").read_text())
    assert hs["harm"]["status"].startswith("not available")
    assert "Violence and sexual offences" in hs["harm"]["status"]
    assert not (tables / "top_harm_hotspots.csv").exists()
    assert "harm" not in pd.read_csv(tables / "top_hotspots.csv").columns
    html = (real_cycle.folder / "briefing" / "briefing.html").read_text(encoding="utf-8")
    assert "Harm: not available" in html

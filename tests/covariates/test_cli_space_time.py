"""`hotspot profile` and `hotspot areas` end to end on the embedded extract (skipped without it)."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot.cli import main
from hotspot.paths import data_dir

EXTRACT = data_dir() / "offences_extract.csv.gz"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (EXTRACT.exists() and (data_dir() / "covariates").exists()),
                                 reason="embedded data set not generated (make data)")]


def test_profile_command(tmp_path, capsys):
    out, fig = tmp_path / "t.csv", tmp_path / "h.png"
    assert main(["profile", "--embedded", str(EXTRACT), "--out", str(out), "--figure", str(fig)]) == 0
    text = capsys.readouterr().out
    assert "peak windows" in text and "r = " in text
    t = pd.read_csv(out, index_col="day")
    assert t.shape == (7, 25) and (t["total"] == t.drop(columns="total").sum(axis=1)).all()
    assert fig.stat().st_size > 0
    assert main(["profile", "--embedded", str(EXTRACT), "--out", str(out), "--area", "NOPE"]) == 2


def test_areas_command(tmp_path, capsys):
    out, dec = tmp_path / "a.csv", tmp_path / "d.csv"
    cov = EXTRACT.parent / "covariates"
    assert main(["areas", "--embedded", str(EXTRACT), "--level", "la", "--out", str(out), "--by-decile", str(dec),
                 "--imd", str(cov / "imd2019_file7.csv"), "--uc", str(cov / "uc_households_lsoa.csv"),
                 "--population", str(cov / "population_lsoa.csv")]) == 0
    a, d = pd.read_csv(out), pd.read_csv(dec)
    assert len(a) == 5 and a["offences"].sum() == d["offences"].sum()
    assert {"sv_per_1000", "uc_per_100_households", "imd_score"} <= set(a.columns)
    assert main(["areas", "--embedded", str(EXTRACT), "--level", "msoa", "--out", str(out)]) == 2

"""The cycle's backtest with areal units (was a TypeError in cycle.py: the Areas object was passed
where a polygon layer was expected): LSOA and beat runs write a backtest over every unit."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotspot.config import validate
from hotspot.cycle import run_cycle
from hotspot.geography.areas import embedded_areas
from hotspot.paths import data_dir


@pytest.fixture(scope="module")
def recent_input(tmp_path_factory):
    df = pd.read_csv(data_dir() / "offences_extract.csv.gz", dtype=str, keep_default_na=False)
    keep = df["occurred_at"] >= "2020-09-01"
    path = tmp_path_factory.mktemp("input") / "extract.csv"
    df[keep].to_csv(path, index=False)
    return path


@pytest.mark.parametrize("unit", ["lsoa", "beat"])
def test_cycle_backtest_runs_for_areal_units(recent_input, tmp_path, unit):
    cfg = validate({"inputs": {"embedded": True, "offences": [str(recent_input)], "now": "2021-07-01"},
                    "hotspots": {"cell_m": 250.0, "distance_m": 500.0},
                    "forecast": {"unit": unit, "backtest_folds": 2}})
    res = run_cycle(cfg, tmp_path, log=lambda s: None)
    bt = json.loads((res.folder / "forecasts" / "backtest.json").read_text())
    n = embedded_areas().level(unit)[f"{unit}_code"].nunique()
    assert bt["meta"]["unit"] == unit and bt["meta"]["n_units"] == n and bt["meta"]["folds"] == 2
    assert "gbm" in bt["models"] and "sepp" in bt["models"]

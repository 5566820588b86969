"""The forecast, backtest and scenario commands (offence loading patched to a synthetic world)."""

import json
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from hotspot.cli import app


@pytest.fixture
def patched(monkeypatch, world):
    import hotspot.api as api

    monkeypatch.setattr(api, "load_offences", lambda inputs, study_area, **kw: SimpleNamespace(offences=world))
    return world


def test_help_lists_options():
    r = CliRunner().invoke(app, ["forecast", "--help"])
    assert r.exit_code == 0 and "--horizon" in r.output and "--from" in r.output


def test_forecast_command(tmp_path, patched):
    out = tmp_path / "f.gpkg"
    r = CliRunner().invoke(app, ["forecast", "--embedded", "x.csv", "--from", "2021-06-01", "--horizon", "7",
                                 "--unit", "cell", "--cell", "250", "--out", str(out),
                                 "--save", str(tmp_path / "m.skops")])
    assert r.exit_code == 0, r.output
    layer = gpd.read_file(out, layer="forecast")
    assert {"unit", "expected", "q10", "q90", "rank"} <= set(layer.columns)
    assert layer.crs.to_epsg() == 27700
    assert sorted(layer["rank"]) == list(range(1, len(layer) + 1))
    assert layer.geometry.area.round().eq(62500).all()
    dh = pd.read_csv(tmp_path / "f.day_hour.csv")
    assert len(dh[dh["unit"] == "ALL"]) == 168
    assert dh.loc[dh["unit"] == "ALL", "expected"].sum() == pytest.approx(layer["expected"].sum())
    # the saved model reproduces the forecast
    out2 = tmp_path / "g.gpkg"
    r = CliRunner().invoke(app, ["forecast", "--embedded", "x.csv", "--from", "2021-06-01", "--out", str(out2),
                                 "--model", str(tmp_path / "m.skops")])
    assert r.exit_code == 0, r.output
    layer2 = gpd.read_file(out2, layer="forecast")
    assert layer2["expected"].sum() == pytest.approx(layer["expected"].sum())


def test_backtest_and_scenario_commands(tmp_path, patched):
    r = CliRunner().invoke(app, ["backtest", "--embedded", "x.csv", "--unit", "cell", "--folds", "2", "--models",
                                 "last4,kde", "--out", str(tmp_path / "m.json"),
                                 "--chart", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    d = json.loads((tmp_path / "m.json").read_text())
    assert set(d["models"]) == {"last4", "kde"} and (tmp_path / "c.png").exists()
    r = CliRunner().invoke(app, ["scenario", "--embedded", "x.csv", "--reopen", "2021-07-19", "--unit", "cell",
                                 "--out", str(tmp_path / "s.csv"), "--backtest"])
    assert r.exit_code == 0, r.output
    s = pd.read_csv(tmp_path / "s.csv")
    assert {"unit", "day", "hour", "baseline_weekly", "expected_weekly"} <= set(s.columns)
    assert (tmp_path / "s.backtest.csv").exists() and (tmp_path / "s.effects.csv").exists()


def test_forecast_with_tampered_model_exits_2(tmp_path, patched, capsys):
    from hotspot.cli import main

    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"PK\x03\x04 not a model")
    (tmp_path / "bad.card.json").write_text('{"sha256": "0000"}')
    code = main(["forecast", "--embedded", "x.csv", "--from", "2021-06-01", "--out", str(tmp_path / "f.gpkg"),
                 "--model", str(bad)])
    assert code == 2
    assert "SHA-256" in capsys.readouterr().err

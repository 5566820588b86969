"""The tasking-cycle batch run: outputs, manifest, determinism, resume, atomicity, lock, public mode."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspot.config import validate
from hotspot.cycle import run_cycle
from hotspot.errors import LockError
from hotspot.io import sha256_file
from hotspot.paths import data_dir


@pytest.fixture(scope="module")
def small_input(tmp_path_factory) -> Path:
    """The embedded extract from June 2020 on (bad rows included): a quick but real cycle."""
    df = pd.read_csv(data_dir() / "offences_extract.csv.gz", dtype=str, keep_default_na=False)
    keep = (df["occurred_at"] >= "2020-06-01") | ~df["occurred_at"].str.match(r"^\d{4}-\d{2}-\d{2}T")
    path = tmp_path_factory.mktemp("input") / "extract.csv"
    df[keep].to_csv(path, index=False)
    return path


def _cfg(small_input: Path, **sections):
    raw = {"inputs": {"embedded": True, "offences": [str(small_input)], "now": "2021-07-01"},
           "hotspots": {"cell_m": 250.0, "distance_m": 500.0}}
    for k, v in sections.items():
        raw.setdefault(k, {}).update(v)
    return validate(raw)


@pytest.fixture(scope="module")
def first_run(small_input, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    res = run_cycle(_cfg(small_input), out, log=lambda s: None)
    return out, res


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_cycle_writes_everything_and_reconciles(first_run):
    out, res = first_run
    folder = res.folder
    assert folder == out / res.cycle_id and re.fullmatch(r"\d{4}-W\d{2}", res.cycle_id)
    for rel in ["maps/tasking_map.html", "briefing/briefing.html", "rasters/kde.tif", "cube/cube.nc",
                "layers/hotspots.gpkg", "layers/emerging.gpkg", "layers/offences.gpkg",
                "forecasts/forecast.gpkg", "tables/top_hotspots.csv", "tables/day_hour.csv",
                "tables/areas_lsoa.csv", "quarantine/quarantine.csv", "manifest.json"]:
        assert (folder / rel).is_file(), rel
    man = json.loads((folder / "manifest.json").read_text())
    t = man["reconciliation"]
    assert t["rows_read"] == t["accepted"] + t["quarantined"] and t["quarantined"] > 0
    q = pd.read_csv(folder / "quarantine" / "quarantine.csv")
    assert len(q) == t["quarantined"]
    for rel, digest in man["outputs"].items():
        assert sha256_file(folder / rel) == digest
    assert set(man["timings_s"]) == {"offences", "hotspots", "emerging", "profiles", "forecast", "routes", "publish"}
    assert man["versions"]["numba"] and man["inputs"]
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


def test_rerun_resumes_from_cache_and_is_byte_identical(first_run, small_input, tmp_path):
    out, res = first_run
    before = _files(res.folder)
    again = run_cycle(_cfg(small_input), out, log=lambda s: None)
    assert all(s.cached for s in again.stages)
    # a fresh folder (no cache) gives the same bytes, timestamps aside
    fresh = run_cycle(_cfg(small_input), tmp_path, log=lambda s: None)
    after = _files(fresh.folder)
    assert set(before) == set(after)
    differ = {k for k in before if before[k] != after[k]}
    assert differ <= {"manifest.json", "briefing/briefing.html"}, differ
    strip = lambda p: re.sub(r"generated [0-9:\- T]+", "", p.read_text())  # noqa: E731
    assert strip(res.folder / "briefing/briefing.html") == strip(fresh.folder / "briefing/briefing.html")
    m1, m2 = (json.loads((f / "manifest.json").read_text()) for f in (res.folder, fresh.folder))
    for m in (m1, m2):
        for k in ("created", "timings_s", "total_seconds", "inputs"):
            m.pop(k)
        m["outputs"].pop("briefing/briefing.html")  # carries its "generated" timestamp
    assert m1 == m2


def test_dask_run_gives_the_same_outputs(first_run, small_input, tmp_path):
    """--scheduler processes (2 workers): ingest per file, tiled KDE and Gi*, same bytes."""
    pytest.importorskip("distributed")
    out, res = first_run
    dist = run_cycle(_cfg(small_input), tmp_path, log=lambda s: None, scheduler="processes", workers=2)
    assert dist.manifest["execution"] == "processes x2" and res.manifest["execution"] == "single process"
    a, b = _files(res.folder), _files(dist.folder)
    assert set(a) == set(b)
    assert {k for k in a if a[k] != b[k]} <= {"manifest.json", "briefing/briefing.html"}


def test_failed_run_leaves_previous_outputs_untouched(first_run, small_input):
    out, res = first_run
    before = _files(res.folder)
    cfg = _cfg(small_input, forecast={"horizon_days": 28})  # forecast and later stages must rerun
    with pytest.raises(RuntimeError, match="simulated failure"):
        run_cycle(cfg, out, log=lambda s: None, fail_in="forecast")
    assert _files(res.folder) == before
    assert not [p for p in out.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    cache = out / ".cache"
    assert not [p for p in cache.iterdir() if p.name.startswith(".forecast-")]  # no half-written stage
    assert not (out / ".hotspot.lock").exists()


def test_second_run_refuses_while_folder_is_locked(first_run, small_input):
    out, _ = first_run
    lock = out / ".hotspot.lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "started": "now"}))
    try:
        with pytest.raises(LockError, match="locked by another hotspot run"):
            run_cycle(_cfg(small_input), out, log=lambda s: None)
    finally:
        lock.unlink()


def test_public_run_has_no_small_counts_and_no_sensitive_files(small_input, tmp_path):
    from hotspot.publish.redact import assert_public

    res = run_cycle(_cfg(small_input), tmp_path, public=True, log=lambda s: None)
    files = _files(res.folder)
    assert "layers/offences.gpkg" not in files and "quarantine/quarantine.csv" not in files
    assert "rasters/kde.tif" not in files
    for rel in files:
        if rel != "manifest.json":
            assert_public(res.folder / rel, 5)
    html = (res.folder / "maps" / "tasking_map.html").read_text()
    assert "OFFICIAL" in html and "OFFICIAL-SENSITIVE" not in html
    man = json.loads((res.folder / "manifest.json").read_text())
    assert man["handling"] == "OFFICIAL"
    # issue 14: the independent scan finds nothing; no quarantine figures or input paths published
    from hotspot.publish.scan import scan_folder

    assert scan_folder(res.folder) == []
    assert not {"inputs", "parameters", "reconciliation", "reconciliation_by_file"} & set(man)
    assert res.folder == tmp_path / "public" / res.cycle_id          # never the sensitive folder
    # public area tables leave out domestic and sexual offences
    import geopandas as gpd

    from hotspot.publish.redact import drop_sensitive

    off = gpd.read_file(res.stages[0].folder / "offences.gpkg")
    off["occurred_at"] = pd.to_datetime(off["occurred_at"])
    end = pd.Timestamp(man["period"]["end"])
    year = off[(off["occurred_at"] >= end - pd.Timedelta(days=364)) & (off["occurred_at"] < end + pd.Timedelta(days=1))]
    la = pd.read_csv(res.folder / "tables" / "areas_la.csv")
    kept = drop_sensitive(year)
    assert len(kept) < len(year)
    assert la["offences"].sum() <= len(kept) < len(year)
    # a sensitive run into the same folder keeps its own cache: neither run prunes the other's
    sens = run_cycle(_cfg(small_input), tmp_path, log=lambda s: None)
    assert (tmp_path / ".cache").is_dir() and (tmp_path / "public" / ".cache").is_dir()
    assert all(s.cached for s in run_cycle(_cfg(small_input), tmp_path, public=True, log=lambda s: None).stages)
    assert all(s.cached for s in run_cycle(_cfg(small_input), tmp_path, log=lambda s: None).stages)
    assert sens.folder == tmp_path / sens.cycle_id


def test_cli_init_and_config_errors(tmp_path):
    from hotspot.cli import main

    cfg = tmp_path / "cycle.toml"
    assert main(["init", str(cfg)]) == 0 and "[hotspots]" in cfg.read_text()
    assert main(["init", str(cfg)]) == 2  # exists: refuses without --force
    bad = tmp_path / "bad.toml"
    bad.write_text("[hotspots]\ncell_m = 'big'\n")
    assert main(["run", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    bad.write_text("[forecast]\nunit = 'county'\n")
    assert main(["run", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2


def _ons_css_weights() -> dict[str, float]:
    """The shipped ONS CSS table read directly (not through hotspot.hotspots.harm)."""
    t = pd.read_csv(data_dir() / "harm" / "ons_css_weights.csv", dtype={"key": str})
    w = dict(zip(t["key"], t["weight"]))
    w["1"] = w["1, 4.1/2/10"]  # ONS keys homicide (1, 4.1, 4.2, 4.10) in one row
    return w


def test_top_hotspots_by_count_and_by_harm_side_by_side(first_run):
    out, res = first_run
    tables = res.folder / "tables"
    by_count = pd.read_csv(tables / "top_hotspots.csv")
    by_harm = pd.read_csv(tables / "top_harm_hotspots.csv")
    assert {"count", "harm"} <= set(by_count.columns) and {"count", "harm"} <= set(by_harm.columns)
    assert by_harm["harm"].is_monotonic_decreasing and by_count["count"].is_monotonic_decreasing
    both = by_count.merge(by_harm, on=["x", "y"], suffixes=("_c", "_h"))
    assert len(both) >= 3  # the same circles: a place in both lists shows the same figures
    assert (both["count_c"] == both["count_h"]).all() and np.allclose(both["harm_c"], both["harm_h"])
    # harm of the first place recomputed from the accepted offences and the published weights
    off = gpd.read_file(next(out.glob(".cache/offences-*/offences.gpkg")))
    per = res.manifest["period"]
    day = off["occurred_at"].astype(str).str[:10]
    now = off[off["serious_violence"].astype(bool) & (day >= per["start"]) & (day <= per["end"])]
    w = now["offence_code"].map(_ons_css_weights())
    assert w.notna().all(), "every synthetic serious-violence code is in the ONS table"
    top1 = by_count.iloc[0]
    near = np.hypot(now["easting"] - top1["x"], now["northing"] - top1["y"]) <= top1["radius_m"] + 1e-6
    assert int(near.sum()) == top1["count"]
    assert w[near].sum() == pytest.approx(top1["harm"], rel=1e-9)
    # the area tables carry harm beside the counts: the year to the cycle's end
    start = str(pd.Timestamp(per["end"]) - pd.Timedelta(days=364))[:10]
    year = off[off["serious_violence"].astype(bool) & (day >= start) & (day <= per["end"])]
    lsoa = pd.read_csv(tables / "areas_lsoa.csv")
    assert lsoa["serious_violence"].sum() == len(year)
    assert lsoa["sv_harm"].sum() == pytest.approx(year["offence_code"].map(_ons_css_weights()).sum(), rel=1e-9)
    hs = json.loads((tables / "hotspots.json").read_text())
    assert hs["harm"]["status"] == "ok" and hs["harm"]["name"] == "ons-css"
    # the harm table is an input: its hash keys the stages, so an edited table re-runs them
    assert any(Path(k).name == "ons_css_weights.csv" for k in res.manifest["inputs"])
    html = (res.folder / "briefing" / "briefing.html").read_text(encoding="utf-8")
    assert "Top hotspots by count" in html and "Top hotspots by harm" in html
    assert "Harm: offences weighted by the ONS Crime Severity Score" in html

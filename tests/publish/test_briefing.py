"""The printable briefing and the map/briefing commands."""

from __future__ import annotations

import base64
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import EVIL
from hotspot.publish import briefing


@pytest.fixture(scope="module")
def offences():
    rng = np.random.default_rng(3)
    n = 600
    t = pd.Timestamp("2019-06-01") + pd.to_timedelta(rng.uniform(0, 900, n), unit="D")
    t = t.floor("h")
    return pd.DataFrame({"occurred_at": t, "month": t.strftime("%Y-%m"), "crime_type": "Robbery"})


@pytest.fixture(scope="module")
def restrictions_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("ref") / "restrictions.csv"
    p.write_text("date,event,night_time_economy,schools\n"
                 "2020-03-20,Pubs close,closed,closed_to_most\n"
                 "2020-07-04,Pubs reopen,open_restricted,partly_open\n"
                 "2020-11-05,Second lockdown,closed,open\n"
                 "2021-07-19,Step 4,open,open\n")
    return p


def test_day_hour_table(offences):
    tab = briefing.day_hour_table(offences)
    assert tab.shape == (7, 24) and tab.to_numpy().sum() == len(offences)
    t = offences["occurred_at"]
    assert tab.loc["Fri", 22] == ((t.dt.dayofweek == 4) & (t.dt.hour == 22)).sum()


def test_read_restrictions(restrictions_csv):
    r = briefing.read_restrictions(restrictions_csv)
    assert list(r["state"]) == ["closed", "open_restricted", "closed", "open"]
    assert (r["end"].iloc[:-1].to_numpy() == r["start"].iloc[1:].to_numpy()).all()


def test_briefing_contents(tmp_path, offences, restrictions_csv, top_hotspots, forecast_units, emerging_cells):
    trend = offences.groupby("month").size()
    prof = pd.DataFrame({"imd_decile": range(1, 11), "offences": np.arange(50, 0, -5), "rate_per_1000": np.linspace(9, 1, 10)})
    res = briefing.write_briefing(
        tmp_path / "b.html", title=EVIL, period="week to 2026-11-22", handling="OFFICIAL-SENSITIVE",
        headline={"Serious violence": (120, 100), "Knife crime": (18, 24)}, top=top_hotspots,
        day_hour=briefing.day_hour_table(offences), trend=trend, restrictions=restrictions_csv,
        forecast=pd.DataFrame(forecast_units.drop(columns="geometry")), emerging=emerging_cells,
        imd_profile=prof)
    page = res["html"].read_text()
    assert page.count("OFFICIAL-SENSITIVE") >= 2 and "@media print" in page
    assert "+20% on last cycle" in page and "-25% on last cycle" in page
    for h in ("Top hotspots", "day of week and hour", "Trend", "forecast", "Emerging", "IMD decile",
              "Method", "Caveats"):
        assert h in page, h
    imgs = re.findall(r"src='data:image/png;base64,([^']+)'", page)
    assert len(imgs) == 3
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in imgs)
    assert "<img src=x" not in page and "<script>" not in page and "{{7*7}}" not in page
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=['\"]?https?:", page)
    with pytest.raises(Exception, match="unknown"):
        briefing.write_briefing(tmp_path / "x.html", colour="red")


def test_trend_with_default_restrictions_missing_is_fine(tmp_path, offences):
    res = briefing.write_briefing(tmp_path / "b.html", trend=offences.groupby("month").size())
    assert "Trend" in res["html"].read_text()


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None and not os.environ.get("HOTSPOT_REQUIRE_CHROMIUM"),
                    reason="chromium not installed (CI sets HOTSPOT_REQUIRE_CHROMIUM: then this fails)")
def test_pdf(tmp_path, top_hotspots):
    res = briefing.write_briefing(tmp_path / "b.html", top=top_hotspots, restrictions=None, pdf=True)
    assert res["pdf"] is not None and res["pdf"].read_bytes()[:5] == b"%PDF-"


def test_cli_map_and_briefing(tmp_path, gistar_cells, areas, top_hotspots, offences):
    from hotspot.cli import main
    from hotspot.publish.redact import assert_public

    g = tmp_path / "gistar.gpkg"
    gistar_cells.to_file(g, engine="pyogrio")
    b = tmp_path / "boundaries.gpkg"
    for name, layer in (("lsoa", areas.lsoa), ("beat", areas.beat), ("la", areas.la)):
        layer.to_file(b, layer=name, engine="pyogrio")
    top = tmp_path / "top.csv"
    top_hotspots.assign(count=[31, 3, 17]).to_csv(top, index=False)
    out = tmp_path / "map.html"
    assert main(["map", "--gistar", str(g), "--top", str(top), "--boundaries", str(b), "--out", str(out)]) == 0
    assert "leaflet" in out.read_text().lower()
    pub = tmp_path / "pub.html"
    assert main(["map", "--gistar", str(g), "--top", str(top), "--boundaries", str(b), "--public",
                 "--out", str(pub)]) == 0
    assert_public(pub)
    off = tmp_path / "off.csv"
    offences.to_csv(off, index=False)
    br = tmp_path / "brief.html"
    assert main(["briefing", "--offences", str(off), "--top", str(top), "--public", "--out", str(br)]) == 0
    assert_public(br)
    assert main(["map", "--embedded", "--gistar", str(tmp_path / "missing.gpkg"), "--no-areas", "--out", str(out)]) == 2

"""Deny-by-default disclosure control (redact.public_table) checked by the independent scanner."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hotspot.publish import redact
from hotspot.publish.briefing import render_briefing
from hotspot.publish.scan import scan_file, scan_html, scan_table


def _areas_table(counts, knife, pops, seed):
    n = len(counts)
    c = np.array(counts, float)
    k = np.minimum(np.array(knife, float), c)
    pop = np.array(pops, float)
    return pd.DataFrame({
        "beat_code": [f"XB{i:06d}" for i in range(n)], "name": [f"Beat {i}" for i in range(n)],
        "offences": c + 3, "serious_violence": c, "knife": k, "population": pop,
        "sv_per_1000": c / pop * 1000, "knife_per_1000": k / pop * 1000,
        "share_sv": c / max(c.sum(), 1) * 100, "imd_decile": (np.arange(n) % 10) + 1,
        "secret_column": np.arange(n) % 4 + 1, "domestic": False, "handling": "OFFICIAL",
    })


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 60), min_size=3, max_size=40), st.data(), st.integers(0, 10_000))
def test_random_area_tables_pass_the_scanner(counts, data, seed):
    n = len(counts)
    knife = data.draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    pops = data.draw(st.lists(st.integers(800, 30_000), min_size=n, max_size=n))
    nz = [v for v in counts if v]
    # a rate whose counts all share a factor of 10 is ambiguous to any reader (30 per 1,000 or
    # 3 per 100?): the scanner then refuses, which is the deny-by-default side
    assume(not nz or np.gcd.reduce(nz) < 10)
    nk = [v for v in np.minimum(knife, counts) if v]
    assume(not nk or np.gcd.reduce(nk) < 10)
    df = _areas_table(counts, knife, pops, seed)
    out = redact.public_table(df, threshold=5)
    assert "secret_column" not in out.columns and "domestic" not in out.columns   # undeclared
    found = scan_table(out, 5)
    assert found == [], found


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=3, max_size=30))
def test_random_change_tables_pass_the_scanner(pairs):
    before = np.array([p[0] for p in pairs], float)
    after = np.array([p[1] for p in pairs], float)
    # the scanner learns "difference = after - before" from rows where all three are published;
    # with fewer than 3 such rows it cannot tell a difference of 1 from a count of 1 and refuses
    with np.errstate(all="ignore"):
        pct = np.where(before > 0, (after - before) / before * 100, np.nan)
    df = pd.DataFrame({"change": "emerged", "count_before": before, "count_after": after,
                       "difference": after - before, "pct_change": pct})
    out = redact.public_table(df, threshold=5)
    # the scanner learns "difference = after - before" from rows where all three are published;
    # with fewer than 3 such rows it cannot tell a difference of 1 from a count of 1 and refuses
    full = out[["count_before", "count_after", "difference"]].notna().all(axis=1)
    assume(full.sum() >= 3)
    # ... and the relation must be visible: a difference that is the same on every such row is
    # indistinguishable from a copied constant, so the scanner refuses it (a refusal, never a leak)
    assume(out.loc[full, "difference"].nunique() > 1)
    assert scan_table(out, 5) == []
    w = out["count_before_suppressed"] if "count_before_suppressed" in out else np.zeros(len(out), bool)
    assert out.loc[np.asarray(w), "difference"].isna().all()


def test_primary_and_secondary_suppression_values():
    df = pd.DataFrame({"name": list("abcd"), "count": [3.0, 10, 20, 7], "count_last": [6.0, 2, 20, 9],
                       "trend": ["-50%", "+400%", "+0%", "-22%"]})
    out = redact.public_table(df, threshold=5, text=True)
    assert out["count"].isna().tolist() == [True, False, False, True]       # 3, then the smallest (7)
    assert out["count_last"].isna().tolist() == [True, True, False, False]  # 2, then 6
    assert out["trend"].isna().tolist() == [True, True, False, True]
    assert out.loc[0, "count_text"] == "<5" and bool(out.loc[0, "count_suppressed"])


def test_rate_without_its_count_is_not_published():
    df = pd.DataFrame({"lsoa_code": ["A", "B", "C"], "sv_per_1000": [0.5, 3.0, 2.0], "population": [2000] * 3})
    out = redact.public_table(df)
    assert "sv_per_1000" not in out.columns


def test_sensitive_rows_and_words_go():
    df = pd.DataFrame({"name": ["a", "b", "c"], "sv_category": ["robbery", "sexual", "vap_injury"],
                       "domestic": [False, False, True], "count": [10, 20, 30],
                       "main_types": ["robbery 60%; Sexual offences 40%", "x", "y"]})
    out = redact.public_table(df)
    assert out["name"].tolist() == ["a"] and "Sexual" not in out["main_types"].iloc[0]


def test_public_gpkg_export_of_the_leaky_layers_has_no_findings(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from hotspot.publish.export import export_layers

    n = 30
    rng = np.random.default_rng(3)
    geoms = [box(356000 + 250 * i, 171000, 356250 + 250 * i, 171250) for i in range(n)]
    b, a = rng.integers(0, 9, n).astype(float), rng.integers(0, 9, n).astype(float)
    change = gpd.GeoDataFrame({"row": range(n), "col": range(n), "change": "emerged", "change_code": 1,
                               "count_before": b, "count_after": a, "difference": a - b,
                               "pct_change": np.where(b > 0, (a - b) / np.maximum(b, 1) * 100, np.nan)},
                              geometry=geoms, crs=27700)
    emerging = gpd.GeoDataFrame({"category": "new hot spot", "category_code": 1, "n_hot_steps": 2,
                                 "total_count": rng.integers(0, 9, n).astype(float), "trend_z": rng.normal(size=n)},
                                geometry=geoms, crs=27700)
    p = export_layers(tmp_path / "layers.gpkg", {"change": change, "emerging": emerging}, public=True)
    assert scan_file(p) == []
    back = gpd.read_file(p, layer="change")
    assert "row" not in back.columns and back["count_before_suppressed"].dtype == bool


def test_public_briefing_with_withheld_headline_does_not_crash():
    """The `could not convert string to float: '<5'` crash of a public cycle."""
    html = render_briefing(handling="OFFICIAL", headline={"Knife-enabled serious violence": ("<5", 12),
                                                          "Robbery": (14, "<5"), "Serious violence": (40, 30)})
    assert "&lt;5" in html and "+33%" in html
    assert scan_html(html) == []


def test_public_briefing_trend_chart_carries_its_data(tmp_path):
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    trend = pd.Series([20, 31, 4, 0, 2, 18, 22, 25, 26, 30, 19, 21], index=months, dtype=float)
    full = render_briefing(handling="OFFICIAL-SENSITIVE", trend=trend, restrictions=None)
    found = {f.rule for f in scan_html(full)}
    assert "small_count" in found            # the chart's data is in the page, so it is checked
    public = render_briefing(handling="OFFICIAL", trend=trend, restrictions=None)
    assert scan_html(public) == []           # months of 1-4 withheld in the public chart and its data
    assert '"value": null' in public and '"value": 0.0' in public


def test_public_forecasts_withhold_small_expected_counts():
    """A forecast built from few past offences can give them back: expected values above 0 and
    below the threshold are withheld (a monthly mean of 0.2 over 5 months is one offence)."""
    from hotspot.publish.redact import public_table

    df = pd.DataFrame({"unit": ["a", "b", "c", "d"], "expected": [0.0, 0.2, 3.0, 7.5]})
    out = public_table(df, threshold=5)
    assert out["expected"].tolist()[0] == 0.0 and out["expected"].tolist()[3] == 7.5
    assert out["expected"].isna().tolist() == [False, True, True, False]
    assert out["expected_suppressed"].tolist() == [False, True, True, False]

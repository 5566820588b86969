"""The independent deny-by-default scanner: every leak of issue 14, crafted, is caught.

The scanner (hotspot.publish.scan) imports nothing from hotspot.publish.redact; these tests build
each leak by hand, write it as the engine would (GeoPackage, CSV, JSON, HTML) and check the scan
names it. Column names are deliberately unusual where the point is that names are not consulted.
"""

import ast
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from hotspot.publish import scan
from hotspot.publish.scan import scan_file, scan_folder, scan_html, scan_table

X0, Y0 = 356000.0, 171000.0


def rules(findings):
    return {f.rule for f in findings}


def cells(n, size=250.0):
    return [box(X0 + i * size, Y0, X0 + (i + 1) * size, Y0 + size) for i in range(n)]


def test_scanner_imports_nothing_from_the_redactor():
    src = Path(scan.__file__).read_text()
    tree = ast.parse(src)
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and "redact" in m for m in mods)
    assert "redact" not in src.replace("redactor", "")


def test_change_layer_counts_before_after(tmp_path):
    """hotspots.gpkg 'change': count_before / count_after of 1-4 beside a suppressed Gi* layer."""
    n = 12
    gi = gpd.GeoDataFrame({"count": [np.nan] * 6 + [9.0] * 6, "z": np.linspace(0, 3, n),
                           "handling": "OFFICIAL"}, geometry=cells(n), crs=27700)
    ch = gpd.GeoDataFrame({"change": ["emerged"] * n, "count_before": [1, 2, 3, 4, 0, 1] + [9] * 6,
                           "count_after": [4, 3, 9, 9, 9, 9] + [12] * 6, "handling": "OFFICIAL"},
                          geometry=cells(n), crs=27700)
    p = tmp_path / "hotspots.gpkg"
    gi.to_file(p, layer="gistar_cells")
    ch.to_file(p, layer="change")
    f = scan_file(p)
    assert any(x.rule == "small_count" and "count_before" in x.where for x in f)
    assert any(x.rule == "small_count" and "count_after" in x.where for x in f)
    assert not any("gistar_cells" in x.where for x in f)


def test_emerging_total_count_and_any_column_name(tmp_path):
    g = gpd.GeoDataFrame({"category": ["new hot spot"] * 10, "qwerty": [1, 2, 7, 8, 9, 3, 10, 11, 12, 4]},
                         geometry=cells(10), crs=27700)
    p = tmp_path / "emerging.gpkg"
    g.to_file(p, layer="emerging")
    assert any(x.rule == "small_count" and "qwerty" in x.where for x in scan_file(p))


def test_area_table_small_knife_counts_and_rates_beside_population(tmp_path):
    pop = np.array([1500, 1720, 1980, 2210, 1333, 1650, 1800, 1900])
    knife = np.array([3, 0, 12, 7, 2, 9, 11, 6])
    df = pd.DataFrame({"beat_code": [f"B{i}" for i in range(8)], "knife": knife.astype(float),
                       "population": pop, "knife_per_1000": knife / pop * 1000})
    df.loc[knife < 5, "knife"] = np.nan   # "suppressed" but the rate stayed
    df.loc[knife == 0, "knife"] = 0.0
    p = tmp_path / "areas_beat.csv"
    df.to_csv(p, index=False)
    f = scan_file(p)
    assert any(x.rule == "recoverable" and "knife_per_1000" in x.where for x in f), f
    df2 = df.assign(knife=knife)
    assert any(x.rule == "small_count" for x in scan_table(df2))


def test_percent_change_of_two_suppressed_counts():
    """A top hot spot with counts <5 and <5 and a trend of +300% (4 and 1)."""
    top = pd.DataFrame({"rank": range(1, 11), "name": [f"Place {i}" for i in range(10)],
                        "count": ["<5"] + [str(v) for v in (102, 41, 30, 28, 25, 22, 20, 19, 18)],
                        "count_last": ["<5"] + [str(v) for v in (71, 16, 30, 14, 25, 11, 40, 19, 9)],
                        "trend": ["+300%", "+44%", "+156%", "+0%", "+100%", "+0%", "+100%", "-50%", "+0%", "+100%"]})
    f = scan_table(top)
    assert any(x.rule == "recoverable" and "trend" in x.where for x in f), f


def test_difference_with_one_operand_withheld():
    before = np.array([10, 12, 3, 20, 15, 8, 9, 30], float)
    after = np.array([12, 10, 9, 25, 15, 11, 4, 28], float)
    df = pd.DataFrame({"a": np.where(before < 5, np.nan, before), "b": np.where(after < 5, np.nan, after),
                       "d": after - before})
    f = scan_table(df)
    assert sum(x.rule == "recoverable" for x in f) >= 2, f   # 3 (a) and 4 (b) come back


def test_total_row_minus_parts():
    parts = np.array([40.0, 3.0, 25.0, 30.0])
    df = pd.DataFrame({"area": ["A", "B", "C", "D", "All"], "n": list(parts) + [parts.sum()],
                       "m": [10.0, 20.0, 30.0, 40.0, 100.0]})
    df.loc[1, "n"] = np.nan
    f = scan_table(df)
    assert any(x.rule == "recoverable" and "row(s) 2" in x.where for x in f), f


def test_domestic_and_sexual_content_in_values_and_names(tmp_path):
    df = pd.DataFrame({"lsoa_code": ["A", "B"], "main_types": ["robbery 60%; Sexual offences 40%", "robbery"],
                       "offences": [10, 20]})
    assert "sensitive" in rules(scan_table(df))
    df2 = pd.DataFrame({"lsoa_code": ["A", "B"], "domestic_abuse": [10, 20]})
    assert "sensitive" in rules(scan_table(df2))


def test_manifest_with_quarantine_figures_and_input_paths(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "ok.csv").write_text("name,value\nA,0.5\n")
    (tmp_path / "manifest.json").write_text(json.dumps({
        "cycle_id": "2021-W26", "handling": "OFFICIAL",
        "inputs": {"/work/shared/real/police/2024-01-avon-and-somerset-street.csv": "ab12"},
        "totals": {"accepted": 1000, "dropped_rows": 12}, "source": "offences_extract.csv.gz",
        "outputs": {"tables/ok.csv": "ff00"}}))
    f = scan_folder(tmp_path)
    assert {"input_path"} <= rules(f), f
    (tmp_path / "manifest.json").write_text(json.dumps({"reconciliation": {"quarantined": 12}}))
    assert "quarantine" in rules(scan_folder(tmp_path))
    (tmp_path / "manifest.json").write_text(json.dumps({"outputs": {"tables/ok.csv": "ff00"}}))
    assert scan_folder(tmp_path) == []


PAGE = ("<!DOCTYPE html><html><body><div class='handling'>OFFICIAL</div>{body}"
        "<div class='handling'>OFFICIAL</div></body></html>")


def test_chart_without_data_and_chart_data_with_small_months():
    img = "<img src='data:image/png;base64,AAAA' alt='trend'>"
    assert "chart" in rules(scan_html(PAGE.format(body=img)))
    data = json.dumps([{"period": f"2021-{m:02d}-01", "value": v} for m, v in
                       zip(range(1, 13), [20, 31, 4, 0, 2, 18, 22, 25, 26, 30, 19, 21])])
    page = PAGE.format(body=img + f"<script type='application/json' class='chart-data'>{data}</script>")
    f = scan_html(page)
    assert "chart" not in rules(f) and "small_count" in rules(f), f


def _map_page(markers, polygons):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"A{i}"}, "geometry": json.loads(gpd.GeoSeries([p]).to_json())
         ["features"][0]["geometry"]} for i, p in enumerate(polygons)]}
    js = f"var g = L.geoJson({json.dumps(fc)});\n" + "".join(
        f"var m{i} = L.{kind}(\n [{lat}, {lon}],\n {{}}).addTo(map);\n" for i, (kind, lat, lon) in enumerate(markers))
    return PAGE.format(body=f"<script>{js}</script>")


def test_one_route_stop_does_not_excuse_an_offence_point():
    area = box(-2.62, 51.44, -2.58, 51.47)        # ~2.8 km x 3.3 km
    inside = ("marker", 51.455, -2.60)            # a label inside a published area
    stop = ("marker", 51.30, -2.90)                # "kind": "stop" elsewhere
    off = ("circleMarker", 51.2000123, -2.7000456)
    assert "point" not in rules(scan_html(_map_page([inside], [area])))
    page = _map_page([inside, stop, off], [area]).replace("<script>", "<script>var k = {\"kind\": \"stop\"};")
    f = [x for x in scan_html(page) if x.rule == "point"]
    assert f and "2 Leaflet marker(s)" in f[0].detail


def test_geojson_points_and_point_layers(tmp_path):
    pts = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(X0, Y0), Point(X0 + 5, Y0)], crs=27700)
    p = tmp_path / "x.gpkg"
    pts.to_file(p, layer="offences")
    assert "point" in rules(scan_file(p))
    g = tmp_path / "x.geojson"
    g.write_text(pts.to_crs(4326).to_json())
    assert "point" in rules(scan_file(g))


def test_popup_key_value_table_with_small_count_and_trend():
    frag = ("<b>1. Place</b><table><tr><th>Offences this cycle</th><td>&lt;5</td></tr>"
            "<tr><th>Last cycle</th><td>&lt;5</td></tr><tr><th>Trend</th><td>+300%</td></tr></table>")
    js = "var html_1 = $(`<div id='h'>" + frag + "</div>`)[0];"
    f = scan_html(PAGE.format(body=f"<script>{js}</script>"))
    assert "recoverable" in rules(f), f
    frag2 = frag.replace("&lt;5</td></tr><tr><th>Trend", "3</td></tr><tr><th>Trend")
    f2 = scan_html(PAGE.format(body="<script>var h = $(`<div>" + frag2 + "</div>`)[0];</script>"))
    assert "small_count" in rules(f2), f2


def test_labels_ranks_and_ids_are_not_findings():
    n = 12
    df = pd.DataFrame({"rank": range(1, n + 1), "name": [f"P{i}" for i in range(n)],
                       "class": [1, 2, 3, -1, 0, 0, 1, 2, 3, -1, 0, 0],
                       "class_label": ["hot 90%", "hot 95%", "hot 99%", "cold 90%", "none", "none"] * 2,
                       "x": np.linspace(350000, 360000, n), "count": [np.nan] * 4 + [5.0, 8, 13, 0, 0, 9, 21, 6],
                       "handling": "OFFICIAL"})
    assert scan_table(df) == []
    short = df.head(4)             # 1..4 over four rows is not a row key: it may be a count
    assert "small_count" in rules(scan_table(short[["rank", "name"]]))


def test_full_handling_label_and_unknown_files(tmp_path):
    (tmp_path / "a.csv").write_text("name,handling\nA,OFFICIAL-SENSITIVE\n")
    (tmp_path / "b.parquet").write_bytes(b"PAR1")
    (tmp_path / "c.png").write_bytes(b"\x89PNG")
    r = rules(scan_folder(tmp_path))
    assert {"label", "unreadable", "chart"} <= r

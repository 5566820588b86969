"""The offline tasking map: self-contained, escaped, and it really renders in a browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import EVIL

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def map_html(tmp_path_factory, areas, lsoa_stats, gistar_cells, kde_surface, emerging_cells,
             forecast_units, top_hotspots):
    from hotspot.crs import to_wgs84
    from hotspot.publish.maps import save_map, tasking_map
    from hotspot.publish.routes import plan_route

    lon, lat = to_wgs84(np.array([356500.0]), np.array([171500.0]))
    route = plan_route(top_hotspots.assign(expected=top_hotspots["count"]), (lat[0], lon[0]), max_walk_m=20000)
    m = tasking_map(kde=kde_surface, gistar=gistar_cells, emerging=emerging_cells, forecast=forecast_units,
                    areas=areas, lsoa_stats=lsoa_stats, top=top_hotspots, route=route, title=EVIL,
                    handling="OFFICIAL-SENSITIVE")
    path = tmp_path_factory.mktemp("map") / "map.html"
    save_map(m, path)
    return path


def test_no_external_script_or_link(map_html):
    page = map_html.read_text()
    tags = re.findall(r"<(?:script|link|img)\b[^>]*>", page, re.I)
    assert tags, "the page has no tags at all"
    assert not [t for t in tags if re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", t, re.I)]
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "code.jquery" not in page
    assert map_html.stat().st_size < 10_000_000


def test_malicious_text_is_escaped(map_html):
    page = map_html.read_text()
    assert "<img src=x" not in page
    assert "<script>window.pwned" not in page
    assert "${alert(2)}" not in page
    assert "{{7*7}}" not in page and ">49<" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_layers_and_handling_label_present(map_html):
    page = map_html.read_text()
    for name in ["KDE density", "Gi* hot and cold spots", "Emerging hot spots", "Forecast: next week",
                 "LSOA: IMD decile", "LSOA: Universal Credit rate", "LSOA: serious violence rate", "Beats",
                 "Local authorities", "Top hotspots", "Route"]:
        assert name in page, name
    assert page.count("OFFICIAL-SENSITIVE") >= 2
    assert "L.control.scale" in page and "L.Control.Search" in page and "Fullscreen" in page.replace("FullScreen", "Fullscreen")


def test_unknown_cdn_reference_is_refused():
    from hotspot.errors import InputError
    from hotspot.publish.assets import inline_assets

    with pytest.raises(InputError, match="not vendored"):
        inline_assets('<script src="https://example.org/evil.js"></script>')


def test_bad_tiles_argument():
    from hotspot.errors import ArgumentError
    from hotspot.publish.maps import tasking_map

    with pytest.raises(ArgumentError, match="tiles"):
        tasking_map(tiles="ftp://nope")


def _png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) into an array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            ch = {2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * ch)
    out = np.zeros((h, w * ch), dtype=np.int32)
    prev = np.zeros(w * ch, dtype=np.int32)
    for r in range(h):
        f, line = raw[r, 0], raw[r, 1:].astype(np.int32)
        cur = np.zeros_like(line)
        for i in range(len(line)):
            a = cur[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[i] = (line[i] + pred) & 0xFF
        out[r], prev = cur, cur
    return out.reshape(h, w, ch)


def _chromium(args: list[str], tmp: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={tmp / 'profile'}", "--virtual-time-budget=5000"]
    return subprocess.run(base + args, capture_output=True, timeout=timeout, text=False)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("HOTSPOT_REQUIRE_CHROMIUM"),
                    reason="chromium not installed (CI sets HOTSPOT_REQUIRE_CHROMIUM: then this fails)")
def test_map_loads_offline_in_chromium(map_html, tmp_path):
    res = _chromium(["--dump-dom", map_html.as_uri()], tmp_path)
    dom = res.stdout.decode("utf-8", "replace")
    assert "leaflet-container" in dom, res.stderr.decode()[-2000:]
    assert "leaflet-control-layers" in dom and "leaflet-control-scale" in dom
    assert "leaflet-image-layer" in dom  # the KDE overlay
    assert dom.count("hs-num") >= 3  # numbered markers
    assert "leaflet-control-search" in dom
    # the malicious name is text, not an element: no <img src="x"> and the script did not run
    assert '<img src="x"' not in dom and "pwned" not in dom.split("</head>")[-1].replace("window.pwned=1", "")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("HOTSPOT_REQUIRE_CHROMIUM"),
                    reason="chromium not installed (CI sets HOTSPOT_REQUIRE_CHROMIUM: then this fails)")
def test_map_screenshot_not_blank(map_html, tmp_path):
    shot = tmp_path / "shot.png"
    _chromium([f"--screenshot={shot}", "--window-size=400,300", map_html.as_uri()], tmp_path)
    px = _png_pixels(shot.read_bytes())[..., :3]
    assert px.shape[0] > 100 and px.std() > 10
    assert len(np.unique(px.reshape(-1, 3), axis=0)) > 20


def test_many_cells_are_merged_by_class(gistar_cells):
    from hotspot.publish.maps import gistar_layer

    layer, legend = gistar_layer(gistar_cells, max_cells=10)  # the optional all-cells layer
    feats = layer.data["features"]
    n_classes = (gistar_cells["class"] != 0).groupby(gistar_cells["class"]).any().sum()
    assert len(feats) == n_classes and "merged by class" in legend


def test_embedded_boundaries_map(tmp_path):
    """On the embedded data set (skipped when data/boundaries.gpkg is missing)."""
    from hotspot.paths import data_dir

    if not (data_dir() / "boundaries.gpkg").exists():
        pytest.skip("embedded data/boundaries.gpkg not generated yet")
    from hotspot.geography.areas import embedded_areas
    from hotspot.publish.maps import save_map, tasking_map

    areas = embedded_areas()
    out = save_map(tasking_map(areas=areas, title="Avon and Somerset"), tmp_path / "force.html")
    page = out.read_text()
    assert out.stat().st_size < 10_000_000
    assert str(areas.beat["beat_name"].iloc[0]).split()[0] in page
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=['\"]?https?:", page)


# An overlap checker written here, independent of the page's own decluttering script: after the
# map settles it measures every visible label and numbered marker in the browser and writes the
# number of visible boxes, beat labels and overlapping pairs into the DOM.
_CHECKER = """<script>setTimeout(function(){
if(window.hsDeclutter){window.hsDeclutter();}  /* the state the page settles in once its events ran */
function vis(e){for(var n=e;n&&n!==document.body;n=n.parentNode){var s=getComputedStyle(n);
 if(s.visibility==='hidden'||s.display==='none'){return false;}}return true;}
var els=[].slice.call(document.querySelectorAll('.hs-label,.hs-num,.hs-route-stop')).filter(function(e){
 return vis(e)&&!e.closest('.hs-legend');}),bx=els.map(function(e){  /* the legend's sample marker is not on the map */
 return e.getBoundingClientRect();}),ov=0,beats=0;
els.forEach(function(e){if(e.getAttribute('data-minzoom')==='12'){beats++;}});
for(var i=0;i<bx.length;i++){for(var j=i+1;j<bx.length;j++){var a=bx[i],b=bx[j];
 if(a.left<b.right&&b.left<a.right&&a.top<b.bottom&&b.top<a.bottom){ov++;}}}
var stops=els.filter(function(e){return e.classList.contains('hs-route-stop');}).length;
var d=document.createElement('div');d.id='overlap-report';d.textContent='visible='+els.length+' beats='+beats+' overlaps='+ov+' stops='+stops+' zoom='+(window.hsMap?window.hsMap.getZoom():-1);
document.body.appendChild(d);},3000);</script>"""


def _report(dom: str) -> dict[str, int]:
    m = re.search(r"visible=(\d+) beats=(\d+) overlaps=(\d+) stops=(\d+) zoom=(-?\d+)", dom)
    assert m, "the overlap checker did not run"
    return dict(zip(("visible", "beats", "overlaps", "stops", "zoom"), map(int, m.groups())))


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("HOTSPOT_REQUIRE_CHROMIUM"),
                    reason="chromium not installed (CI sets HOTSPOT_REQUIRE_CHROMIUM: then this fails)")
def test_map_renders_at_force_and_city_zoom_without_collisions(tmp_path):
    """Embedded force boundaries, 185 beats: labels by zoom, never overlapping, at both zooms."""
    from hotspot.paths import data_dir

    if not (data_dir() / "boundaries.gpkg").exists():
        pytest.skip("embedded data/boundaries.gpkg not generated yet")
    import pandas as pd

    from hotspot.crs import to_wgs84
    from hotspot.geography.areas import embedded_areas
    from hotspot.publish.maps import save_map, tasking_map

    areas = embedded_areas()
    # ten numbered hot spots in central Bristol, 150-400 m apart: they collide at force zoom
    xs = 358_600 + np.array([0, 150, 300, 450, 0, 150, 300, 2000, 2300, 400])
    ys = 173_000 + np.array([0, 0, 0, 0, 200, 200, 200, 1000, 1100, 400])
    top = pd.DataFrame({"rank": range(1, 11), "name": [f"place {i}" for i in range(1, 11)],
                        "count": range(30, 20, -1), "x": xs, "y": ys})
    # a youth-work loop whose stops sit on and beside the hot spots (100-200 m apart)
    from hotspot.publish.routes import plan_route

    sx = 358_600 + np.array([0, 100, 300, 600, 900, 1200])
    sy = 173_000 + np.array([0, 100, 200, 200, 300, 300])
    slon, slat = to_wgs84(sx.astype(float), sy.astype(float))
    cand = pd.DataFrame({"x": sx, "y": sy, "expected": np.arange(6, 0, -1.0), "name": list("abcdef")})
    route = plan_route(cand, (float(slat[0]), float(slon[0])), max_walk_m=10_000, stops=6)
    page = save_map(tasking_map(areas=areas, top=top, route=route, title="force"), tmp_path / "m.html").read_text()
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", _CHECKER + "</body>"))
    lon, lat = to_wgs84(np.array([358_900.0]), np.array([173_000.0]))
    reports = {}
    for view, frag in (("force", ""), ("city", f"#14/{lat[0]:.5f}/{lon[0]:.5f}"),
                       ("street", f"#16/{lat[0]:.5f}/{lon[0]:.5f}")):
        res = _chromium(["--window-size=1400,1000", "--dump-dom", checked.as_uri() + frag], tmp_path)
        reports[view] = _report(res.stdout.decode("utf-8", "replace"))
        shot = tmp_path / f"{view}.png"
        _chromium([f"--screenshot={shot}", "--window-size=1400,1000", checked.as_uri() + frag], tmp_path)
        assert shot.stat().st_size > 10_000
    force, city = reports["force"], reports["city"]
    # a link's view holds: the force fit is not animated, so it cannot end later and undo the link
    assert city["zoom"] == 14 and reports["street"]["zoom"] == 16 and force["zoom"] < 12, reports
    assert reports["street"]["overlaps"] == 0, reports
    assert force["overlaps"] == 0 and city["overlaps"] == 0, reports
    assert force["beats"] == 0 < city["beats"], reports   # beat names only from city zoom
    assert force["stops"] == 0 < city["stops"], reports   # route stops from city zoom, folded when close
    assert force["visible"] >= 2 and city["visible"] > force["visible"], reports


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("HOTSPOT_REQUIRE_CHROMIUM"),
                    reason="chromium not installed (CI sets HOTSPOT_REQUIRE_CHROMIUM: then this fails)")
def test_real_data_map_at_force_and_city_zoom(real, tmp_path):
    """Real police.uk violence (five months of 2025) on the ONS boundaries: named hot spots, a
    map without collisions at force and at city zoom, no unjustified empty 99% cell."""
    import glob

    import pandas as pd
    from tests.realdata import BOUNDARIES_GPKG, POLICE, REAL

    from hotspot.crs import to_bng, to_wgs84
    from hotspot.geography.areas import load_areas
    from hotspot.grid.binning import count_points
    from hotspot.grid.spec import GridSpec
    from hotspot.hotspots.gistar import gistar, to_cells
    from hotspot.hotspots.places import micro_places
    from hotspot.publish.maps import save_map, tasking_map

    areas = load_areas(BOUNDARIES_GPKG, lsoa_layer="lsoa21", beat_layer="ward25",
                       la_layer="lad25_dissolved_from_lsoa21", force_layer=None,
                       mappings={"beat": {"beat_code": "WD25CD", "beat_name": "WD25NM"}})
    rows = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude", "Crime type"])
                      for f in sorted(glob.glob(str(POLICE / "*.csv.gz")))])
    rows = rows[rows["Crime type"].isin(["Violence and sexual offences", "Robbery", "Possession of weapons"])]
    rows = rows.dropna(subset=["Longitude", "Latitude"])
    x, y = to_bng(rows["Longitude"].to_numpy(float), rows["Latitude"].to_numpy(float))
    spec = GridSpec.from_bounds(areas.force, 250.0)
    counts = count_points(x, y, spec, mask=areas.force)
    ds = gistar(counts, 750.0)
    h99 = ds["gi_class"].values == 3
    # a 99% cell holding no offence is justified by its neighbourhood (>= 3 offences, above expected)
    empty = h99 & (ds["count"].values == 0)
    assert (ds["observed"].values[empty] >= 3).all()
    assert (ds["observed"].values[empty] > ds["expected"].values[empty]).all()
    places = micro_places(x, y, period_days=151, top=10)  # Jan-Jun 2025 without May
    ref = pd.read_csv(REAL.parent / "reference" / "hotspot_places.csv")
    rx, ry = to_bng(ref["lon"].to_numpy(float), ref["lat"].to_numpy(float))
    d = np.hypot(places["x"].to_numpy()[:, None] - rx, places["y"].to_numpy()[:, None] - ry).min(axis=1)
    assert (d[:5] <= 1_000).all() and (d <= 1_100).sum() >= 8, d
    places["name"] = ref["place"].to_numpy()[
        np.hypot(places["x"].to_numpy()[:, None] - rx, places["y"].to_numpy()[:, None] - ry).argmin(axis=1)]
    m = tasking_map(gistar=to_cells(ds), areas=areas, top=places, title="real")
    page = save_map(m, tmp_path / "real.html").read_text()
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", _CHECKER + "</body>"))
    lon, lat = to_wgs84(np.array([359_000.0]), np.array([173_300.0]))  # Bristol centre
    reports = {}
    for view, frag in (("force", ""), ("city", f"#13/{lat[0]:.5f}/{lon[0]:.5f}")):
        res = _chromium(["--window-size=1400,1000", "--dump-dom", checked.as_uri() + frag], tmp_path,
                        timeout=180)
        reports[view] = _report(res.stdout.decode("utf-8", "replace"))
        shot = tmp_path / f"real_{view}.png"
        _chromium([f"--screenshot={shot}", "--window-size=1400,1000", checked.as_uri() + frag], tmp_path,
                  timeout=180)
        px = _png_pixels(shot.read_bytes())[..., :3]
        assert px.std() > 10
    assert reports["force"]["overlaps"] == 0 and reports["city"]["overlaps"] == 0, reports
    assert reports["force"]["beats"] == 0 < reports["city"]["beats"], reports

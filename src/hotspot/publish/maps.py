"""The offline tasking map: one self-contained Folium/Leaflet HTML page.

Every input is optional; each one given becomes a layer in the layer control with a legend:
KDE surface (image overlay), Gi* cells by confidence class, emerging hot spot categories, next
week's forecast, LSOA choropleths (IMD decile, Universal Credit rate, serious-violence rate), beat
and local-authority outlines with labels, numbered top-N hotspot markers with popups, and a walking
route. Scale bar, full-screen button and a search box (beat or LSOA name) are added. Data stay in
EPSG:27700 until this module reprojects them to WGS84 for display. All text that reaches the page
(popups, tooltips, legends, layer names, GeoJSON properties) goes through
:func:`hotspot.publish.assets.esc`. :func:`save_map` inlines the vendored JavaScript and CSS so
the file opens with no internet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import branca.colormap as bcm
import folium
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import rasterio.warp
import shapely
from affine import Affine
from branca.element import MacroElement
from folium import plugins
from jinja2 import Template
from pyproj import Transformer

from hotspot.crs import to_wgs84
from hotspot.errors import ArgumentError, InputError
from hotspot.io import write_text
from hotspot.publish.assets import esc, external_refs, inline_assets
from hotspot.publish.routes import route_layer
from hotspot.schema import BNG, GI_CLASSES, HANDLING_FULL, WGS84

#: Gi* class colours (ArcGIS convention: reds hot, blues cold; deeper = more confident).
GI_COLOURS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}

#: Emerging hot spot category colours (hot reds/oranges, cold blues).
EMERGING_COLOURS = {
    "new hot spot": "#67000d", "consecutive hot spot": "#a50f15", "intensifying hot spot": "#cb181d",
    "persistent hot spot": "#ef3b2c", "diminishing hot spot": "#fb6a4a", "sporadic hot spot": "#fc9272",
    "oscillating hot spot": "#fcbba1", "historical hot spot": "#fee0d2",
    "new cold spot": "#08306b", "consecutive cold spot": "#08519c", "intensifying cold spot": "#2171b5",
    "persistent cold spot": "#4292c6", "diminishing cold spot": "#6baed6", "sporadic cold spot": "#9ecae1",
    "oscillating cold spot": "#c6dbef", "historical cold spot": "#deebf7",
}

_LEGEND_CSS = """
.hs-legend{position:absolute;z-index:1000;bottom:28px;right:10px;background:rgba(255,255,255,.92);
 padding:6px 9px;font:12px/1.35 sans-serif;max-height:45vh;overflow:auto;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.4)}
.hs-legend h4{margin:4px 0 2px;font-size:12px}
.hs-legend i{display:inline-block;width:14px;height:10px;margin-right:5px;border:1px solid #777}
.hs-legend .grad{width:140px;height:10px;border:1px solid #777}
.hs-handling{position:absolute;z-index:1001;left:50%;transform:translateX(-50%);background:#fff;
 color:#a00;font:bold 13px sans-serif;padding:1px 8px;border:1px solid #a00}
.hs-handling.top{top:4px}.hs-handling.bottom{bottom:4px}
.hs-title{position:absolute;z-index:1000;top:28px;left:50%;transform:translateX(-50%);background:rgba(255,255,255,.9);
 font:bold 14px sans-serif;padding:2px 8px;border-radius:3px}
.hs-num{background:#fff;border:2px solid #b2182b;border-radius:50%;width:22px;height:22px;
 line-height:19px;text-align:center;font:bold 12px sans-serif;color:#b2182b}
.hs-route-stop{background:#6a3d9a;color:#fff;border-radius:50%;width:22px;height:22px;
 line-height:22px;text-align:center;font:bold 12px sans-serif}
.hs-num.merged,.hs-route-stop.merged{width:30px;margin-left:-4px;border-radius:11px;white-space:nowrap;font-size:11px}
.hs-label{font:11px sans-serif;color:#333;white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff}
.hs-label.la{font-weight:bold;font-size:13px}
.hs-lbl-box{display:flex;justify-content:center;align-items:center;width:100%;height:100%}
"""

#: Zoom level from which each kind of boundary label may appear (Leaflet zoom; 9-10 = a force,
#: 12-13 = a city, 15 = streets). Labels still only appear where they collide with nothing.
LABEL_MIN_ZOOM = {"la": 0, "beat": 12}
#: Zoom level from which route stops are drawn (below it the loop's line alone shows the route).
ROUTE_STOP_MIN_ZOOM = 12

# Labels that appear by zoom level and never collide. On every zoom or pan the page walks the
# markers and labels in priority order (numbered hot spots first, in rank order; then route stops,
# local authority names, beat names) and shows each one only when the zoom allows it and its box
# does not overlap a box already shown. A numbered hot spot marker that would overlap an earlier
# one is folded into it (shown "1+2", the ranks listed in its tooltip), so markers never overlap and
# no hot spot disappears; zooming in separates them again. Route stops come next, from
# ROUTE_STOP_MIN_ZOOM: a stop that would overlap a hot spot marker is hidden and named in that
# marker's tooltip, one that would overlap an earlier stop is folded into it ("2+1").
_DECLUTTER_JS = """(function(){var m=%(map)s;
function box(e,px){var r=e.getBoundingClientRect(),p=px||2;return [r.left-p,r.top-2,r.right+p,r.bottom+2];}
function hit(a,b){return a[0]<b[2]&&b[0]<a[2]&&a[1]<b[3]&&b[1]<a[3];}
function icon(e){while(e&&!(e.classList&&e.classList.contains('leaflet-marker-icon'))){e=e.parentNode;}return e;}
function run(){var z=m.getZoom(),taken=[];
 var nums=[].slice.call(document.querySelectorAll('.hs-num[data-rank]'));
 nums.sort(function(a,b){return (+a.getAttribute('data-rank'))-(+b.getAttribute('data-rank'));});
 nums.forEach(function(e){e.textContent=e.getAttribute('data-rank');e.classList.remove('merged');
  e.removeAttribute('title');var ic=icon(e);if(ic){ic.style.visibility='';}});
 var shown=[];
 nums.forEach(function(e){var ic=icon(e);if(!ic||!ic.offsetParent){return;}var b=box(e,7),host=null;
  for(var i=0;i<shown.length;i++){if(hit(b,shown[i][1])){host=shown[i];break;}}
  if(host){ic.style.visibility='hidden';host[2].push(e.getAttribute('data-rank'));
   host[0].textContent=host[2][0]+'+'+(host[2].length-1);host[0].classList.add('merged');
   host[0].setAttribute('title','hot spots '+host[2].join(', ')+': zoom in to separate');}
  else{shown.push([e,b,[e.getAttribute('data-rank')]]);}});
 shown.forEach(function(s){taken.push(box(s[0],3));});
 var stops=[].slice.call(document.querySelectorAll('.hs-route-stop[data-order]')),sshown=[];
 stops.sort(function(a,b){return (+a.getAttribute('data-order'))-(+b.getAttribute('data-order'));});
 stops.forEach(function(e){e.textContent=e.getAttribute('data-order');e.classList.remove('merged');
  e.removeAttribute('title');var ic=icon(e);if(ic){ic.style.visibility='';}});
 stops.forEach(function(e){var ic=icon(e);if(!ic||!ic.offsetParent){return;}var o=e.getAttribute('data-order');
  if(z<%(stopzoom)d){ic.style.visibility='hidden';return;}var b=box(e,3),host=null,hot=null,i;
  for(i=0;i<sshown.length;i++){if(hit(b,sshown[i][1])){host=sshown[i];break;}}
  if(!host){for(i=0;i<shown.length;i++){if(hit(b,shown[i][1])){hot=shown[i];break;}}}
  if(host){ic.style.visibility='hidden';host[2].push(o);host[0].textContent=host[2][0]+'+'+(host[2].length-1);
   host[0].classList.add('merged');host[0].setAttribute('title','route stops '+host[2].join(', ')+': zoom in to separate');}
  else if(hot){ic.style.visibility='hidden';hot[0].setAttribute('title',(hot[0].getAttribute('title')||
   ('hot spot '+hot[2].join(', ')))+'; route stop '+o+' here');}
  else{sshown.push([e,b,[o]]);taken.push(b);}});
 [].slice.call(document.querySelectorAll('.hs-legend,.leaflet-control-layers,.hs-title')).forEach(function(e){
  if(e.offsetParent){taken.push(box(e,0));}});  /* no label hidden under the legend or the panels */
 var labs=[].slice.call(document.querySelectorAll('.hs-label[data-minzoom]'));
 labs.sort(function(a,b){return (+a.getAttribute('data-prio'))-(+b.getAttribute('data-prio'));});
 labs.forEach(function(e){var ic=icon(e);if(!ic){return;}ic.style.visibility='hidden';});
 labs.forEach(function(e){var ic=icon(e);if(!ic||!ic.offsetParent){return;}
  if(z<+e.getAttribute('data-minzoom')){return;}var b=box(e);
  for(var i=0;i<taken.length;i++){if(hit(b,taken[i])){return;}}
  ic.style.visibility='';taken.push(b);});}
window.hsDeclutter=run;
m.on('zoomend moveend overlayadd overlayremove layeradd',function(){window.setTimeout(run,0);});
m.whenReady(function(){window.setTimeout(run,0);});})();"""

# A view in the address (``map.html#13/51.4545/-2.5879``: zoom/lat/lon) replaces the fitted
# force-wide view, so a briefing can link straight to a city or a hot spot.
_HASH_VIEW_JS = """(function(){var m=%(map)s;function go(){var p=(location.hash||'').slice(1).split('/');
if(p.length===3&&p.every(function(v){return v!==''&&isFinite(+v);})){m.setView([+p[1],+p[2]],+p[0],{animate:false});}}
go();window.addEventListener('hashchange',go);window.hsMap=m;})();"""


def _script_element(js: str):
    """A Leaflet page element that runs ``js`` after the map exists."""

    el = MacroElement()
    el._template = Template("{% macro script(this, kwargs) %}{% raw %}" + js + "{% endraw %}{% endmacro %}")
    return el


# ---- helpers -----------------------------------------------------------------------------------

def _to_wgs84(gdf, tolerance: float = 0.0):
    """Reproject a BNG layer for display; optional simplification (metres) and a 1e-5 degree grid."""

    if gdf.crs is None:
        raise InputError("layer has no CRS; it must be EPSG:27700")
    g = gdf.to_crs(BNG)
    if tolerance > 0:
        g = g.set_geometry(g.geometry.simplify(tolerance, preserve_topology=True))
    g = g.to_crs(WGS84)
    return g.set_geometry(shapely.set_precision(g.geometry.values, 1e-5))  # ~1 m


def _clean_props(gdf, columns: Sequence[str], decimals: int = 3):
    """Keep ``columns``; escape text, round numbers, NaN -> None (JSON-safe)."""
    out = gdf[[c for c in columns if c in gdf.columns] + [gdf.geometry.name]].copy()
    for c in out.columns:
        if c == gdf.geometry.name:
            continue
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype(bool)
        elif pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype(float).round(decimals).astype(object).where(s.notna(), None)
        else:
            out[c] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else esc(v))
    return out


def _tooltip(fields: Sequence[str], aliases: Sequence[str]):

    return folium.GeoJsonTooltip(fields=list(fields), aliases=[esc(a) for a in aliases], sticky=True)


def _swatches(items: Sequence[tuple[str, str]]) -> str:
    return "<br>".join(f"<i style='background:{c}'></i>{esc(label)}" for label, c in items)


def _gradient(cmap, lo: float, hi: float, fmt: str = "{:.3g}") -> str:
    stops = ",".join(cmap.rgb_hex_str(lo + (hi - lo) * t / 10) for t in range(11))
    return (f"<div class='grad' style='background:linear-gradient(to right,{stops})'></div>"
            f"<span>{esc(fmt.format(lo))}</span> &ndash; <span>{esc(fmt.format(hi))}</span>")


class _Legend:
    """Collects one legend section per layer; sections follow the layer's visibility."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, str, bool]] = []

    def add(self, layer_name: str, body_html: str, show: bool) -> None:
        self.sections.append((layer_name, body_html, show))

    def element(self, map_name: str, prefix_html: str = ""):

        parts = []
        for i, (name, body, show) in enumerate(self.sections):
            style = "" if show else " style='display:none'"
            parts.append(f"<div class='hs-leg' id='hs-leg-{i}' data-layer='{esc(name)}'{style}>"
                         f"<h4>{esc(name)}</h4>{body}</div>")
        html_ = prefix_html + "<div class='hs-legend' id='hs-legend'>" + "".join(parts) + "</div>"
        el = MacroElement()
        el._template = Template(
            "{% macro header(this, kwargs) %}<style>" + _LEGEND_CSS + "</style>{% endmacro %}"
            "{% macro html(this, kwargs) %}" + html_
            + "{% endmacro %}"
            "{% macro script(this, kwargs) %}(function(){var m=" + map_name + ";"
            "function t(e,on){var n=document.createElement('div');n.innerHTML=e.name;var k=n.textContent;"
            "document.querySelectorAll('.hs-leg').forEach(function(d){var x=document.createElement('div');"
            "x.innerHTML=d.getAttribute('data-layer');if(x.textContent===k){d.style.display=on?'':'none';}});}"
            "m.on('overlayadd',function(e){t(e,true)});m.on('overlayremove',function(e){t(e,false)});})();"
            "{% endmacro %}")
        return el


def _banner(text: str, title: str | None) -> str:
    h = esc(text)
    t = f"<div class='hs-title'>{esc(title)}</div>" if title else ""
    return f"<div class='hs-handling top'>{h}</div><div class='hs-handling bottom'>{h}</div>{t}"


# ---- layers ------------------------------------------------------------------------------------

def kde_layer(kde, *, name: str = "KDE density", opacity: float = 0.65, show: bool = True,
              cmap_name: str = "YlOrRd"):
    """Image overlay of a KDE surface (BNG grid warped to Web Mercator) and its legend.

    Returns ``(layer, legend_html)``.
    """

    if not {"y", "x"} <= set(kde.dims):
        raise ArgumentError("kde", f"dims {kde.dims}", "a DataArray with dims ('y', 'x') in EPSG:27700")
    vals = np.asarray(kde.transpose("y", "x").values, dtype="float64")
    x, y = np.asarray(kde["x"]), np.asarray(kde["y"])
    if y[0] < y[-1]:
        vals, y = vals[::-1], y[::-1]
    cell = float(kde.attrs.get("cell", abs(x[1] - x[0]) if len(x) > 1 else 1.0))
    src_t = Affine(cell, 0.0, x[0] - cell / 2, 0.0, -cell, y[0] + cell / 2)
    left, bottom, right, top = x[0] - cell / 2, y[-1] - cell / 2, x[-1] + cell / 2, y[0] + cell / 2
    dst_t, w, h = rasterio.warp.calculate_default_transform(BNG, "EPSG:3857", vals.shape[1], vals.shape[0],
                                                            left, bottom, right, top)
    dst = np.full((h, w), np.nan)
    rasterio.warp.reproject(vals, dst, src_transform=src_t, src_crs=BNG, dst_transform=dst_t,
                            dst_crs="EPSG:3857", src_nodata=np.nan, dst_nodata=np.nan,
                            resampling=rasterio.warp.Resampling.bilinear)
    finite = dst[np.isfinite(dst)]
    hi = float(np.nanmax(finite)) if finite.size and np.nanmax(finite) > 0 else 1.0
    norm = np.clip(np.nan_to_num(dst, nan=0.0) / hi, 0, 1)
    rgba = matplotlib.colormaps[cmap_name](norm)
    rgba[..., 3] = np.where(np.isfinite(dst) & (dst > hi * 0.02), opacity, 0.0)

    tr = Transformer.from_crs("EPSG:3857", WGS84, always_xy=True)
    lon0, lat0 = tr.transform(dst_t.c, dst_t.f + dst_t.e * h)
    lon1, lat1 = tr.transform(dst_t.c + dst_t.a * w, dst_t.f)
    layer = folium.raster_layers.ImageOverlay(image=(rgba * 255).astype("uint8"),
                                              bounds=[[lat0, lon0], [lat1, lon1]], origin="upper",
                                              name=esc(name), show=show, pixelated=False)
    cm = bcm.LinearColormap([matplotlib.colors.to_hex(matplotlib.colormaps[cmap_name](t))
                             for t in np.linspace(0, 1, 9)], vmin=0, vmax=hi)
    units = kde.attrs.get("units", "")
    legend = _gradient(cm, 0.0, hi) + (f"<br>{esc(units)}" if units else "")
    if "bandwidth" in kde.attrs:
        legend += f"<br>bandwidth {esc(round(float(kde.attrs['bandwidth'])))} m"
    return layer, legend


def gistar_clusters(cells, *, min_class: int = 2, top: int | None = 25):
    """Significant Gi* cells merged into connected clusters, ranked by the offences they hold.

    Parameters
    ----------
    cells : GeoDataFrame
        Gi* cells with ``class`` and ``count`` (from :func:`hotspot.hotspots.gistar.to_cells`).
    min_class : int
        Smallest absolute class in a cluster (2 = 95%).
    top : int or None
        Keep the ``top`` hot clusters by offences (cold clusters are all kept).

    Returns
    -------
    GeoDataFrame
        ``kind`` ("hot"/"cold"), ``rank`` (1 = most offences, per kind), ``offences``, ``cells``,
        ``best_class`` (the most confident class inside), polygons in the cells' CRS.
    """

    c = cells[cells["class"].fillna(0).astype(int).abs() >= int(min_class)].copy()
    cols = ["kind", "rank", "offences", "cells", "best_class", "geometry"]
    if c.empty:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=cells.crs)
    c["kind"] = np.where(c["class"] > 0, "hot", "cold")
    parts = []
    for kind, g in c.groupby("kind"):
        merged = gpd.GeoDataFrame(geometry=[g.geometry.buffer(0.01).union_all()], crs=cells.crs).explode(
            index_parts=False).reset_index(drop=True)
        j = gpd.sjoin(g[["count", "class", "geometry"]].set_geometry(g.geometry.representative_point()),
                      merged, predicate="within")
        agg = j.groupby("index_right").agg(offences=("count", "sum"), cells=("count", "size"),
                                          best_class=("class", lambda v: int(v.abs().max() * np.sign(v.iloc[0]))))
        merged = merged.join(agg).dropna(subset=["offences"])
        merged["kind"] = kind
        merged = merged.sort_values(["offences", "cells"], ascending=False).reset_index(drop=True)
        merged["rank"] = np.arange(1, len(merged) + 1)
        if kind == "hot" and top is not None:
            merged = merged.head(int(top))
        parts.append(merged)
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=cells.crs)
    out["offences"] = out["offences"].astype(float)
    out["cells"] = out["cells"].astype(int)
    return out[cols]


def gistar_cluster_layer(cells, *, name: str = "Gi* hot and cold spots", show: bool = True,
                         min_class: int = 2, top: int = 25, cold: bool = False):
    """Significance as outlines: the top hot spot clusters (cold ones with ``cold``), not a blanket.

    Cold spots (less violence than the surroundings predict) are not a tasking target; they stay
    in the optional all-cells layer unless ``cold=True``.

    Each cluster is the union of touching cells significant at ``min_class`` or more (95%),
    outlined (hot: red, cold: dashed blue) with a faint fill and a tooltip of its offences.
    Returns ``(layer, legend_html)``.
    """

    cl = gistar_clusters(cells, min_class=min_class, top=top)
    if not cold and len(cl):
        cl = cl[cl["kind"] == "hot"]
    fg = folium.FeatureGroup(name=esc(name), show=show)
    if len(cl):
        cl = cl.copy()
        cl["_label"] = [f"{'Hot' if k == 'hot' else 'Cold'} spot cluster {r}: {o:g} offences in {c} cells"
                        for k, r, o, c in zip(cl["kind"], cl["rank"], cl["offences"], cl["cells"])]
        g = _clean_props(_to_wgs84(cl), ["kind", "_label", "offences"])
        folium.GeoJson(
            g.to_json(),
            style_function=lambda f: ({"color": GI_COLOURS[3], "weight": 2.5, "fillColor": GI_COLOURS[3],
                                       "fillOpacity": 0.15} if f["properties"]["kind"] == "hot" else
                                      {"color": GI_COLOURS[-3], "weight": 2, "dashArray": "5,4",
                                       "fillColor": GI_COLOURS[-3], "fillOpacity": 0.1}),
            tooltip=_tooltip(["_label"], ["Cluster"])).add_to(fg)
    n_hot = int((cl["kind"] == "hot").sum()) if len(cl) else 0
    legend = (f"<i style='background:none;border:2px solid {GI_COLOURS[3]}'></i>top {n_hot} hot spot clusters "
              f"({GI_CLASSES[min_class].split()[-1]} or more, FDR adjusted)")
    if cold:
        legend += f"<br><i style='background:none;border:2px dashed {GI_COLOURS[-3]}'></i>cold spot clusters"
    return fg, legend


def gistar_layer(cells, *, name: str = "Gi* cells (all significant)", show: bool = False, max_cells: int = 12000):
    """Gi* cells coloured by confidence class (non-significant cells left out).

    Above ``max_cells`` significant cells the cells are merged by class (tooltips then show the
    class only) so a force-wide map stays small enough to open on a patrol tablet.
    """

    c = cells[cells["class"].fillna(0).astype(int) != 0]
    props = ["class", "class_label", "count", "z", "p_adjusted"]
    merged = len(c) > max_cells
    if merged:
        c = c[["class", "geometry"]].dissolve("class").reset_index()
        c["class_label"] = c["class"].map(GI_CLASSES)
        props = ["class", "class_label"]
    g = _clean_props(_to_wgs84(c), props, decimals=2)
    layer = folium.GeoJson(
        g.to_json(), name=esc(name), show=show,
        style_function=lambda f: {"fillColor": GI_COLOURS.get(int(f["properties"]["class"] or 0), "#ccc"),
                                  "color": GI_COLOURS.get(int(f["properties"]["class"] or 0), "#ccc"),
                                  "weight": 0.5, "fillOpacity": 0.6},
        tooltip=_tooltip([p for p in props[1:] if p in g.columns],
                         [{"class_label": "Class", "count": "Offences", "z": "z",
                           "p_adjusted": "p (FDR adjusted)"}[p] for p in props[1:] if p in g.columns]))
    legend = _swatches([(GI_CLASSES[k], GI_COLOURS[k]) for k in (3, 2, 1, -1, -2, -3)])
    if merged:
        legend += f"<br>{len(cells[cells['class'].fillna(0).astype(int) != 0]):,} cells merged by class"
    return layer, legend


def emerging_layer(emerging, *, name: str = "Emerging hot spots", show: bool = False):
    """Emerging hot spot categories (cells with no pattern left out)."""

    e = emerging[emerging["category"].astype(str) != "no pattern detected"].copy()
    e["category"] = e["category"].astype(str)
    e["_colour"] = e["category"].map(EMERGING_COLOURS).fillna("#999999")
    g = _clean_props(_to_wgs84(e), ["category", "_colour", "trend_z", "trend_p"])
    layer = folium.GeoJson(
        g.to_json(), name=esc(name), show=show,
        style_function=lambda f: {"fillColor": f["properties"]["_colour"], "color": f["properties"]["_colour"],
                                  "weight": 0.5, "fillOpacity": 0.6},
        tooltip=_tooltip(["category"], ["Category"]))
    present = [c for c in EMERGING_COLOURS if c in set(e["category"])]
    return layer, _swatches([(c, EMERGING_COLOURS[c]) for c in present]) or "none"


def choropleth_layer(gdf, column: str, *, name: str, label: str, fields: Sequence[str] = (),
                     aliases: Sequence[str] = (), colours: str = "YlOrRd", reverse: bool = False,
                     show: bool = False, tolerance: float = 10.0, fmt: str = "{:.3g}"):
    """A continuous choropleth of ``column`` with a branca colour scale and a gradient legend."""

    vals = pd.to_numeric(gdf[column], errors="coerce")
    lo, hi = (float(vals.min()), float(vals.max())) if vals.notna().any() else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    ts = np.linspace(1, 0, 9) if reverse else np.linspace(0, 1, 9)
    cm = bcm.LinearColormap([matplotlib.colors.to_hex(matplotlib.colormaps[colours](t)) for t in ts],
                            vmin=lo, vmax=hi)
    g = gdf.copy()
    g["_colour"] = [cm.rgb_hex_str(v) if pd.notna(v) else "#00000000" for v in vals]
    g = _clean_props(_to_wgs84(g, tolerance), ["_colour", column, *fields])
    layer = folium.GeoJson(
        g.to_json(), name=esc(name), show=show,
        style_function=lambda f: {"fillColor": f["properties"]["_colour"], "color": "#555",
                                  "weight": 0.3, "fillOpacity": 0.6},
        tooltip=_tooltip([*fields, column], [*aliases, label]))
    return layer, _gradient(cm, lo, hi, fmt)


def outline_layer(gdf, code: str, label_col: str, *, name: str, colour: str, weight: float,
                  css: str = "", show: bool = True, tolerance: float = 10.0, min_zoom: int = 0,
                  priority: int = 10):
    """Boundary outlines with a name label at each area's representative point.

    Labels carry ``min_zoom`` and ``priority``: the page shows a label only from that zoom and
    only where it overlaps no marker or higher-priority label (see ``_DECLUTTER_JS``); larger
    areas are labelled first within a layer.
    """

    fg = folium.FeatureGroup(name=esc(name), show=show)
    g = gdf.copy()
    g["_label"] = g[label_col] if label_col in g.columns else g[code]
    gw = _clean_props(_to_wgs84(g, tolerance), ["_label", code])
    folium.GeoJson(gw.to_json(), style_function=lambda f: {"color": colour, "weight": weight, "fill": False},
                   tooltip=_tooltip(["_label", code], ["Name", "Code"])).add_to(fg)
    g = g.assign(_area=g.geometry.area).sort_values("_area", ascending=False)
    pts = _to_wgs84(g.set_geometry(g.geometry.representative_point()))
    for k, (lab, pt) in enumerate(zip(g["_label"], pts.geometry)):
        html_ = (f"<div class='hs-lbl-box'><span class='hs-label {css}' data-minzoom='{int(min_zoom)}' "
                 f"data-prio='{int(priority) * 100000 + k}'>{esc(lab)}</span></div>")
        folium.Marker((pt.y, pt.x), icon=folium.DivIcon(html=html_, icon_size=(150, 16),
                                                        icon_anchor=(75, 8))).add_to(fg)
    return fg, f"<i style='background:none;border:{max(weight, 1):.0f}px solid {colour}'></i>{esc(name)}"


def top_layer(top: pd.DataFrame, *, name: str = "Top hotspots", show: bool = True):
    """Numbered markers for the top-N hotspots with escaped popups."""


    fg = folium.FeatureGroup(name=esc(name), show=show)
    lon, lat = to_wgs84(top["x"].to_numpy(float), top["y"].to_numpy(float))
    for (_, r), lo, la in zip(top.iterrows(), lon, lat):
        rank = int(r.get("rank", 0))

        def row(label, key, fmt="{}"):
            v = r.get(key)  # noqa: B023 - called within this iteration only
            th = f"<tr><th style='text-align:left'>{esc(label)}</th>"
            if v is None or (isinstance(v, float) and np.isnan(v)):
                txt = r.get(f"{key}_text")  # noqa: B023 - suppressed by hotspot.publish.redact
                return f"{th}<td>{esc(txt)}</td></tr>" if isinstance(txt, str) and txt else ""
            attr = f" data-count='{int(v)}'" if key in ("count", "count_last") else ""
            return f"{th}<td{attr}>{esc(fmt.format(v))}</td></tr>"

        popup = (f"<b>{rank}. {esc(r.get('name', ''))}</b><table>"
                 + row("Offences this cycle", "count", "{:g}") + row("Last cycle", "count_last", "{:g}")
                 + row("Trend", "trend") + row("Change against its own history", "change")
                 + row("Expected offences per week", "expected_per_week", "{:.1f}")
                 + row("Peak day and hours", "peak_window")
                 + row("Main crime types", "main_types") + row("IMD decile (1 = most deprived)", "imd_decile")
                 + "</table>")
        folium.Marker((la, lo), tooltip=f"{rank}. {esc(r.get('name', ''))}",
                      popup=folium.Popup(popup, max_width=320),
                      icon=folium.DivIcon(html=f"<div class='hs-num' data-rank='{rank}'>{rank}</div>",
                                          icon_size=(22, 22), icon_anchor=(11, 11))).add_to(fg)
    return fg, "<span class='hs-num' style='display:inline-block'>1</span> numbered by rank"


def search_layer(areas, *, name: str = "Area names (search)"):
    """Invisible LSOA and beat polygons carrying a ``search`` name, for the search box."""

    parts = []
    if areas.beat is not None:
        b = areas.beat.copy()
        b["search"] = (b["beat_name"] if "beat_name" in b else b["beat_code"]).astype(str) + " (beat)"
        parts.append(b[["search", "geometry"]])
    l = areas.lsoa.copy()  # noqa: E741
    l["search"] = (l["lsoa_name"] if "lsoa_name" in l else l["lsoa_code"]).astype(str) + " (LSOA)"
    parts.append(l[["search", "geometry"]])
    g = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=areas.lsoa.crs)
    g = _clean_props(_to_wgs84(g, 25.0), ["search"])
    return folium.GeoJson(g.to_json(), name=esc(name), show=True, control=False,
                          style_function=lambda f: {"weight": 0, "fillOpacity": 0, "opacity": 0})


# ---- the map -----------------------------------------------------------------------------------

def _bounds_wgs84(*gdfs) -> list[list[float]] | None:
    bs = [g.to_crs(WGS84).total_bounds for g in gdfs if g is not None and len(g)]
    if not bs:
        return None
    b = np.array(bs)
    return [[float(b[:, 1].min()), float(b[:, 0].min())], [float(b[:, 3].max()), float(b[:, 2].max())]]


def tasking_map(*, kde=None, gistar=None, emerging=None, forecast=None, areas=None,
                lsoa_stats: pd.DataFrame | None = None, top: pd.DataFrame | None = None, route=None,
                title: str | None = None, tiles: str = "none", handling: str = HANDLING_FULL,
                search: bool = True, forecast_name: str = "Forecast: next week") -> Any:
    """Build the tasking map.

    Parameters
    ----------
    kde : xarray.DataArray, optional
        Density surface, dims ``(y, x)`` (EPSG:27700 cell centres), attrs ``cell``, ``units``.
    gistar : GeoDataFrame, optional
        Gi* cells: ``count, z, p, p_adjusted, class (-3..3), class_label``.
    emerging : GeoDataFrame, optional
        Cells with ``category``.
    forecast : GeoDataFrame, optional
        Units with ``expected, q10, q90`` (and ``name`` when known) for next week.
    forecast_name : str
        Layer name of the forecast (e.g. "Forecast: July 2025" for a monthly forecast).
    areas : hotspot.geography.areas.Areas, optional
        LSOA, beat and LA layers: outlines, labels, search.
    lsoa_stats : DataFrame, optional
        ``lsoa_code`` with any of ``imd_decile, uc_rate, sv_rate`` (choropleths; needs ``areas``).
    top : DataFrame, optional
        ``rank, name, count, count_last, trend, peak_window, main_types, imd_decile, x, y``.
    route : hotspot.publish.routes.Route, optional
        Walking route layer.
    title : str, optional
        Shown top left.
    tiles : {"none", "openstreetmap"} or str
        Background: none (works offline), OpenStreetMap, or an XYZ tile URL template
        (``https://.../{z}/{x}/{y}.png``). Tiles need a network; the page itself does not.
    handling : str
        Government Security Classification label shown at top and bottom.
    search : bool
        Add the search box (needs ``areas``).

    Returns
    -------
    folium.Map
    """

    if tiles not in ("none", "openstreetmap") and not str(tiles).startswith(("http://", "https://")):
        raise ArgumentError("tiles", tiles, '"none", "openstreetmap" or an XYZ URL template')
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, zoom_start=10,
                   location=(51.3, -2.7))
    if tiles == "openstreetmap":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(m)
    elif tiles != "none":
        folium.TileLayer(tiles=tiles, attr="Background tiles", name="Background").add_to(m)
    legend = _Legend()

    def add(layer_and_legend, name, show):
        layer, leg = layer_and_legend
        layer.add_to(m)
        legend.add(name, leg, show)

    if areas is not None and search:
        s = search_layer(areas)
        s.add_to(m)
        plugins.Search(layer=s, search_label="search", placeholder="Search beat or LSOA",
                       collapsed=False, search_zoom=14, geom_type="Polygon").add_to(m)
    if areas is not None and lsoa_stats is not None:
        missing = "lsoa_code" not in lsoa_stats.columns
        if missing:
            raise ArgumentError("lsoa_stats", list(lsoa_stats.columns), "a table with an lsoa_code column")
        lj = areas.lsoa.merge(lsoa_stats.drop(columns=[c for c in ("lsoa_name", "geometry")
                                                       if c in lsoa_stats.columns]), on="lsoa_code", how="left")
        nm = ["lsoa_name"] if "lsoa_name" in lj.columns else ["lsoa_code"]
        specs = [("imd_decile", "LSOA: IMD decile", "IMD decile (1 = most deprived)", "YlOrRd", True, "{:.0f}"),
                 ("uc_rate", "LSOA: Universal Credit rate", "UC households per 100", "PuBu", False, "{:.3g}"),
                 ("sv_rate", "LSOA: serious violence rate", "Serious violence per 1,000", "OrRd", False, "{:.3g}")]
        for col, name, label, cmap, rev, fmt in specs:
            if col in lj.columns:
                add(choropleth_layer(lj, col, name=name, label=label, fields=nm, aliases=["LSOA"],
                                     colours=cmap, reverse=rev, show=False, fmt=fmt), name, False)
    if kde is not None:
        add(kde_layer(kde), "KDE density", True)
    if gistar is not None:
        add(gistar_cluster_layer(gistar), "Gi* hot and cold spots", True)
        add(gistar_layer(gistar), "Gi* cells (all significant)", False)
    if emerging is not None:
        add(emerging_layer(emerging), "Emerging hot spots", False)
    if forecast is not None:
        fields = [c for c in ("name", "q10", "q90") if c in forecast.columns]
        add(choropleth_layer(forecast, "expected", name=forecast_name, label="Expected offences",
                             fields=fields, aliases=[{"name": "Area", "q10": "10% quantile",
                                                      "q90": "90% quantile"}[f] for f in fields],
                             colours="Purples", show=False, tolerance=0.0), forecast_name, False)
    if areas is not None:
        if areas.beat is not None:
            beats = "Wards (standing in for beats)" if getattr(areas, "beat_source", "") == "ward" else "Beats"
            add(outline_layer(areas.beat, "beat_code", "beat_name", name=beats, colour="#444", weight=1,
                              show=True, min_zoom=LABEL_MIN_ZOOM["beat"], priority=2), beats, True)
        if areas.la is not None:
            add(outline_layer(areas.la, "la_code", "la_name", name="Local authorities", colour="#000",
                              weight=2.5, css="la", show=True, min_zoom=LABEL_MIN_ZOOM["la"], priority=1),
                "Local authorities", True)
    if top is not None and len(top):
        add(top_layer(top), "Top hotspots", True)
    if route is not None:

        route_layer(route).add_to(m)
        legend.add("Route", "<i style='background:#6a3d9a'></i>walking loop, numbered stops", True)

    plugins.Fullscreen(position="topleft").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(legend.element(m.get_name(), _banner(handling, title)))
    layers = [g for g in (gistar, emerging, forecast, areas.force if areas is not None else None)
              if g is not None]
    b = _bounds_wgs84(*layers)
    if b is None and top is not None and len(top):

        lon, lat = to_wgs84(top["x"].to_numpy(float), top["y"].to_numpy(float))
        b = [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]
    if b is not None:  # not animated: an animated fit ending later would undo a view from the link
        m.add_child(_script_element(f"{m.get_name()}.fitBounds({json.dumps(b)}, {{animate: false}});"))
    m.add_child(_script_element(_DECLUTTER_JS % {"map": m.get_name(), "stopzoom": ROUTE_STOP_MIN_ZOOM}))
    m.add_child(_script_element(_HASH_VIEW_JS % {"map": m.get_name()}))
    # folium.Map declares no such attribute: the handling label is stashed on the instance
    m._hotspot_handling = handling  # type: ignore[attr-defined]  # noqa: SLF001 - read by save_map
    return m


def render_map(m) -> str:
    """The map as one self-contained HTML string (vendored assets inlined)."""
    page = inline_assets(m.get_root().render())
    refs = external_refs(page)
    if refs:
        raise InputError(f"map still references external files {refs}; it would not work offline")
    return page


def save_map(m, path: str | Path) -> Path:
    """Write the map as one self-contained, offline HTML file (atomic)."""

    return write_text(path, render_map(m))

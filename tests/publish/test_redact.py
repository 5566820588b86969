"""Public redaction: no suppressed value survives in HTML, GeoPackage or CSV outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspot.publish import redact
from hotspot.publish.redact import PublicationError


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=30), st.integers(1, 12))
def test_suppress_counts_property(counts, threshold):
    df = pd.DataFrame({"count": counts, "name": [f"a{i}" for i in range(len(counts))]})
    out = redact.suppress_counts(df, threshold=threshold)
    c = np.array(counts)
    small = (c > 0) & (c < threshold)
    assert out["count"].isna().to_numpy().tolist() == small.tolist()
    assert (out.loc[~small, "count"].to_numpy() == c[~small]).all()
    assert set(out.loc[small, "count_text"]) <= {f"<{threshold}"}
    redact.assert_public(out, threshold)  # passes after suppression
    if small.any():
        with pytest.raises(PublicationError):
            redact.assert_public(df, threshold)


def test_drop_sensitive_and_scrub():
    df = pd.DataFrame({"crime_type": ["Robbery", "Violence and sexual offences", "Violence and sexual offences"],
                       "sv_category": ["robbery", "sexual", "vap_injury"], "domestic": [False, False, True],
                       "main_types": ["Robbery; Sexual offences", "x", "y"]})
    out = redact.drop_sensitive(df)
    assert list(out["sv_category"]) == ["robbery"]
    assert redact.scrub_text(out)["main_types"].iloc[0] == "Robbery"


def test_points_and_small_cells_refused(gistar_cells):
    import geopandas as gpd
    from shapely.geometry import Point, box

    from hotspot.errors import ArgumentError

    pts = gpd.GeoDataFrame({"count": [9]}, geometry=[Point(1, 2)], crs="EPSG:27700")
    with pytest.raises(ArgumentError, match="points"):
        redact.redact_frame(pts)
    small = gpd.GeoDataFrame({"count": [9]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:27700")
    with pytest.raises(ArgumentError, match="250"):
        redact.redact_frame(small)
    ok = redact.redact_frame(gistar_cells, threshold=5)
    assert not ((ok["count"] > 0) & (ok["count"] < 5)).any()


def test_grid_redaction(kde_surface):
    from hotspot.errors import ArgumentError

    with pytest.raises(ArgumentError, match="cells"):
        redact.redact_grid(kde_surface)  # 100 m cells
    coarse = kde_surface.coarsen(x=4, y=4).sum().assign_attrs(cell=400.0, units="count")
    coarse = coarse.copy(data=np.round(coarse.values) % 9)
    out = redact.redact_grid(coarse, threshold=5)
    v = out.values
    assert not ((v > 0) & (v < 5)).any()
    redact.assert_public(out, 5)
    with pytest.raises(PublicationError):
        redact.assert_public(coarse, 5)


def test_public_gpkg_and_csv_exports(tmp_path, gistar_cells):
    from hotspot.publish.export import export_layers

    assert ((gistar_cells["count"] > 0) & (gistar_cells["count"] < 5)).any()  # the fixture has small counts
    gp = export_layers(tmp_path / "pub.gpkg", {"gistar": gistar_cells}, public=True)
    redact.assert_public(gp)
    full = export_layers(tmp_path / "full.gpkg", {"gistar": gistar_cells}, public=False)
    with pytest.raises(PublicationError, match="small_count"):
        redact.assert_public(full)
    cp = export_layers(tmp_path / "pub.csv", {"t": gistar_cells}, public=True)
    redact.assert_public(cp)
    raw = tmp_path / "raw.csv"
    gistar_cells.drop(columns="geometry").to_csv(raw, index=False)
    with pytest.raises(PublicationError):
        redact.assert_public(raw)


def test_public_map_html(tmp_path, areas, gistar_cells, top_hotspots):
    from hotspot.publish.maps import save_map, tasking_map

    top = top_hotspots.copy()
    top.loc[1, "count"] = 3
    full = save_map(tasking_map(gistar=gistar_cells, top=top, areas=areas), tmp_path / "full.html")
    with pytest.raises(PublicationError):
        redact.assert_public(full)
    pub = save_map(tasking_map(gistar=redact.redact_frame(gistar_cells), top=redact.redact_frame(top),
                               areas=areas, handling=redact.handling_label(True)), tmp_path / "pub.html")
    redact.assert_public(pub)
    page = pub.read_text()
    assert "&lt;5" in page and "Sexual offences" not in page


def test_public_briefing_html(tmp_path, top_hotspots):
    from hotspot.publish.briefing import write_briefing

    top = top_hotspots.assign(count=[31, 2, 17], main_types=["Sexual offences; Robbery", "Robbery", "Drugs"])
    write_briefing(tmp_path / "full.html", top=top, restrictions=None)
    with pytest.raises(PublicationError):
        redact.assert_public(tmp_path / "full.html")
    write_briefing(tmp_path / "pub.html", top=redact.redact_frame(top), handling="OFFICIAL", restrictions=None)
    redact.assert_public(tmp_path / "pub.html")
    assert "&lt;5" in (tmp_path / "pub.html").read_text()

"""read_boundaries: layers found by their ONS fields, several files, nesting by overlay, no CRS guessed."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from hotspot.errors import InputError
from hotspot.geography.areas import embedded_areas, largest_overlap, read_boundaries

X0, Y0 = 358000.0, 172000.0


def _ons_files(tmp_path):
    """Four 1 km LSOAs (ONS 2021 fields, no beat/LA codes), two wards not nested with them
    (the ward edge is at x0 + 1300, so LSOA column 1 is 30% in ward A), one LAD layer."""
    lsoa = gpd.GeoDataFrame(
        {"FID": [1, 2, 3, 4], "LSOA21CD": ["E01000001", "E01000002", "E01000003", "E01000004"],
         "LSOA21NM": ["Bristol 001A", "Bristol 001B", "Bristol 002A", "Bristol 002B"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000),
                  box(X0, Y0 + 1000, X0 + 1000, Y0 + 2000), box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000)],
        crs="EPSG:27700")
    ward = gpd.GeoDataFrame(
        {"WD25CD": ["E05000001", "E05000002"], "WD25NM": ["Ward A", "Ward B"],
         "LAD25CD": ["E06000023", "E06000023"], "LAD25NM": ["Bristol, City of"] * 2},
        geometry=[box(X0 - 10, Y0 - 10, X0 + 1300, Y0 + 2010), box(X0 + 1300, Y0 - 10, X0 + 2010, Y0 + 2010)],
        crs="EPSG:27700")
    lad = gpd.GeoDataFrame({"LAD25CD": ["E06000023"], "LAD25NM": ["Bristol, City of"]},
                           geometry=[box(X0 - 10, Y0 - 10, X0 + 2010, Y0 + 2010)], crs="EPSG:27700")
    # LSOAs as CRS84 GeoJSON (as ONS publish them), wards and LAD in a GeoPackage with ONS layer names
    lsoa.to_crs("OGC:CRS84").to_file(tmp_path / "lsoa_E06000023.geojson", driver="GeoJSON")
    gpkg = tmp_path / "ons.gpkg"
    ward.to_file(gpkg, layer="ward25", driver="GPKG", engine="pyogrio")
    lad.to_file(gpkg, layer="lad25", driver="GPKG", engine="pyogrio")
    return tmp_path / "lsoa_E06000023.geojson", gpkg


def test_layers_found_by_fields_across_files_and_nested_by_overlay(tmp_path):
    geojson, gpkg = _ons_files(tmp_path)
    a = read_boundaries([geojson, gpkg])
    assert a.lsoa.crs.to_epsg() == 27700
    assert list(a.lsoa["lsoa_code"]) == ["E01000001", "E01000002", "E01000003", "E01000004"]
    # column 0 (x0..x0+1000) lies wholly in ward A; column 1 is 30% A, 70% B -> B
    assert dict(zip(a.lsoa["lsoa_code"], a.lsoa["beat_code"])) == {
        "E01000001": "E05000001", "E01000002": "E05000002", "E01000003": "E05000001", "E01000004": "E05000002"}
    assert set(a.lsoa["la_code"]) == {"E06000023"}
    assert a.beat_source == "ward" and "ward" in a.beat_label
    assert a.provenance["beat"]["fields"]["beat_code"] == "WD25CD"
    assert a.provenance["nesting"]["lsoa_beat"].startswith("overlay")
    assert a.provenance["nesting"]["lsoa_beat_under_half"] == 0  # 70% share at worst
    assert a.provenance["lsoa"]["crs_read"] == ["OGC:CRS84"] or "4326" in a.provenance["lsoa"]["crs_read"][0]
    assert not a.embedded
    assert a.la["la_name"].tolist() == ["Bristol, City of"]


def test_largest_overlap_share(tmp_path):
    geojson, gpkg = _ons_files(tmp_path)
    a = read_boundaries([geojson, gpkg])
    codes, share = largest_overlap(a.lsoa, a.beat, "beat_code")
    assert share[1] == pytest.approx(0.7, abs=1e-3)  # E01000002: 700 m of its 1000 m width in ward B


def test_no_beat_layer_each_lsoa_is_its_own_beat(tmp_path):
    geojson, _ = _ons_files(tmp_path)
    a = read_boundaries(geojson)
    assert a.beat_source == "lsoa"
    assert list(a.lsoa["beat_code"]) == list(a.lsoa["lsoa_code"])
    assert len(a.beat) == 4 and a.la is None


def test_flat_field_mapping_and_named_layer(tmp_path):
    lsoa = gpd.GeoDataFrame({"ZONE": ["E01000001"], "NBHD": ["NH01"]},
                            geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:27700")
    nb = gpd.GeoDataFrame({"NBHD": ["NH01"], "NBHD_NAME": ["Centre"]},
                          geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:27700")
    p = tmp_path / "force.gpkg"
    lsoa.to_file(p, layer="zones", driver="GPKG", engine="pyogrio")
    nb.to_file(p, layer="neighbourhoods", driver="GPKG", engine="pyogrio")
    a = read_boundaries(p, lsoa_layer="zones", beat_layer="neighbourhoods",
                        fields={"lsoa_code": "ZONE", "beat_code": "NBHD", "beat_name": "NBHD_NAME"})
    assert a.beat_source == "beat"
    assert a.lsoa["beat_code"].tolist() == ["NH01"] and a.beat["beat_name"].tolist() == ["Centre"]
    assert a.provenance["nesting"]["lsoa_beat"] == "field"


def test_layer_without_crs_names_file_and_fix(tmp_path):
    shp = tmp_path / "lsoa.shp"
    gpd.GeoDataFrame({"LSOA21CD": ["E01000001"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)]
                     ).to_file(shp, engine="pyogrio")
    assert not (tmp_path / "lsoa.prj").exists()
    with pytest.raises(InputError, match=r"lsoa\.shp.*no coordinate reference system.*a_srs"):
        read_boundaries(shp)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_boundaries(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="no boundary files"):
        read_boundaries(tmp_path)


def test_embedded_world_is_marked():
    a = embedded_areas()
    assert a.embedded and a.provenance["embedded"] and a.beat_source == "beat"
    assert a.lsoa["beat_code"].notna().all()

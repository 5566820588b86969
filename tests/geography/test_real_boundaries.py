"""The ONS boundaries as published (../shared/real/boundaries): counts from the folder README
(LSOA 2021 1,038; LSOA 2011 1,005; wards 2025 185; 5 LADs; 4,784 km2)."""

from __future__ import annotations

import geopandas as gpd
import pytest

from hotspot.geography.areas import read_boundaries
from tests.realdata import BOUNDARIES_GEOJSON, BOUNDARIES_GPKG


@pytest.fixture(scope="module")
def gpkg_areas(real):
    return read_boundaries(BOUNDARIES_GPKG)


def test_merged_gpkg_with_ons_layer_names(gpkg_areas):
    a = gpkg_areas
    assert (len(a.lsoa), len(a.beat), len(a.la)) == (1038, 185, 5)
    assert a.lsoa["lsoa_code"].str.fullmatch(r"E01\d{6}").all()
    assert a.provenance["lsoa"]["layers"] == ["lsoa21"] and a.provenance["lsoa"]["code_year"] == 2021
    assert a.provenance["beat"]["layers"] == ["ward25"] and a.beat_source == "ward"
    assert a.provenance["la"]["layers"] == ["lad25_dissolved_from_lsoa21"]
    assert a.beat["beat_code"].str.fullmatch(r"E05\d{6}").all()
    assert a.lsoa["beat_code"].notna().all() and a.lsoa["beat_code"].isin(set(a.beat["beat_code"])).all()
    assert set(a.lsoa["la_code"]) == {"E06000022", "E06000023", "E06000024", "E06000025", "E06000066"}
    assert a.force.area.sum() / 1e6 == pytest.approx(4784, abs=1)
    assert "wards stand in for police beats" in a.describe() and "1,038" in a.describe()


def test_lsoa_to_ward_is_the_largest_overlap(gpkg_areas, real):
    # independent check: geopandas.overlay of the layers read directly, largest piece per LSOA
    wards = gpd.read_file(BOUNDARIES_GPKG, layer="ward25")[["WD25CD", "geometry"]]
    lsoa = gpd.read_file(BOUNDARIES_GPKG, layer="lsoa21")[["LSOA21CD", "geometry"]]
    pieces = gpd.overlay(lsoa, wards, how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.area
    best = pieces.sort_values("area").drop_duplicates("LSOA21CD", keep="last").set_index("LSOA21CD")["WD25CD"]
    got = gpkg_areas.lsoa.set_index("lsoa_code")["beat_code"]
    assert len(best) == 1038
    assert (got.reindex(best.index) == best).all()
    # and wards are not nested in LSOAs here: many LSOAs straddle a ward boundary
    assert pieces.groupby("LSOA21CD").size().gt(1).sum() > 100


def test_lsoa11_layer_by_name(real):
    a = read_boundaries(BOUNDARIES_GPKG, lsoa_layer="lsoa11")
    assert len(a.lsoa) == 1005 and a.provenance["lsoa"]["code_year"] == 2011


def test_per_la_geojson_crs84_as_published(gpkg_areas, real):
    a = read_boundaries(BOUNDARIES_GEOJSON)
    assert (len(a.lsoa), len(a.beat), len(a.la)) == (1038, 185, 5)
    assert len(a.provenance["lsoa"]["files"]) == 5 and a.lsoa.crs.to_epsg() == 27700
    # the same polygons as the merged (already reprojected) GeoPackage, to within a metre
    g = gpkg_areas.lsoa.set_index("lsoa_code").geometry
    j = a.lsoa.set_index("lsoa_code").geometry
    assert (j.index == g.index).all()
    assert (j.centroid.distance(g.centroid) < 1.0).mean() > 0.99
    assert (a.lsoa["beat_code"].to_numpy() == gpkg_areas.lsoa["beat_code"].to_numpy()).mean() > 0.99
    assert set(a.la["la_name"]) >= {"Bristol, City of", "Somerset"}

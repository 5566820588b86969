import pytest

from hotspot.errors import InputError
from hotspot.geography.areas import load_areas, read_layer


def _write(gdf, path, layer):
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def test_ons_field_names_are_recognised(tmp_path, areas):
    ons = areas.lsoa.rename(columns={"lsoa_code": "LSOA21CD", "lsoa_name": "LSOA21NM",
                                     "la_code": "LAD22CD"})
    path = tmp_path / "b.gpkg"
    _write(ons, path, "lsoa")
    got = load_areas(path)
    assert list(got.lsoa["lsoa_code"]) == sorted(areas.lsoa["lsoa_code"])
    assert {"lsoa_name", "la_code", "beat_code"} <= set(got.lsoa.columns)
    assert got.force.geometry.iloc[0].area == pytest.approx(4e6)


def test_mapped_names_and_geojson(tmp_path, areas):
    path = tmp_path / "lsoa.geojson"
    areas.lsoa.rename(columns={"lsoa_code": "zone_id"}).to_file(path, driver="GeoJSON")
    g = read_layer(path, level="lsoa", mapping={"lsoa_code": "zone_id"})
    assert g.crs.to_epsg() == 27700
    assert set(g["lsoa_code"]) == set(areas.lsoa["lsoa_code"])


def test_missing_code_column_names_the_fix(tmp_path, areas):
    path = tmp_path / "b.gpkg"
    _write(areas.lsoa.rename(columns={"lsoa_code": "zone"}), path, "lsoa")
    with pytest.raises(InputError, match="no LSOA layer found.*LSOA21CD"):
        load_areas(path)
    with pytest.raises(InputError, match="no 'lsoa_code' column.*mapping"):
        load_areas(path, lsoa_layer="lsoa")


def test_missing_layer_and_file(tmp_path, areas):
    path = tmp_path / "b.gpkg"
    _write(areas.lsoa, path, "other")
    assert len(load_areas(path).lsoa) == 4  # found by its fields, whatever the layer is called
    with pytest.raises(InputError, match="no layer 'lsoa'"):
        load_areas(path, lsoa_layer="lsoa")
    with pytest.raises(InputError, match="not found"):
        load_areas(tmp_path / "nope.gpkg")


def test_mapped_column_that_does_not_exist(tmp_path, areas):
    path = tmp_path / "lsoa.geojson"
    areas.lsoa.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match="'zone_id' is not in the lsoa layer"):
        read_layer(path, level="lsoa", mapping={"lsoa_code": "zone_id"})

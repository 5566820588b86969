import numpy as np
import pytest

from hotspot.crs import require_crs, to_bng, to_wgs84
from hotspot.errors import InputError


def test_bristol_city_centre_lands_where_the_ordnance_survey_puts_it():
    # Bristol city centre (the Centre), about 51.4545 N 2.5879 W, lies near (359,000, 172,900);
    # the reference coordinates are approximate town centres, so allow 500 m
    x, y = to_bng([-2.5879], [51.4545])
    assert abs(x[0] - 359_000) < 500 and abs(y[0] - 172_900) < 500


def test_round_trip_is_sub_millimetre():
    rng = np.random.default_rng(1)
    x = rng.uniform(270_000, 385_000, 1000)
    y = rng.uniform(105_000, 200_000, 1000)
    lon, lat = to_wgs84(x, y)
    x2, y2 = to_bng(lon, lat)
    np.testing.assert_allclose(x2, x, atol=1e-3)
    np.testing.assert_allclose(y2, y, atol=1e-3)


def test_nan_propagates():
    x, y = to_bng([np.nan, -2.6], [51.45, np.nan])
    assert np.isnan(x).all() and np.isnan(y).all()


def test_layer_without_crs_is_an_error_not_a_guess(areas):
    g = areas.lsoa.set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no coordinate reference system"):
        require_crs(g, "lsoa")


def test_wgs84_layer_is_transformed(areas):
    g = require_crs(areas.lsoa.to_crs(4326), "lsoa")
    assert g.crs.to_epsg() == 27700
    np.testing.assert_allclose(g.total_bounds, areas.lsoa.total_bounds, atol=0.01)

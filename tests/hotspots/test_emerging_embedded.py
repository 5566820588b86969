"""Emerging hot spots on the embedded data: the night-time-economy centres come out as they should.

Night-time serious violence (20:00-04:00) on the force's 250 m grid, monthly steps, 500 m band,
one previous step. Before the pandemic (2018-01 to 2020-02) Bristol city centre and
Weston-super-Mare town centre are persistent or intensifying hot spots. Over the whole history
(to June 2021) they are still hot at the end but their trend turns down with the 2020-21 closures
of the night-time economy, so ArcGIS's rules call them diminishing: the tool reports that honestly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot.crs import to_bng
from hotspot.geography.areas import embedded_areas
from hotspot.geography.geocode import load_offences
from hotspot.grid.cube import space_time_cube
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.emerging import emerging_hotspots, to_cells
from hotspot.paths import data_dir

pytestmark = pytest.mark.slow

CENTRES = ["Bristol city centre", "Weston-super-Mare town centre"]


@pytest.fixture(scope="module")
def night():
    off = load_offences([data_dir() / "offences_extract.csv.gz"], areas=embedded_areas()).offences
    sv = off[off["serious_violence"].astype(bool)]
    hour = sv["occurred_at"].dt.hour
    return sv[(hour >= 20) | (hour < 4)]


def _categories(offences) -> dict[str, set[str]]:
    force = embedded_areas().force
    spec = GridSpec.from_bounds(tuple(force.total_bounds), 250.0)
    cube = space_time_cube(offences, spec, step="month", mask=spec.mask(force.geometry.union_all()))
    cells = to_cells(emerging_hotspots(cube, 500.0, time_lag=1), patterns_only=True)
    places = pd.read_csv(data_dir() / "reference" / "hotspot_places.csv")
    out = {}
    for name in CENTRES:
        r = places[places["place"] == name]
        x, y = to_bng(r["lon"].to_numpy(), r["lat"].to_numpy())
        d = np.hypot(cells.geometry.centroid.x - x[0], cells.geometry.centroid.y - y[0])
        out[name] = set(cells.loc[d < 300, "category"])
    return out


def test_centres_are_persistent_or_intensifying_before_the_pandemic(night):
    cats = _categories(night[night["occurred_at"] < "2020-03-01"])
    for name in CENTRES:
        assert cats[name], f"no pattern at {name}"
        assert cats[name] <= {"persistent hot spot", "intensifying hot spot"}, (name, cats[name])


def test_centres_stay_hot_through_the_closures(night):
    cats = _categories(night)
    for name in CENTRES:
        assert cats[name], f"no pattern at {name}"
        assert all(c.endswith("hot spot") for c in cats[name]), (name, cats[name])
        assert cats[name] & {"persistent hot spot", "intensifying hot spot", "diminishing hot spot"}

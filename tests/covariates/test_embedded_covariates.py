"""The embedded synthetic covariates read cleanly and cover the embedded boundaries.

Skipped when the embedded data set (``data/``, written by ``python -m hotspot.synth``) is absent.
"""

from __future__ import annotations

import warnings

import pytest

from hotspot.paths import data_dir

COV = data_dir() / "covariates"
needed = [COV / "imd2019_file7.csv", COV / "uc_households_lsoa.csv", COV / "uc_households_la.csv",
          COV / "population_lsoa.csv", data_dir() / "boundaries.gpkg"]
pytestmark = pytest.mark.skipif(not all(p.exists() for p in needed),
                                reason="embedded data set not generated (make data)")


def test_embedded_covariates_cover_the_boundaries():
    from hotspot.covariates.imd import read_imd
    from hotspot.covariates.population import read_population
    from hotspot.covariates.universal_credit import read_statxplore
    from hotspot.geography.areas import embedded_areas

    areas = embedded_areas()
    codes = set(areas.lsoa["lsoa_code"])
    imd = read_imd(COV / "imd2019_file7.csv")
    pop = read_population(COV / "population_lsoa.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uc = read_statxplore(COV / "uc_households_lsoa.csv")
        uc_la = read_statxplore(COV / "uc_households_la.csv")
    assert set(imd["lsoa_code"]) == codes
    assert set(pop["lsoa_code"]) == codes
    assert set(uc["code"]) == codes
    assert set(uc_la["code"]) == set(areas.la["la_code"])
    assert imd["imd_decile"].between(1, 10).all()

"""Access to the real, openly licensed data in ``../shared/real`` (never committed here).

Tests that need it take the ``real`` fixture (see ``tests/conftest.py``). When the folder is
absent (a user's fresh clone) they skip with a message; ``.ci/run`` sets ``HOTSPOT_REQUIRE_REAL=1``,
which turns that skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("HOTSPOT_REAL_DATA", ROOT.parent / "shared" / "real"))

POLICE = REAL / "police"
BOUNDARIES_GPKG = REAL / "boundaries" / "avon_somerset_ons_boundaries_27700.gpkg"
BOUNDARIES_GEOJSON = REAL / "boundaries" / "ons_geojson_by_lad"
LOOKUP = REAL / "boundaries" / "lsoa11_to_lsoa21_DERIVED_by_area_overlap_avon_somerset.csv"
IMD_FILE1 = REAL / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_avon_somerset.csv"
IMD_FILE2 = REAL / "imd" / "File_2_-_IoD2019_Domains_of_Deprivation_avon_somerset.csv"
IMD_FILE6 = REAL / "imd" / "File_6_-_IoD2019_Population_Denominators_avon_somerset.csv"
IMD_FILE7 = REAL / "imd" / "imd2019_file7_layout_ASSEMBLED_avon_somerset.csv"
POSTCODES = REAL / "postcodes"


def require_real() -> Path:
    """Return the real-data folder, or skip (fail when ``HOTSPOT_REQUIRE_REAL`` is set)."""
    if (POLICE.is_dir() and BOUNDARIES_GPKG.is_file()):
        return REAL
    message = (f"real data not found at {REAL} (a fresh clone has none; set HOTSPOT_REAL_DATA "
               "or place ../shared/real beside the project)")
    if os.environ.get("HOTSPOT_REQUIRE_REAL"):
        pytest.fail(message + "; HOTSPOT_REQUIRE_REAL is set, so this is a failure")
    pytest.skip(message)
    raise AssertionError("unreachable")

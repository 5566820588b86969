"""Coordinate reference systems: WGS84 at the edges, British National Grid (EPSG:27700) inside.

Transformations use :mod:`pyproj` with ``always_xy=True`` (longitude first). The default
OSGB36 <-> WGS84 transformation without the OSTN15 grid is accurate to a few metres, which is
below the snapping of police.uk locations; PROJ uses OSTN15 automatically when the grid is installed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer

from hotspot.errors import InputError
from hotspot.schema import BNG, WGS84

#: Bounds of the British National Grid's valid area (metres): Great Britain and surrounding sea.
BNG_BOUNDS = (0.0, 0.0, 700000.0, 1300000.0)
#: Longitude/latitude box that contains England and Wales (and a margin).
UK_LONLAT_BOUNDS = (-8.7, 49.8, 2.0, 60.9)


@lru_cache(maxsize=8)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Transform WGS84 longitude/latitude (degrees) to BNG easting/northing (metres).

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes; NaN propagates.

    Returns
    -------
    x, y : ndarray
        Eastings and northings in metres.
    """
    x, y = _transformer(WGS84, BNG).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return _finite(x), _finite(y)


def to_wgs84(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Transform BNG easting/northing (metres) to WGS84 longitude/latitude (degrees)."""
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return _finite(lon), _finite(lat)


def _finite(a) -> np.ndarray:
    """PROJ returns inf for NaN or failed points: make every non-finite value NaN."""
    a = np.array(a, dtype=float, copy=True)
    a[~np.isfinite(a)] = np.nan
    return a


def require_crs(gdf, what: str, path=None):
    """Return ``gdf`` in BNG; a layer without a CRS is an error, never a guess.

    Parameters
    ----------
    gdf : GeoDataFrame
    what : str
        Name of the layer for the error message.
    path : str, optional
        File the layer came from.
    """
    if gdf.crs is None:
        raise InputError(
            f"layer {what!r} has no coordinate reference system; set one (for example "
            f"`ogr2ogr -a_srs EPSG:27700`) — hotspot never guesses a CRS", path=path)
    if CRS.from_user_input(gdf.crs) != CRS.from_user_input(BNG):
        gdf = gdf.to_crs(BNG)
    return gdf

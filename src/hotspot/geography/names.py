"""Readable place names for points: the beat and LSOA they fall in."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hotspot.geography.geocode import locate

#: Name given to a point further than the tolerance from every LSOA.
OUTSIDE = "outside the study area"


def place_names(x: np.ndarray, y: np.ndarray, study_area: Any, *, tolerance: float = 2000.0) -> pd.DataFrame:
    """``name`` ("<beat name> (<LSOA name>)"), ``lsoa_code`` and ``beat_code`` of each point.

    Parameters
    ----------
    x, y : ndarray
        Eastings and northings (EPSG:27700).
    study_area : StudyArea or Areas
        Anything with ``lsoa`` and ``beat`` layers.
    tolerance : float
        Points this far outside every LSOA take the nearest one; further ones are :data:`OUTSIDE`.
    """
    lsoa, beat = study_area.lsoa, study_area.beat
    li, _ = locate(np.asarray(x, float), np.asarray(y, float), lsoa.geometry, tolerance=tolerance)
    beat_names = dict(zip(beat["beat_code"], beat["beat_name"])) if beat is not None and "beat_name" in beat else {}
    has_beat = "beat_code" in lsoa.columns
    names, lcodes, bcodes = [], [], []
    for i in li:
        if i < 0:
            names.append(OUTSIDE)
            lcodes.append("")
            bcodes.append("")
            continue
        row = lsoa.iloc[int(i)]
        bc = row["beat_code"] if has_beat else ""
        names.append(f"{beat_names.get(bc, bc)} ({row['lsoa_name']})")
        lcodes.append(row["lsoa_code"])
        bcodes.append(bc)
    return pd.DataFrame({"name": names, "lsoa_code": lcodes, "beat_code": bcodes})

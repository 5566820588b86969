"""Export layers and tables for sharing, full (OFFICIAL-SENSITIVE) or public (OFFICIAL, redacted).

Thin wrappers over :mod:`hotspot.io` (atomic writers) and :mod:`hotspot.publish.redact`: public
exports are redacted and then checked with :func:`hotspot.publish.redact.assert_public` before they
are renamed into place, so a failed check leaves no file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from hotspot.errors import ArgumentError
from hotspot.io import atomic_path, write_csv
from hotspot.publish import redact


def export_layers(path: str | Path, layers: Mapping[str, pd.DataFrame], *, public: bool = False,
                  threshold: int = redact.DEFAULT_THRESHOLD) -> Path:
    """Write GeoDataFrame layers to one GeoPackage (or one DataFrame to CSV), with a handling column.

    Parameters
    ----------
    path : str or Path
        ``.gpkg`` (any number of layers) or ``.csv`` (exactly one table).
    layers : mapping of str -> (Geo)DataFrame
    public : bool
        Redact (:func:`redact.redact_frame`) and check before writing; label ``OFFICIAL``.
    threshold : int
        Small-count suppression threshold for public exports.
    """

    path = Path(path)
    label = redact.handling_label(public)
    out = {}
    for name, df in layers.items():
        d = redact.redact_frame(df, threshold=threshold, text=False) if public else df.copy()
        d["handling"] = label
        out[name] = d
    suffix = path.suffix.lower()
    if suffix == ".csv" and len(out) != 1:
        raise ArgumentError("layers", f"{len(out)} layers", "exactly one table for a CSV export")
    if suffix not in (".csv", ".gpkg"):
        raise ArgumentError("path", str(path), "a .gpkg or .csv file name")
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame = next(iter(out.values()))
            write_csv(tmp, pd.DataFrame(frame.drop(columns="geometry", errors="ignore")))
        else:
            for name, gdf in out.items():
                gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        if public:
            redact.assert_public(tmp, threshold)
    return path

"""Atomic writers: an output appears complete or not at all.

Every writer writes to a temporary sibling path and renames it into place, so a failed or killed
run never leaves a half-written file. Used by every stage that writes files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary name keeps the final suffix (drivers such as GDAL choose formats by suffix).
    On any exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers (GDAL, netCDF) want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            if tmp_path.is_dir():
                shutil.rmtree(tmp_path, ignore_errors=True)
            else:
                tmp_path.unlink()


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented, key-sorted JSON atomically (deterministic bytes)."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def write_with(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and rename the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def neutralise_cell(value):
    """A text cell made inert for spreadsheets: ``'`` before a leading ``= + - @``, tab or CR.

    Plain signed numbers and percentages (``-2.5``, ``+44%``) are left as they are; so is anything
    that is not a string. A cell that already starts with ``'`` followed by one of those characters
    gets one more ``'``, so removing one leading ``'`` always gives back the original.

    References
    ----------
    .. [1] OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
    """
    if not isinstance(value, str) or not value:
        return value
    body = value[1:] if value.startswith("'") else value
    if body.startswith(FORMULA_START) and not (body is value and _PLAIN_NUMBER.match(value.strip())):
        return "'" + value
    return value


def unneutralise_cell(value):
    """The inverse of :func:`neutralise_cell` (for reading the engine's own CSVs back)."""
    if isinstance(value, str) and value.startswith("'"):
        body = value[1:]
        if body.startswith(FORMULA_START) or (body.startswith("'") and body[1:].startswith(FORMULA_START)):
            return body
    return value


def neutralise_frame(frame):
    """A copy of ``frame`` whose text cells (object/string columns, and the column names) are inert."""

    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[c] = s.map(neutralise_cell).astype(object)
    if isinstance(out.index, pd.MultiIndex) or out.index.dtype == object:
        out.index = out.index.map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(path: str | Path, frame, **kwargs) -> Path:
    """Write a DataFrame as CSV (UTF-8, no index by default) atomically, formulas neutralised.

    The one CSV writer of the engine: every text cell goes through :func:`neutralise_cell`, so a
    ``=HYPERLINK(...)`` or ``+cmd|...`` read from an input comes out inert in every CSV written.
    """
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    safe = neutralise_frame(frame)
    return write_with(path, lambda tmp: safe.to_csv(tmp, **kwargs))


def write_gpkg(path: str | Path, layers: dict, **kwargs) -> Path:
    """Write one or more GeoDataFrame layers to a GeoPackage atomically.

    Parameters
    ----------
    layers : dict of str -> GeoDataFrame
        Layer name to layer; all go into one file.
    """
    def _w(tmp: Path) -> None:
        for name, gdf in layers.items():
            gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", **kwargs)
    return write_with(path, _w)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _json_default(o: Any) -> Any:

    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (pd.Timestamp,)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")

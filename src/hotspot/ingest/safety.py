"""Inputs that cannot poison a run: bounded decompression, checked zip members, a plausible-date window.

* Zip members are checked before they are read: encryption, compression method, declared size
  and compression ratio; the read itself is bounded, so a member whose header lies cannot grow
  past the limit either. Every failure is an :class:`~hotspot.errors.InputError` naming the file,
  the member and the fix, never a crash or a memory blow-up.
* Gzip data (``.csv.gz`` files and members) is inflated with a bounded decompressor.
* :func:`check_date_window` quarantines rows dated outside ``[earliest, latest)`` (default
  2000-01-01 to tomorrow) as ``implausible_date``: one ``1900-01-01`` row would otherwise stretch
  the monthly space-time cube from 42 to 1,458 steps.

Limits default to :data:`MAX_MEMBER_BYTES` and :data:`MAX_RATIO` and can be changed with the
environment variables ``HOTSPOT_MAX_INPUT_BYTES`` and ``HOTSPOT_MAX_ZIP_RATIO``.

References
----------
.. [1] OWASP, "File Upload Cheat Sheet" (decompression bombs), and Python ``zipfile`` docs,
   "Decompression pitfalls".
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from hotspot.errors import InputError
from hotspot.ingest.checks import lazy, out_of_range_text

#: Largest decompressed input (a zip member, a gzip file) read into memory: 2 GiB.
MAX_MEMBER_BYTES = 2 << 30

#: Largest compression ratio of a zip member (police.uk CSVs compress about 10:1).
MAX_RATIO = 200.0

#: Compression methods :mod:`zipfile` reads.
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2",
           zipfile.ZIP_LZMA: "lzma"}

#: Earliest plausible offence date by default.
EARLIEST = "2000-01-01"


def max_bytes() -> int:
    """Decompressed-size limit (``$HOTSPOT_MAX_INPUT_BYTES`` or :data:`MAX_MEMBER_BYTES`)."""
    env = os.environ.get("HOTSPOT_MAX_INPUT_BYTES")
    return int(env) if env else MAX_MEMBER_BYTES


def max_ratio() -> float:
    """Compression-ratio limit (``$HOTSPOT_MAX_ZIP_RATIO`` or :data:`MAX_RATIO`)."""
    env = os.environ.get("HOTSPOT_MAX_ZIP_RATIO")
    return float(env) if env else MAX_RATIO


def check_member(info: zipfile.ZipInfo, path: str | Path, *, limit: int | None = None,
                 ratio: float | None = None) -> None:
    """Refuse an encrypted, oddly compressed, too large or too compressed zip member."""
    limit = max_bytes() if limit is None else limit
    ratio = max_ratio() if ratio is None else ratio
    name = info.filename
    if info.flag_bits & 0x1:
        raise InputError(f"zip member {name!r} is encrypted; unzip it with its password and give the "
                         "CSV itself", path=path)
    if info.compress_type not in METHODS:
        raise InputError(f"zip member {name!r} uses compression method {info.compress_type}, which "
                         f"cannot be read (supported: {', '.join(METHODS.values())}); re-zip it with "
                         "ordinary (deflate) compression", path=path)
    if info.file_size > limit:
        raise InputError(f"zip member {name!r} is {info.file_size:,} bytes uncompressed, over the "
                         f"{limit:,}-byte limit; split the file or raise HOTSPOT_MAX_INPUT_BYTES", path=path)
    if info.file_size > 1 << 20 and info.file_size > ratio * max(info.compress_size, 1):
        raise InputError(f"zip member {name!r} expands {info.file_size / max(info.compress_size, 1):,.0f} "
                         f"times (limit {ratio:g}): a decompression bomb or a damaged file; download it "
                         "again", path=path)


def read_member(path: str | Path, member: str, *, limit: int | None = None) -> bytes:
    """Bytes of one zip member after :func:`check_member`, read with a hard size bound
    (gzip members are inflated with :func:`gunzip`, bounded too)."""
    limit = max_bytes() if limit is None else limit
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(member)
            check_member(info, path, limit=limit)
            with zf.open(info) as fh:
                data = fh.read(limit + 1)
    except InputError:
        raise
    except KeyError:
        raise InputError(f"zip member {member!r} not found; download the zip again", path=path) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError,
            ValueError) as exc:
        raise InputError(f"zip member {member!r} is damaged ({type(exc).__name__}: {exc}); download "
                         "the zip again", path=path) from None
    if len(data) > limit:
        raise InputError(f"zip member {member!r} holds more than {limit:,} bytes (its header said "
                         f"{info.file_size:,}): refusing to read it", path=path)
    if member.lower().endswith(".gz"):
        data = gunzip(data, f"{path}:{member}", limit=limit)
    return data


def gunzip(data: bytes, path: str | Path, *, limit: int | None = None) -> bytes:
    """Inflate gzip ``data`` to at most ``limit`` bytes (concatenated members included)."""
    limit = max_bytes() if limit is None else limit
    out = bytearray()
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += d.decompress(rest, limit + 1 - len(out))
            if len(out) > limit or d.unconsumed_tail:
                raise InputError(f"gzip data expands past the {limit:,}-byte limit: a decompression bomb "
                                 "or a very large file; split it or raise HOTSPOT_MAX_INPUT_BYTES", path=path)
            if not d.eof:
                raise InputError("gzip data is truncated; re-download or re-export it", path=path)
            rest = d.unused_data.lstrip(b"\x00")
    except zlib.error as exc:
        raise InputError(f"corrupt gzip data ({exc}); re-download or re-export it", path=path) from None
    return bytes(out)


def date_window(earliest=None, latest=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The plausible window ``[earliest, latest)``: default 2000-01-01 to the start of the day
    after tomorrow (today + 1 day, inclusive)."""
    lo = pd.Timestamp(earliest if earliest is not None else EARLIEST)
    hi = (pd.Timestamp(latest) if latest is not None
          else pd.Timestamp.now().normalize() + pd.Timedelta(days=2))
    if not lo < hi:
        raise InputError(f"the plausible date window {lo.date()} to {hi.date()} is empty; set an "
                         "earliest date before the latest")
    return lo, hi


def check_date_window(staged: pd.DataFrame, flags, earliest=None, latest=None) -> None:
    """Quarantine rows dated outside the plausible window as ``implausible_date``.

    Parameters
    ----------
    staged : DataFrame
        Staged rows with ``occurred_at`` (and ``month`` for month-only rows).
    flags : hotspot.ingest.checks.Flags
    earliest, latest : date-like, optional
        See :func:`date_window`.
    """

    lo, hi = date_window(earliest, latest)
    t = staged["occurred_at"]
    text = staged["month"].astype(str)
    oob = out_of_range_text(text).to_numpy(dtype=bool)  # 0001-01, 9999-12: beyond pandas' range
    if oob.any():
        flags.flag(oob, "implausible_date", lazy("month {!r} is outside the plausible window", text))
    ok = text.str.match(r"^\d{4}-\d{2}$") & ~pd.Series(oob, index=text.index)
    month = pd.to_datetime(text.where(ok), format="%Y-%m", errors="coerce").astype("datetime64[ns]")
    when = t.where(t.notna(), month)
    bad = ((when < lo) | (when >= hi)).fillna(False).to_numpy(dtype=bool)
    if bad.any():
        shown = when.dt.strftime("%Y-%m-%d").fillna("")
        flags.flag(bad, "implausible_date",
                   lazy("{} is outside the plausible window " + f"{lo.date()} to {(hi - pd.Timedelta(days=1)).date()}",
                        shown))


def nul_rows(raw: pd.DataFrame, mark: str) -> np.ndarray:
    """Rows of a raw (string) frame holding the NUL mark in any value."""
    hit = np.zeros(len(raw), dtype=bool)
    for c in raw.columns:
        s = raw[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            hit |= s.astype(str).str.contains(mark, regex=False).to_numpy()
    return hit

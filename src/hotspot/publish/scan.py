"""An independent, deny-by-default disclosure scan of a folder of published files.

This module knows nothing of the redactor (it imports nothing from it and reads
none of its column lists): it judges every published file by its **content**, as a hostile
reader would, and reports every finding instead of stopping at the first.

Rules (``Finding.rule``):

``small_count``
    A numeric column (every non-empty cell parses as a number; suppression markers such as
    ``<5`` or an empty cell count as withheld) whose values are mostly whole numbers and include
    one from 1 to ``threshold - 1``. Column names are not consulted, so a count published under any
    name is caught. The one structural exemption is a row key: unique whole numbers that are
    exactly 1..n (or 0..n-1) over n >= 2 x threshold rows (a rank or row number). Classes,
    deciles, hours or days must therefore be published as text labels, not small numbers.
``recoverable``
    A withheld or small count that other published numbers give back: a rate times a published
    denominator (``rate * denominator / 10^k`` is a whole number in most rows), one column the
    sum or difference of two others (``C = A + B``) or the percent change / ratio of two others
    with one operand withheld, a percent change or ratio published where both operands are
    withheld, a total row (or column) minus its published parts, and, in HTML tables, a signed
    change or percentage in a row whose counts are withheld.
``point``
    Point geometries (GeoPackage, GeoJSON, GeoJSON embedded in HTML) or Leaflet markers:
    public outputs hold only cells and areas.
``sensitive``
    Domestic or sexual-offence content: the words in column names, keys or values.
``input_path`` / ``quarantine``
    An input file path (an absolute path, or a file name with a data-file extension that is not a
    file of the published folder) or any quarantine / rejection figure (keys, columns or text).
``label``
    The ``OFFICIAL-SENSITIVE`` handling label, or a page or table without ``OFFICIAL``.
``chart``
    An image (PNG file or embedded ``data:image``) without its source table beside it
    (``x.png`` -> ``x.csv``/``x.json``; in HTML a ``<script type="application/json"
    class="chart-data">`` block), so what it plots cannot be checked.
``unreadable``
    A file the scan cannot read or a file type it does not know: refused, not skipped.

References
----------
.. [1] Office for National Statistics (2021). *Statistical disclosure control policy for tables
   produced from administrative sources* (primary and secondary suppression, differencing).
.. [2] Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley. Ch. 4-5.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely import STRtree
from shapely.geometry import Point, shape

#: Written independently of the redactor: words that mark domestic or sexual-offence content.
SENSITIVE_WORDS = re.compile(
    r"domestic|sexual|\brape|\bsex[ _-]?offen|stalking|\bvawg\b|violence against women|"
    r"\bindecent|\bsexually", re.I)

#: Words that mark quarantine / rejection figures of the ingest (never public).
QUARANTINE_WORDS = re.compile(r"quarantin|reject|rows_read|by_reason|reconciliation|invalid_rows", re.I)

#: Data-file extensions an input may have (a published name with one must be a published file).
_DATA_EXT = r"csv|gz|zip|xlsx?|gpkg|geojson|json|parquet|shp|ods|tsv|txt|tif|nc|skops|toml"
_FILE_NAME = re.compile(rf"(?<![\w/.-])([\w.-]+\.(?:{_DATA_EXT}))\b", re.I)
_ABS_PATH = re.compile(r"(?:(?<![\w:/])/(?:[\w.-]+/)+[\w.-]*|\b[A-Za-z]:\\[^\s\"'<>]+|\\\\[\w.-]+\\[^\s\"'<>]+)")
_SUPPRESSED = re.compile(r"^\s*(<\s*\d+|\*|c|x|\[c\]|\[x\]|suppressed|n/?a)\s*$", re.I)
_SIGNED = re.compile(r"^\s*[+\-\u2212]\s*\d+(?:\.\d+)?\s*%?\s*$|^\s*\d+(?:\.\d+)?\s*%\s*$")
_FULL = "OFFICIAL-SENSITIVE"
_PUBLIC = "OFFICIAL"
_TEXT_SUFFIXES = {".csv", ".json", ".geojson", ".html", ".htm", ".txt", ".md", ".tsv"}


@dataclass(frozen=True)
class Finding:
    """One problem in one published file."""

    file: str
    where: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file} [{self.where}] {self.rule}: {self.detail}"


# ---- columns -----------------------------------------------------------------------------------

def _numeric(col: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, withheld mask) when every non-empty cell is a number or a suppression marker."""
    if pd.api.types.is_bool_dtype(col.dtype):
        return None
    if pd.api.types.is_numeric_dtype(col.dtype):
        v = col.to_numpy(dtype=float)
        return v, ~np.isfinite(v)
    s = col.astype(object)
    text = s.map(lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x).strip())
    empty = text.eq("") | text.map(lambda t: bool(_SUPPRESSED.match(t)))
    if empty.all():
        return None
    if text[~empty].map(lambda t: t.lower() in ("true", "false")).any():
        return None
    clean = (text.where(~empty, None).str.replace(",", "", regex=False).str.replace("\u2212", "-", regex=False)
             .str.replace(r"^\+", "", regex=True).str.replace(r"\s*%$", "", regex=True))
    num = pd.to_numeric(clean, errors="coerce")
    if num[~empty].isna().any():
        return None
    v = num.to_numpy(dtype=float)
    return v, empty.to_numpy()


def _whole(v: np.ndarray) -> np.ndarray:
    return np.isfinite(v) & (np.abs(v - np.round(v)) < 1e-9)


def _is_row_key(v: np.ndarray, threshold: int) -> bool:
    f = v[np.isfinite(v)]
    n = f.size
    if n < 2 * threshold or n != v.size or not _whole(f).all():
        return False
    s = np.sort(f)
    return bool(np.array_equal(s, np.arange(1, n + 1)) or np.array_equal(s, np.arange(0, n)))


def _codes_of_labels(df: pd.DataFrame, nums: dict) -> set:
    """Numeric columns that code a text column one to one (``class`` <-> ``class_label``).

    A code is exempt from the small-count rule when its distinct values map one to one onto the
    values of a text column whose labels have letters, do not quote the code's number, are not
    colours, and repeat (at most half as many distinct codes as rows).
    """
    texts = [c for c in df.columns if c not in nums and c != "geometry"
             and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))]
    out = set()
    for c, (v, _) in nums.items():
        ok = np.isfinite(v)
        if ok.sum() < 4 or not _whole(v[ok]).all():
            continue
        codes = pd.Series(v[ok])
        if codes.nunique() > ok.sum() / 2:
            continue
        for t in texts:
            lab = df[t].astype(str).to_numpy()[ok]
            pairs = pd.DataFrame({"c": codes.to_numpy(), "t": lab}).drop_duplicates()
            if not (pairs["c"].is_unique and pairs["t"].is_unique):
                continue
            if any(not re.search(r"[A-Za-z]", x) or re.fullmatch(r"#[0-9a-fA-F]{3,8}", x.strip())
                   or re.search(rf"(?<![\d.]){int(k)}(?![\d.])", x) for k, x in zip(pairs["c"], pairs["t"])):
                continue
            out.add(c)
            break
    return out


def _count_like(v: np.ndarray) -> bool:
    f = v[np.isfinite(v)]
    return f.size > 0 and _whole(f).mean() >= 0.9 and (f >= 0).mean() >= 0.9


def _small(v: np.ndarray, threshold: int) -> np.ndarray:
    return _whole(v) & (v >= 1) & (v < threshold)


def _where(where: str, col: Any, rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r) + 1) for r in rows[:5]) + (", ..." if rows.size > 5 else "")
    return f"{where}column {col!r} row(s) {shown}"


def scan_table(df: pd.DataFrame, threshold: int = 5, *, file: str = "<table>", where: str = "",
               geometry: bool = True) -> list[Finding]:
    """Findings in one table (a CSV, a GeoPackage layer, GeoJSON properties, an HTML table)."""
    out: list[Finding] = []
    pre = f"{where}: " if where else ""
    if geometry and "geometry" in df.columns and hasattr(df, "geom_type"):
        gt = df.geom_type
        pts = gt.isin(["Point", "MultiPoint"]).to_numpy()
        if pts.any():
            out.append(Finding(file, f"{pre}geometry", "point",
                               f"{int(pts.sum()):,} point geometries (offence locations are never public)"))
    cols = [c for c in df.columns if c != "geometry"]
    out += _scan_names([str(c) for c in cols], file, pre + "column names")
    nums: dict[Any, tuple[np.ndarray, np.ndarray]] = {}
    for c in cols:
        col = df[c]
        parsed = _numeric(col)
        if parsed is None:
            if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                vals = col.dropna().astype(str)
                out += _scan_strings(vals.unique(), file, f"{pre}column {c!r}")
            continue
        nums[c] = parsed
    rels = _relations(nums, threshold) if len(df) else []
    codes = _codes_of_labels(df, nums)
    for c, (v, _) in nums.items():
        if _count_like(v) and not _is_row_key(v, threshold) and c not in codes:
            small = _small(v, threshold) & ~_implied(c, rels, nums, threshold)
            if small.any():
                out.append(Finding(file, _where(pre, c, np.flatnonzero(small)), "small_count",
                                   f"{int(small.sum()):,} value(s) from 1 to {threshold - 1} "
                                   f"(e.g. {v[small][0]:g})"))
    out += _recoverable(df, nums, threshold, file, pre, rels)
    return out


# ---- recoverable counts ------------------------------------------------------------------------

def _relations(nums: dict, threshold: int) -> list[tuple[str, Any, Any, Any]]:
    """Exact relations ``c = f(a, b)`` between numeric columns (``a`` and ``b`` count-like), learnt
    on the rows where all three are published: sums/differences, percent changes, ratios."""
    counts = [c for c in nums if _count_like(nums[c][0]) and np.isfinite(nums[c][0]).sum() >= 3][:12]
    others = [c for c in nums if np.isfinite(nums[c][0]).sum() >= 3][:16]
    found = []
    for a, b in itertools.permutations(counts, 2):
        av, bv = nums[a][0], nums[b][0]
        for c in others:
            if c in (a, b):
                continue
            cv = nums[c][0]
            full = np.isfinite(av) & np.isfinite(bv) & np.isfinite(cv)
            if full.sum() < 3:
                continue
            for kind, f, tol in _RELATIONS:
                if kind == "sum" and not (a < b if isinstance(a, str) and isinstance(b, str) else True):
                    continue  # a + b = b + a
                with np.errstate(all="ignore"):
                    pred = f(av, bv)
                fine = full & np.isfinite(pred)
                if fine.sum() < 3:
                    continue
                t = tol(pred[fine])
                if (np.abs(cv[fine] - pred[fine]) <= t).mean() < 0.95:
                    continue
                if np.ptp(pred[fine]) <= 2 * np.max(t):
                    continue  # a constant (e.g. a column and its copy) is no relation
                found.append((kind, a, b, c))
                break
    return found


def _implied(col, rels: list, nums: dict, threshold: int) -> np.ndarray:
    """Rows where ``col`` is fully determined by two other published columns (a + b = c): such a
    small value tells nothing the other two do not (6 - 5 = 1 is not a count of 1)."""
    n = nums[col][0].size
    out = np.zeros(n, dtype=bool)
    for kind, a, b, c in rels:
        if kind not in ("sum", "diff") or col not in (a, b, c):
            continue
        rest = [x for x in (a, b, c) if x != col]
        x, y = nums[rest[0]][0], nums[rest[1]][0]
        out |= np.isfinite(x) & np.isfinite(y) & ~_small(x, threshold) & ~_small(y, threshold)
    return out


def _recoverable(df: pd.DataFrame, nums: dict, threshold: int, file: str, pre: str,
                 rels: list | None = None) -> list[Finding]:
    out: list[Finding] = []
    names = list(nums)
    if len(df) == 0:
        return out
    counts = [c for c in names if _count_like(nums[c][0]) and not _is_row_key(nums[c][0], threshold)]
    rates = [c for c in names if c not in counts and np.isfinite(nums[c][0]).any()]
    # rate x denominator: a rate published beside its denominator gives its count back
    denoms = [c for c in counts if np.nanmedian(np.where(np.isfinite(nums[c][0]), nums[c][0], np.nan)) >= 100]
    for r, d in itertools.product(rates, denoms):
        rv, dv = nums[r][0], nums[d][0]
        ok = np.isfinite(rv) & np.isfinite(dv) & (rv > 0) & (dv > 0)
        if ok.sum() < 4:
            continue
        # the finest scale at which rate x denominator is a whole number in most rows is the count
        for k in (100_000, 10_000, 1_000, 100, 10, 1):
            implied = rv[ok] * dv[ok] / k
            near = np.abs(implied - np.round(implied)) <= 0.01
            if near.mean() >= 0.9 and (np.round(implied) >= 1).mean() >= 0.5:
                rows = np.flatnonzero(ok)[near & (np.round(implied) >= 1) & (np.round(implied) < threshold)]
                if rows.size:
                    out.append(Finding(file, _where(pre, r, rows), "recoverable",
                                       f"{r!r} x {d!r} / {k:g} gives back {rows.size:,} count(s) below "
                                       f"{threshold} (e.g. {np.round(rv[rows[0]] * dv[rows[0]] / k):g})"))
                break
    # relations between three columns, applied where one is withheld
    for kind, a, b, c in (rels if rels is not None else _relations(nums, threshold)):
        out += _recover(kind, a, b, c, nums[a][0], nums[b][0], nums[c][0], nums, threshold, file, pre)
    out += _total_rows(nums, counts, threshold, file, pre)
    return _dedupe(out)


_RELATIONS = [
    ("sum", lambda a, b: a + b, lambda p: 1e-6 + 1e-9 * np.abs(p)),
    ("diff", lambda a, b: b - a, lambda p: 1e-6 + 1e-9 * np.abs(p)),
    ("pct", lambda a, b: 100.0 * (b - a) / a, lambda p: 0.51 + 0.001 * np.abs(p)),
    ("frac", lambda a, b: (b - a) / a, lambda p: 0.0051 + 0.001 * np.abs(p)),
    ("ratio", lambda a, b: b / a, lambda p: 0.0051 + 0.001 * np.abs(p)),
]


def _recover(kind, a, b, c, av, bv, cv, nums, threshold, file, pre) -> list[Finding]:
    """Rows where ``c = f(a, b)`` is published and an operand is withheld (or small)."""
    out = []
    wa, wb = nums[a][1], nums[b][1]
    hc = np.isfinite(cv)
    with np.errstate(all="ignore"):
        if kind == "sum":          # c = a + b  =>  a = c - b, b = c - a
            got_a = np.where(wa & hc & np.isfinite(bv), cv - bv, np.nan)
            got_b = np.where(wb & hc & np.isfinite(av), cv - av, np.nan)
        elif kind == "diff":       # c = b - a  =>  a = b - c, b = a + c
            got_a = np.where(wa & hc & np.isfinite(bv), bv - cv, np.nan)
            got_b = np.where(wb & hc & np.isfinite(av), av + cv, np.nan)
        else:
            g = {"pct": lambda x: 1 + x / 100.0, "frac": lambda x: 1 + x, "ratio": lambda x: x}[kind]
            got_a = np.where(wa & hc & np.isfinite(bv), bv / g(cv), np.nan)
            got_b = np.where(wb & hc & np.isfinite(av), av * g(cv), np.nan)
    pairs = [(a, got_a), (b, got_b)]
    if kind == "sum" and _count_like(cv):   # and a withheld total c = a + b
        pairs.append((c, np.where(nums[c][1] & np.isfinite(av) & np.isfinite(bv), av + bv, np.nan)))
    for col, got in pairs:
        small = np.isfinite(got) & (np.round(got) >= 1) & (np.round(got) < threshold)
        if small.any():
            out.append(Finding(file, _where(pre, col, np.flatnonzero(small)), "recoverable",
                               f"withheld {col!r} from the {kind} {c!r} and the "
                               f"other operand: {np.round(got[small][0]):g} (below {threshold})"))
    if kind not in ("sum", "diff"):
        both = wa & wb & hc
        if both.any():
            out.append(Finding(file, _where(pre, c, np.flatnonzero(both)), "recoverable",
                               f"{c!r} is a {kind} change of {a!r} and {b!r} published where both are "
                               f"withheld: it narrows them down (e.g. +300% means 1 and 4)"))
    return out


def _total_rows(nums: dict, counts: list, threshold: int, file: str, pre: str) -> list[Finding]:
    """A row that is the sum of the others gives back a single withheld part (or a small group)."""
    out = []
    complete = [c for c in counts if np.isfinite(nums[c][0]).all() and nums[c][0].size >= 3]
    votes: dict[int, int] = {}
    for c in complete:
        v = nums[c][0]
        s = v.sum()
        if s <= 0 or (v > 0).sum() < 3:
            continue
        for i in np.flatnonzero(np.abs(2 * v - s) < 1e-6):
            votes[int(i)] = votes.get(int(i), 0) + 1
    # a total row is the sum of the others in at least two complete columns (or the only one)
    totals = {i for i, n in votes.items() if n >= min(2, len(complete))}
    for t in sorted(totals):
        for c in counts:
            v, w = nums[c]
            if not np.isfinite(v[t]):
                continue
            parts = np.delete(np.arange(v.size), t)
            missing = parts[w[parts] | ~np.isfinite(v[parts])]
            if missing.size == 0:
                continue
            resid = v[t] - np.nansum(v[np.setdiff1d(parts, missing)])
            if 1 <= round(resid, 6) < threshold:
                out.append(Finding(file, _where(pre, c, missing), "recoverable",
                                   f"row {t + 1} is the total of the others: total minus the published "
                                   f"parts gives the withheld part(s) = {resid:g}"))
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if (f.where, f.rule) not in seen:
            seen.add((f.where, f.rule))
            out.append(f)
    return out


# ---- words -------------------------------------------------------------------------------------

def _scan_names(names: Iterable[str], file: str, where: str) -> list[Finding]:
    out = []
    for n in names:
        if SENSITIVE_WORDS.search(n):
            out.append(Finding(file, where, "sensitive", f"name {n!r}"))
        if QUARANTINE_WORDS.search(n):
            out.append(Finding(file, where, "quarantine", f"name {n!r}"))
    return out


def _scan_strings(values: Iterable[str], file: str, where: str, published: frozenset[str] = frozenset()
                  ) -> list[Finding]:
    out = []
    for s in values:
        s = str(s)
        m = SENSITIVE_WORDS.search(s)
        if m:
            out.append(Finding(file, where, "sensitive", f"text {_quote(s, m)}"))
        m = QUARANTINE_WORDS.search(s)
        if m:
            out.append(Finding(file, where, "quarantine", f"text {_quote(s, m)}"))
        if _FULL in s:
            out.append(Finding(file, where, "label", f"carries {_FULL}"))
        out += _paths(s, file, where, published)
    return _dedupe_detail(out)


def _paths(s: str, file: str, where: str, published: frozenset[str]) -> list[Finding]:
    out = []
    for m in _ABS_PATH.finditer(s):
        out.append(Finding(file, where, "input_path", f"path {m.group(0)[:80]!r}"))
    for m in _FILE_NAME.finditer(s):
        name = m.group(1)
        if name.lower() not in published and not re.fullmatch(r"[\d.]+", name):
            out.append(Finding(file, where, "input_path", f"file name {name!r} is not a published file"))
    return out


def _quote(s: str, m: re.Match) -> str:
    a, b = max(0, m.start() - 30), min(len(s), m.end() + 30)
    return repr(s[a:b])


def _dedupe_detail(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.where, f.rule, f.detail)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# ---- JSON --------------------------------------------------------------------------------------

def _frames(obj: Any, path: str = "$") -> Iterator[tuple[str, pd.DataFrame, list[str]]]:
    """Tables inside a JSON value: GeoJSON features, lists of records, lists of numbers, and each
    object's own scalar fields as a one-row table. Also yields geometry types of features."""
    if isinstance(obj, dict):
        if obj.get("type") == "FeatureCollection" and isinstance(obj.get("features"), list):
            feats = [f for f in obj["features"] if isinstance(f, dict)]
            props = pd.DataFrame([f.get("properties") or {} for f in feats])
            gtypes = [str((f.get("geometry") or {}).get("type", "")) for f in feats]
            yield path, props, gtypes
            return
        if obj.get("type") == "Feature":
            yield path, pd.DataFrame([obj.get("properties") or {}]), [str((obj.get("geometry") or {}).get("type"))]
            return
        if obj.get("type") in ("Point", "MultiPoint") and "coordinates" in obj:
            yield path, pd.DataFrame(), [obj["type"]]
            return
        scal = {k: v for k, v in obj.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
        if scal:
            yield path, pd.DataFrame([scal]), []
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                yield from _frames(v, f"{path}.{k}")
    elif isinstance(obj, list):
        if obj and all(isinstance(x, dict) for x in obj):
            flat = [{k: v for k, v in x.items() if not isinstance(v, (dict, list))} for x in obj]
            if any(flat):
                yield path, pd.DataFrame(flat), []
            for i, x in enumerate(obj):
                for k, v in x.items():
                    if isinstance(v, (dict, list)):
                        yield from _frames(v, f"{path}[{i}].{k}")
        elif obj and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in obj):
            yield path, pd.DataFrame({"values": obj}), []
        elif obj and all(isinstance(x, list) for x in obj) and all(
                all(isinstance(y, (int, float)) and not isinstance(y, bool) for y in x) for x in obj):
            width = {len(x) for x in obj}
            if len(width) == 1 and width != {2}:   # [x, y] pairs are coordinates
                yield path, pd.DataFrame(obj, columns=[f"c{i}" for i in range(width.pop())]), []
        else:
            for i, x in enumerate(obj):
                if isinstance(x, (dict, list)):
                    yield from _frames(x, f"{path}[{i}]")


def _keys(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _keys(v)
    elif isinstance(obj, list):
        for x in obj:
            yield from _keys(x)


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for x in obj:
            yield from _strings(x)


def scan_json_value(obj: Any, threshold: int, file: str, where: str = "",
                    published: frozenset[str] = frozenset()) -> list[Finding]:
    """Findings in a decoded JSON value (a file, or data embedded in a page)."""
    out = _scan_names(sorted(set(_keys(obj))), file, f"{where}keys")
    out += _scan_strings(sorted(set(_strings(obj))), file, f"{where}strings", published)
    for path, frame, gtypes in _frames(obj):
        pts = sum(t in ("Point", "MultiPoint") for t in gtypes)
        if pts:
            out.append(Finding(file, f"{where}{path}", "point", f"{pts:,} point feature(s)"))
        if len(frame.columns):
            frame = frame.loc[:, [c for c in frame.columns
                                  if frame[c].map(lambda x: not isinstance(x, (dict, list))).all()]]
            out += [f for f in scan_table(frame, threshold, file=file, where=f"{where}{path}", geometry=False)
                    if f.rule not in ("sensitive", "quarantine", "input_path", "label")]
    return out


# ---- HTML --------------------------------------------------------------------------------------

class _Page(HTMLParser):
    """Visible text, tables, scripts and images of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self.tables: list[list[list[tuple[str, bool]]]] = []
        self.images: list[str] = []
        self._script: dict | None = None
        self._buf: list[str] = []
        self._cell: list[str] | None = None
        self._th = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "script":
            self._script, self._buf = a, []
        elif tag == "style":
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell, self._th = [], tag == "th"
        elif tag == "img":
            self.images.append(a.get("src", ""))
        for k, v in a.items():
            if k in ("title", "alt", "value", "content") or k.startswith("data-"):
                self.text.append(v)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None
        elif tag == "style":
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(("".join(self._cell).strip(), self._th))
            self._cell = None

    def handle_data(self, data):
        if self._script is not None:
            self._buf.append(data)
            return
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


_JSON_START = re.compile(r"[\{\[]\s*[\"\{\[\d\-]")
_MARKER = re.compile(r"\bL\.(marker|circleMarker|circle)\s*\(\s*\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)")


_FRAGMENT = re.compile(r"`(\s*<(?:div|table|b|p|span)\b.*?)`", re.S)


def _is_data(obj: Any, series: bool = False) -> bool:
    """Data, not a widget's options or library code: GeoJSON, a list of >= 2 records and, in a
    JSON data block (``series``), any value."""
    if series:
        return isinstance(obj, (dict, list)) and bool(obj)
    if isinstance(obj, dict):
        return obj.get("type") in ("FeatureCollection", "Feature", "Point", "MultiPoint")
    if isinstance(obj, list) and obj:
        if all(isinstance(x, dict) for x in obj):
            return len(obj) >= 2 or any(x.get("type") == "Feature" for x in obj)
        return any(_is_data(x) for x in obj)
    return False


def _polygons(obj: Any) -> list:
    """Polygons (at least 250 m across) of the GeoJSON in ``obj``, for judging markers."""

    out = []
    feats = obj.get("features", []) if isinstance(obj, dict) and obj.get("type") == "FeatureCollection" else []
    for f in feats:
        g = (f or {}).get("geometry") or {}
        if g.get("type") in ("Polygon", "MultiPolygon"):
            try:
                geom = shape(g)
            except Exception:
                continue
            minx, miny, maxx, maxy = geom.bounds
            # 250 m is about 0.00225 degrees of latitude (and of longitude x cos(latitude))
            if (maxy - miny) >= 0.00225 * 0.999 and (maxx - minx) * np.cos(np.radians(miny)) >= 0.00225 * 0.999:
                out.append(geom)
    return out


def _loose_points(markers: list, polygons: list, file: str) -> list[Finding]:
    """Markers not inside any published polygon of at least 250 m: offence-level points.

    Each marker is judged on its own (a label or a route stop never excuses another point).
    """
    if not markers:
        return []

    tree = STRtree(polygons) if polygons else None
    loose = []
    for kind, lat, lon in markers:
        pt = Point(lon, lat)
        inside = tree is not None and any(polygons[i].covers(pt) for i in tree.query(pt))
        if not inside:
            loose.append((kind, lat, lon))
    if not loose:
        return []
    k, la, lo = loose[0]
    return [Finding(file, "script", "point", f"{len(loose):,} Leaflet marker(s) outside every published "
                    f"polygon of >= 250 m (e.g. {k} at [{la}, {lo}]): an offence-level location")]


def _embedded_json(js: str, min_len: int = 2) -> Iterator[Any]:
    dec = json.JSONDecoder()
    i = 0
    while True:
        m = _JSON_START.search(js, i)
        if not m:
            return
        try:
            obj, end = dec.raw_decode(js, m.start())
        except ValueError:
            i = m.start() + 1
            continue
        if end - m.start() >= min_len:
            yield obj
        i = end


def _table_frame(rows: list[list[tuple[str, bool]]]) -> pd.DataFrame | None:
    rows = [r for r in rows if r]
    if not rows:
        return None
    if all(len(r) == 2 and r[0][1] and not r[1][1] for r in rows):  # a key-value table: one record
        names = [k for (k, _), _ in rows]
        names = [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]
        return pd.DataFrame([[v for _, (v, _) in rows]], columns=names)
    head = [c for c, _ in rows[0]] if all(th for _, th in rows[0]) else None
    body = rows[1:] if head else rows
    width = max(len(r) for r in body) if body else 0
    if not width:
        return None
    data = [[c for c, _ in r] + [""] * (width - len(r)) for r in body]
    cols = (head + [f"col{i}" for i in range(len(head), width)])[:width] if head else [f"col{i}" for i in range(width)]
    cols = [c if cols.count(c) == 1 else f"{c}#{i}" for i, c in enumerate(cols)]
    return pd.DataFrame(data, columns=cols)


def scan_html(text: str, threshold: int = 5, *, file: str = "<page>",
              published: frozenset[str] = frozenset(), fragment: bool = False) -> list[Finding]:
    """Findings in a page: visible text, tables, embedded JSON/GeoJSON, markers and charts.

    ``fragment`` is for HTML held in a script string (a popup): no handling label expected.
    """
    page = _Page()
    page.feed(text)
    out: list[Finding] = []
    if _FULL in text:
        out.append(Finding(file, "page", "label", f"carries {_FULL}"))
    elif not fragment and not re.search(rf"\b{_PUBLIC}\b", text):
        out.append(Finding(file, "page", "label", f"no {_PUBLIC} handling label"))
    visible = [t for t in page.text if t.strip()]
    out += _scan_strings(visible, file, "text", published)
    for i, rows in enumerate(page.tables):
        df = _table_frame(rows)
        if df is None:
            continue
        out += [f for f in scan_table(df, threshold, file=file, where=f"table {i + 1}", geometry=False)
                if f.rule not in ("sensitive", "quarantine", "input_path", "label")]
        for j, row in df.iterrows():
            cells = [str(x) for x in row]
            if any(_SUPPRESSED.match(c) and c.strip() for c in cells):
                signed = [c for c in cells if _SIGNED.match(c)]
                if signed:
                    out.append(Finding(file, f"table {i + 1} row {j + 1}", "recoverable",
                                       f"change {signed[0]!r} published beside withheld counts"))
    charts = 0
    polygons: list = []
    markers: list[tuple[str, float, float]] = []
    for attrs, js in page.scripts:
        if attrs.get("src"):
            continue
        kind = attrs.get("type", "")
        if "chart-data" in attrs.get("class", ""):
            charts += 1
        for j, obj in enumerate(_embedded_json(js)):
            if _is_data(obj, series="json" in kind):
                out += scan_json_value(obj, threshold, file, f"script {kind or 'js'} #{j + 1} ", published)
                polygons += _polygons(obj)
        markers += [(m.group(1), float(m.group(2)), float(m.group(3))) for m in _MARKER.finditer(js)]
        for frag in _FRAGMENT.findall(js):
            out += [Finding(f.file, f"script html: {f.where}", f.rule, f.detail)
                    for f in scan_html(frag, threshold, file=file, published=published, fragment=True)]
    out += _loose_points(markers, polygons, file)
    imgs = [s for s in page.images if s.startswith("data:image")]
    if len(imgs) > charts:
        out.append(Finding(file, "images", "chart",
                           f"{len(imgs) - charts} embedded chart image(s) without a chart-data table"))
    return _dedupe_detail(out)


# ---- files and folders -------------------------------------------------------------------------

def scan_file(path: str | Path, threshold: int = 5, *, root: str | Path | None = None,
              published: frozenset[str] | None = None) -> list[Finding]:
    """Findings in one published file (its type judged from its extension)."""
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    name = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
    if published is None:
        published = _published_names(root)
    suf = path.suffix.lower()
    try:
        if suf == ".gpkg":
            return _scan_gpkg(path, threshold, name)
        if suf == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            return scan_table(df, threshold, file=name)
        if suf in (".json", ".geojson"):
            return scan_json_value(json.loads(path.read_text(encoding="utf-8")), threshold, name, "",
                                   published)
        if suf in (".html", ".htm"):
            return scan_html(path.read_text(encoding="utf-8"), threshold, file=name, published=published)
        if suf == ".png":
            side = [path.with_suffix(s) for s in (".csv", ".json")]
            if not any(p.exists() for p in side):
                return [Finding(name, "file", "chart", "chart without its source table (.csv/.json beside it)")]
            return []
        if suf in (".txt", ".md"):
            return _scan_strings([path.read_text(encoding="utf-8")], name, "text", published)
    except Exception as exc:  # a file the scan cannot read is not fit to publish
        return [Finding(name, "file", "unreadable", f"{type(exc).__name__}: {exc}")]
    return [Finding(name, "file", "unreadable", f"unknown file type {suf!r}: cannot be checked")]


def _scan_gpkg(path: Path, threshold: int, name: str) -> list[Finding]:

    out: list[Finding] = []
    for layer, gtype in pyogrio.list_layers(path):
        out += _scan_names([str(layer)], name, "layer names")
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
        if gtype and "point" in str(gtype).lower() and not len(gdf):
            out.append(Finding(name, f"layer {layer!r}", "point", f"a {gtype} layer"))
        out += scan_table(gdf, threshold, file=name, where=f"layer {layer!r}")
    return out


def _published_names(root: Path) -> frozenset[str]:
    names: set[str] = set()
    if root.is_dir():
        for p in root.rglob("*"):
            if p.is_file():
                names.add(p.name.lower())
                names.add(str(p.relative_to(root)).lower())
    return frozenset(names)


def scan_folder(folder: str | Path, threshold: int = 5) -> list[Finding]:
    """Findings in every file under ``folder`` (hidden files included; nothing is skipped).

    Parameters
    ----------
    folder : str or Path
        A published (public) folder.
    threshold : int
        Counts from 1 to ``threshold - 1`` must not be published or recoverable.

    Returns
    -------
    list of Finding
        Empty when the folder is fit to publish.
    """
    folder = Path(folder)
    published = _published_names(folder)
    out: list[Finding] = []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out += _scan_names([p.name], str(p.relative_to(folder)), "file name")
            out += scan_file(p, threshold, root=folder, published=published)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m hotspot.publish.scan FOLDER [THRESHOLD]``: print findings, exit 1 if any."""

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m hotspot.publish.scan FOLDER [THRESHOLD]", file=sys.stderr)
        return 2
    found = scan_folder(args[0], int(args[1]) if len(args) > 1 else 5)
    for f in found:
        print(f)
    print(f"{len(found)} finding(s)")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

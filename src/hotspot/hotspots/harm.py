"""Harm weights for offences and hot spots ranked by count and by harm side by side.

A count treats a common assault and a wounding alike. A harm index weights each offence by its
seriousness: the **Cambridge Crime Harm Index** (CCHI) by the starting-point custodial sentence
(in days) of the Sentencing Council guideline for a first offender [1]_, the **ONS Crime
Severity Score** (CSS) by the average sentence handed down for each Home Office offence code [2]_.
Both are published as tables keyed by offence; this module reads such a table and gives every
offence its weight:

* by **Home Office offence code** (``"008/01"``; timestamped extracts carry it in
  ``offence_code`` or at the start of ``offence_subtype``), which is what both indices are
  published by;
* by **police.uk crime type** (``"Robbery"``, ``"Violence and sexual offences"``) for the public
  street-level data, which carries no finer code: the weight of a broad category is the average
  of its offences' weights over a reference mix, which the table must state itself (a
  ``police_uk`` section), since neither index publishes one.

The table is data, not code: no weights are built in (the published ones change between
editions and must be quoted from the edition in use). :func:`load_harm_index` reads a CSV
(``key,weight[,source]`` with ``key`` an offence code or a police.uk crime type) or a TOML file
(``[weights]`` mapping key to weight, ``source = "..."``), and an override file of the same shape
replaces single entries. Offences whose key is not in the table get ``default`` (1, i.e. a
count) and are reported, never silently dropped.

References
----------
.. [1] Sherman, L., Neyroud, P. W., Neyroud, E. (2016). The Cambridge Crime Harm Index:
   measuring total harm from crime based on sentencing guidelines. *Policing* 10(3), 171-183.
.. [2] Office for National Statistics (2016, updated yearly). Research outputs: developing a
   Crime Severity Score for England and Wales using data on crimes recorded by the police;
   dataset "Crime Severity Score (Experimental Statistics)" (weights by offence code).
.. [3] Weinborn, C., Ariel, B., Sherman, L. W., O'Dwyer, E. (2017). Hotspots vs. harmspots:
   shifting the focus from counts to harm in the criminology of place. *Applied Geography* 86,
   226-244.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, InputError
from hotspot.paths import repo_root

_CODE = re.compile(r"^\s*(\d{1,3}[A-Z]?/\d{1,2}[A-Z]?)\b")
#: A Home Office offence classification code as the ONS CSS and the recorded crime tables print it.
_CLASS = re.compile(r"^\s*0*(\d{1,3})((?:\.\d{1,2})?)([A-Z]?)\s*$")

#: The name that selects the ONS CSS weights shipped in ``data/harm`` (see its README).
BUILTIN = {"ons-css": "ons_css_weights.csv"}


def builtin_path(name: str) -> Path:
    """Path of a shipped harm table (``"ons-css"``)."""
    return repo_root() / "data" / "harm" / BUILTIN[name]


@dataclass(frozen=True)
class HarmIndex:
    """Weights by offence code and by police.uk crime type, with their source.

    ``by_type`` holds the police.uk categories that have one weight: given in the table, or
    identified from it (every code of the category has the same weight, e.g. robbery in the ONS
    CSS). ``ranges`` holds the categories whose codes differ, with the least and greatest weight:
    a police.uk row of such a category has no weight (police.uk does not say which offence it was).
    """

    by_code: dict[str, float]
    by_type: dict[str, float]
    source: str = ""
    default: float = 1.0
    path: str = ""
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    name: str = ""

    def lookup(self, offences: pd.DataFrame) -> np.ndarray:
        """Harm weight of every offence, NaN where the table has none.

        The offence code decides (``offence_code``, else a leading Home Office code in
        ``offence_subtype``); without one, the police.uk crime type, if the category has one
        weight.
        """
        n = len(offences)
        w = np.full(n, np.nan)
        if self.by_code:
            codes = pd.Series([""] * n, index=offences.index)
            if "offence_code" in offences.columns:
                codes = offences["offence_code"].fillna("").astype(str).map(_norm_code)
            if "offence_subtype" in offences.columns:
                lead = offences["offence_subtype"].fillna("").astype(str).str.extract(_CODE, expand=False)
                codes = codes.where(codes != "", lead.fillna("").map(_norm_code))
            w = codes.map(self.by_code).to_numpy(dtype=float)
        if self.by_type and "crime_type" in offences.columns:
            t = offences["crime_type"].astype(str).str.strip().str.lower()
            by = {k.lower(): v for k, v in self.by_type.items()}
            fill = t.map(by).to_numpy(dtype=float)
            w = np.where(np.isnan(w), fill, w)
        return w

    def unmatched(self, offences: pd.DataFrame, w: np.ndarray | None = None) -> dict[str, int]:
        """Offences without a weight, counted by crime type (and code, where there is one)."""
        w = self.lookup(offences) if w is None else w
        miss = np.isnan(w)
        if not miss.any():
            return {}
        sub = offences.loc[miss]
        key = sub["crime_type"].astype(str) if "crime_type" in sub else pd.Series("?", index=sub.index)
        if "offence_code" in sub:
            code = sub["offence_code"].fillna("").astype(str).str.strip()
            key = key.where(code == "", key + " (code " + code + ")")
        return {str(k): int(v) for k, v in key.value_counts().items()}

    def why_unmatched(self, unmatched: dict[str, int]) -> str:
        """One sentence an analyst can act on: which offences have no weight, and what to do."""
        parts = []
        for k, v in sorted(unmatched.items(), key=lambda kv: -kv[1]):
            lo_hi = self.ranges.get(k)
            rng = (f": police.uk does not say which offence, and its codes weigh {lo_hi[0]:,.1f} to "
                   f"{lo_hi[1]:,.1f}" if lo_hi else "")
            parts.append(f"{v:,} {k}{rng}")
        return ("no harm weight for " + "; ".join(parts) + ". Use an extract with Home Office offence "
                "codes, or add the missing keys (a code, or a police.uk category with a documented "
                "weight) in [hotspots] harm_override")

    def weights(self, offences: pd.DataFrame) -> np.ndarray:
        """Harm weight of every offence (code first, then police.uk type, else ``default``).

        Parameters
        ----------
        offences : DataFrame
            The offences table (:mod:`hotspot.schema`); uses ``offence_code`` if present, else a
            leading Home Office code in ``offence_subtype``, then ``crime_type``.

        Returns
        -------
        ndarray of float
            One weight per row; :meth:`unmatched` says which rows took ``default``.
        """
        w = self.lookup(offences)
        return np.where(np.isnan(w), self.default, w)


def _norm_code(code: str) -> str:
    """A Home Office code as the tables key it: ``"8/1"`` -> ``"008/01"``, ``"08n"`` -> ``"8N"``.

    Two forms exist: counting-rules class/subclass (``"008/01"``) and the offence classification
    codes of the recorded crime tables and the ONS CSS (``"8N"``, ``"105A"``, ``"4.1"``).
    Anything else is ``""`` (not a code).
    """
    text = str(code).strip().upper()
    m = re.match(r"^\s*(\d{1,3})([A-Z]?)/(\d{1,2})([A-Z]?)\s*$", text)
    if m:
        return f"{int(m.group(1)):03d}{m.group(2)}/{int(m.group(3)):02d}{m.group(4)}"
    c = _CLASS.match(text)
    if c:
        return f"{int(c.group(1))}{c.group(2)}{c.group(3)}"
    return ""


def _expand_key(key: str) -> list[str]:
    """Codes of one table key: ONS writes homicide as ``"1, 4.1/2/10"`` (1, 4.1, 4.2 and 4.10)."""
    out: list[str] = []
    for part in str(key).split(","):
        pieces = [p.strip() for p in part.split("/")]
        if len(pieces) > 1 and "." in pieces[0] and all(p.isdigit() for p in pieces[1:]):
            head = pieces[0].split(".")[0]
            pieces = [pieces[0]] + [f"{head}.{p}" for p in pieces[1:]]
        elif len(pieces) > 1:  # class/subclass "008/01"
            pieces = [part.strip()]
        out += [p for p in (_norm_code(q) for q in pieces) if p]
    return out


def _read_table(path: Path) -> tuple[dict[str, float], str, dict[str, str]]:
    if not path.exists():
        raise InputError("harm index file not found: give a CSV (key,weight[,source]) or TOML "
                         "([weights] table) of the published CCHI or ONS CSS weights, or "
                         "harm_index = \"ons-css\" for the shipped ONS CSS table", path=path)
    category: dict[str, str] = {}
    if path.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML ({exc}): fix the file", path=path) from None
        table = doc.get("weights")
        if not isinstance(table, dict) or not table:
            raise InputError("no [weights] table: add one mapping offence code or police.uk crime "
                             "type to its weight", path=path)
        pairs = list(table.items())
        source = str(doc.get("source", ""))
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        cols = {c.strip().lower(): c for c in df.columns}
        if "key" not in cols or "weight" not in cols:
            raise InputError(f"columns {list(df.columns)}: the harm index CSV needs 'key' and "
                             "'weight' (and optionally 'source', 'category')", path=path)
        pairs = list(zip(df[cols["key"]], df[cols["weight"]]))
        source = "; ".join(sorted(set(df[cols["source"]]) - {""})) if "source" in cols else ""
        if "category" in cols:
            category = {str(k).strip(): str(c).strip() for k, c in zip(df[cols["key"]], df[cols["category"]])}
    out: dict[str, float] = {}
    for i, (k, v) in enumerate(pairs):
        try:
            val = float(v)
        except (TypeError, ValueError):
            raise InputError(f"weight {v!r} of {k!r} is not a number", path=path, row=i + 2,
                             column="weight") from None
        if not np.isfinite(val) or val < 0:
            raise InputError(f"weight {v!r} of {k!r} must be finite and >= 0", path=path, row=i + 2,
                             column="weight")
        out[str(k).strip()] = val
    return out, source, category


def load_harm_index(path: str | Path, *, override: str | Path | None = None,
                    default: float = 1.0) -> HarmIndex:
    """Read a harm index table (CSV or TOML), optionally overridden entry by entry.

    Parameters
    ----------
    path : str or Path
        ``"ons-css"`` (the ONS Crime Severity Score weights shipped in ``data/harm``), or the
        published weights (CCHI or ONS CSS) as ``key,weight[,source][,category]`` CSV or TOML
        ``[weights]``. Keys that look like Home Office offence codes (``"8N"``, ``"105A"``,
        ``"008/01"``, ``"1, 4.1/2/10"``) are codes; every other key is a police.uk crime type.
        A ``category`` column (the police.uk crime type of each code) gives a police.uk category
        its weight when all of its codes weigh the same (robbery in the ONS CSS); a category whose
        codes differ gets no weight, and its range is kept to say why.
    override : str or Path, optional
        A second table of the same shape whose entries replace (or add to) the first.
    default : float
        Weight :meth:`HarmIndex.weights` gives an offence whose key is in neither table.

    Returns
    -------
    HarmIndex
    """
    if not (isinstance(default, (int, float)) and np.isfinite(default) and default >= 0):
        raise ArgumentError("default", default, "a finite weight >= 0 (1 = count unmatched offences once)")
    if isinstance(path, str) and path in BUILTIN:
        path = builtin_path(path)
    # the shipped table keeps its name however it was given ("ons-css" or its path)
    name = next((k for k in BUILTIN if Path(path).resolve() == builtin_path(k).resolve()), "")
    table, source, category = _read_table(Path(path))
    if override is not None:
        extra, src2, cat2 = _read_table(Path(override))
        table.update(extra)
        category.update(cat2)
        source = "; ".join(s for s in (source, f"overrides: {src2 or Path(override).name}") if s)
    by_code: dict[str, float] = {}
    by_type: dict[str, float] = {}
    per_cat: dict[str, list[float]] = {}
    for k, v in table.items():
        codes = _expand_key(k)
        if not codes:
            by_type[k] = v
            continue
        for code in codes:
            by_code[code] = v
        if category.get(k):
            per_cat.setdefault(category[k], []).append(v)
    ranges: dict[str, tuple[float, float]] = {}
    for cat, ws in per_cat.items():
        if cat in by_type:
            continue
        lo, hi = min(ws), max(ws)
        if np.isclose(lo, hi, rtol=1e-9, atol=0):
            by_type[cat] = lo
        else:
            ranges[cat] = (lo, hi)
    return HarmIndex(by_code=by_code, by_type=by_type, source=source, default=float(default),
                     path=str(path), ranges=ranges, name=name)


def rank_count_and_harm(places: pd.DataFrame, *, count: str = "count", harm: str = "harm",
                        top: int | None = None) -> pd.DataFrame:
    """Places ranked by count and by harm side by side.

    Parameters
    ----------
    places : DataFrame
        One row per place (hot spot, cell, LSOA) with a count column and a harm column.
    count, harm : str
        Column names.
    top : int, optional
        Keep the places in the top ``top`` of either ranking.

    Returns
    -------
    DataFrame
        The input with ``rank_count`` and ``rank_harm`` (1 = highest; ties share the best rank),
        ``harm_per_offence`` and ``in_both`` (in the top of both rankings when ``top`` is given),
        sorted by harm rank then count rank.

    References
    ----------
    .. [1] Weinborn et al. (2017), hotspots vs harmspots: the two rankings overlap only in part.
    """
    for c in (count, harm):
        if c not in places.columns:
            raise ArgumentError("places", f"columns {list(places.columns)}", f"a {c!r} column")
    out = places.copy()
    out["rank_count"] = out[count].rank(ascending=False, method="min").astype(int)
    out["rank_harm"] = out[harm].rank(ascending=False, method="min").astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["harm_per_offence"] = np.where(out[count] > 0, out[harm] / out[count], np.nan)
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
            raise ArgumentError("top", top, "a positive integer")
        out["in_both"] = (out["rank_count"] <= top) & (out["rank_harm"] <= top)
        out = out[(out["rank_count"] <= top) | (out["rank_harm"] <= top)]
    return out.sort_values(["rank_harm", "rank_count"]).reset_index(drop=True)


def describe(index: HarmIndex) -> dict[str, Any]:
    """Provenance of a harm index for reports (name, source, sizes, path)."""
    return {"name": index.name or Path(index.path).name, "source": index.source, "path": index.path,
            "codes": len(index.by_code), "police_uk_types": dict(sorted(index.by_type.items())),
            "police_uk_types_without_weight": {k: list(v) for k, v in sorted(index.ranges.items())}}

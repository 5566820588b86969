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

_CODE = re.compile(r"^\s*(\d{1,3}[A-Z]?/\d{1,2}[A-Z]?)\b")


@dataclass(frozen=True)
class HarmIndex:
    """Weights by offence code and by police.uk crime type, with their source."""

    by_code: dict[str, float]
    by_type: dict[str, float]
    source: str = ""
    default: float = 1.0
    path: str = ""
    unmatched: dict[str, int] = field(default_factory=dict)

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
            One weight per row; unmatched keys are counted in ``self.unmatched``.
        """
        n = len(offences)
        w = np.full(n, np.nan)
        if self.by_code:
            if "offence_code" in offences.columns:
                codes = offences["offence_code"].astype(str).map(_norm_code)
            elif "offence_subtype" in offences.columns:
                codes = offences["offence_subtype"].astype(str).str.extract(_CODE, expand=False)
                codes = codes.fillna("").map(_norm_code)
            else:
                codes = pd.Series([""] * n, index=offences.index)
            w = codes.map(self.by_code).to_numpy(dtype=float)
        if self.by_type and "crime_type" in offences.columns:
            t = offences["crime_type"].astype(str).str.strip().str.lower()
            by = {k.lower(): v for k, v in self.by_type.items()}
            fill = t.map(by).to_numpy(dtype=float)
            w = np.where(np.isnan(w), fill, w)
        miss = np.isnan(w)
        self.unmatched.clear()
        if miss.any() and "crime_type" in offences.columns:
            vc = offences.loc[miss, "crime_type"].astype(str).value_counts()
            self.unmatched.update({str(k): int(v) for k, v in vc.items()})
        return np.where(miss, self.default, w)


def _norm_code(code: str) -> str:
    """``"8/1"`` -> ``"008/01"``; the Home Office code as the indices print it."""
    m = re.match(r"^\s*(\d{1,3})([A-Z]?)/(\d{1,2})([A-Z]?)\s*$", str(code).upper())
    if not m:
        return ""
    return f"{int(m.group(1)):03d}{m.group(2)}/{int(m.group(3)):02d}{m.group(4)}"


def _read_table(path: Path) -> tuple[dict[str, float], str]:
    if not path.exists():
        raise InputError("harm index file not found: give a CSV (key,weight[,source]) or TOML "
                         "([weights] table) of the published CCHI or ONS CSS weights", path=path)
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
                             "'weight' (and optionally 'source')", path=path)
        pairs = list(zip(df[cols["key"]], df[cols["weight"]]))
        source = "; ".join(sorted(set(df[cols["source"]]) - {""})) if "source" in cols else ""
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
    return out, source


def load_harm_index(path: str | Path, *, override: str | Path | None = None,
                    default: float = 1.0) -> HarmIndex:
    """Read a harm index table (CSV or TOML), optionally overridden entry by entry.

    Parameters
    ----------
    path : str or Path
        The published weights (CCHI or ONS CSS) as ``key,weight[,source]`` CSV or TOML
        ``[weights]``. Keys that look like Home Office offence codes (``"008/01"``, ``"8/1"``)
        are codes; every other key is a police.uk crime type.
    override : str or Path, optional
        A second table of the same shape whose entries replace (or add to) the first.
    default : float
        Weight of an offence whose key is in neither table (1 = counted, not weighted).

    Returns
    -------
    HarmIndex
    """
    if not (isinstance(default, (int, float)) and np.isfinite(default) and default >= 0):
        raise ArgumentError("default", default, "a finite weight >= 0 (1 = count unmatched offences once)")
    table, source = _read_table(Path(path))
    if override is not None:
        extra, src2 = _read_table(Path(override))
        table.update(extra)
        source = "; ".join(s for s in (source, f"overrides: {src2 or Path(override).name}") if s)
    by_code: dict[str, float] = {}
    by_type: dict[str, float] = {}
    for k, v in table.items():
        code = _norm_code(k)
        (by_code if code else by_type)[code or k] = v
    return HarmIndex(by_code=by_code, by_type=by_type, source=source, default=float(default),
                     path=str(path))


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
    """Provenance of a harm index for reports (source, sizes, path)."""
    return {"source": index.source, "path": index.path, "codes": len(index.by_code),
            "police_uk_types": len(index.by_type), "default": index.default}

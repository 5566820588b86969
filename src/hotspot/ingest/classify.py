"""Serious-violence classification with configurable rules.

Each category of :data:`hotspot.schema.SV_CATEGORIES` (except ``domestic_serious``) is a rule::

    [categories.vap_injury]
    crime_types = ["Violence and sexual offences"]   # [] = any crime type
    subtype_pattern = '(?i)injur|wound|gbh|abh'       # regex searched in offence_subtype; "" = any
    exclude_pattern = '(?i)without injury'            # regex that vetoes a match; "" = none
    knife = true                                      # only rows with the knife flag (omit: any)
    enabled = true

A row takes the first matching category in ``order``. With ``domestic_takes_precedence = true`` a
serious row whose ``domestic`` flag is set becomes ``domestic_serious`` instead. The defaults and an
example override are documented in ``docs/serious_violence.md``.

References
----------
.. [1] HM Government (2018). *Serious Violence Strategy*. Home Office.
.. [2] Home Office (2022). *Serious Violence Duty: statutory guidance*, chapter 2 (definition).
"""

from __future__ import annotations

import copy
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from hotspot.errors import ConfigError
from hotspot.schema import POLICEUK_CRIME_TYPES, SV_CATEGORIES

VSO = "Violence and sexual offences"

#: The default rules (see docs/serious_violence.md for the reasoning).
DEFAULT_RULES: dict[str, Any] = {
    "order": ["homicide", "sexual", "vap_knife", "robbery", "vap_injury"],
    "domestic_takes_precedence": True,
    "categories": {
        "homicide": {
            "crime_types": [VSO],
            "subtype_pattern": r"(?i)\b(?:murder|manslaughter|homicide|infanticide)\b",
            "exclude_pattern": r"(?i)\b(?:attempted|conspiracy|threat)",
        },
        "sexual": {
            "crime_types": [VSO],
            "subtype_pattern": r"(?i)\brape\b|sexual assault|assault by penetration",
            "exclude_pattern": "",
        },
        "vap_knife": {
            "crime_types": [VSO, "Robbery"],
            "subtype_pattern": "",
            "exclude_pattern": "",
            "knife": True,
        },
        "robbery": {
            "crime_types": ["Robbery"],
            "subtype_pattern": "",
            "exclude_pattern": "",
        },
        "vap_injury": {
            "crime_types": [VSO],
            "subtype_pattern": (r"(?i)with injury|\binjur|\bwound|\bgbh\b|\babh\b|grievous bodily harm|"
                                r"actual bodily harm"),
            "exclude_pattern": r"(?i)without injury",
        },
    },
}
RULE_KEYS = {"crime_types", "subtype_pattern", "exclude_pattern", "knife", "enabled"}
RULE_CATEGORIES = [c for c in SV_CATEGORIES if c not in ("domestic_serious", "violence_and_sexual_offences")]

#: The analysed set for police.uk rows, which carry only the crime type (no subtype, knife or domestic
#: flag): every "Violence and sexual offences" and "Robbery" row, named so in outputs.
POLICEUK_SELECTION = {VSO: "violence_and_sexual_offences", "Robbery": "robbery"}
POLICEUK_SELECTION_LABEL = "Violence and sexual offences, and robbery (police.uk categories)"
SERIOUS_VIOLENCE_LABEL = "Serious violence (rules: docs/serious_violence.md)"
#: How a flag police.uk does not publish is shown: never False or 0.
NOT_AVAILABLE = "not available"


def load_rules(rules: Mapping | str | Path | None = None) -> dict[str, Any]:
    """Merge user rules (dict or TOML path) over :data:`DEFAULT_RULES` and validate them.

    A category given by the user replaces the keys it names and keeps the others.

    Raises
    ------
    ConfigError
        Unknown key or category, a crime type not on police.uk, a bad regular expression.
    """
    path = None
    if rules is None:
        user: dict = {}
    elif isinstance(rules, (str, Path)):
        path = Path(rules)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("rules file not found; check the --rules path", path=path) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"not valid UTF-8 TOML ({exc})", path=path) from None
    elif isinstance(rules, Mapping):
        user = copy.deepcopy(dict(rules))
    else:
        raise ConfigError(f"rules must be a dict or a TOML path, got {type(rules).__name__}")
    out = copy.deepcopy(DEFAULT_RULES)
    for key, value in user.items():
        if key == "order":
            if not isinstance(value, list) or any(v not in RULE_CATEGORIES for v in value) \
                    or len(set(value)) != len(value):
                raise ConfigError(f"got {value!r}; list each of {RULE_CATEGORIES} at most once", key="order",
                                  path=path)
            out["order"] = list(value)
        elif key == "domestic_takes_precedence":
            if not isinstance(value, bool):
                raise ConfigError(f"got {value!r}; use true or false", key=key, path=path)
            out[key] = value
        elif key == "categories":
            if not isinstance(value, Mapping):
                raise ConfigError("must be a table of [categories.<name>]", key=key, path=path)
            for cat, body in value.items():
                if cat not in RULE_CATEGORIES:
                    raise ConfigError(f"unknown category; use one of {RULE_CATEGORIES}",
                                      key=f"categories.{cat}", path=path)
                if not isinstance(body, Mapping):
                    raise ConfigError("must be a table", key=f"categories.{cat}", path=path)
                rule = out["categories"].setdefault(cat, {"crime_types": [], "subtype_pattern": "",
                                                          "exclude_pattern": ""})
                for k, v in body.items():
                    if k not in RULE_KEYS:
                        raise ConfigError(f"unknown key; use one of {sorted(RULE_KEYS)}",
                                          key=f"categories.{cat}.{k}", path=path)
                    rule[k] = v
        else:
            raise ConfigError("unknown key; use order, domestic_takes_precedence or [categories.<name>]",
                              key=key, path=path)
    for cat, rule in out["categories"].items():
        where = f"categories.{cat}"
        types = rule.get("crime_types", [])
        if not isinstance(types, list) or any(t not in POLICEUK_CRIME_TYPES for t in types):
            raise ConfigError(f"got {types!r}; list police.uk crime types from {POLICEUK_CRIME_TYPES}",
                              key=f"{where}.crime_types", path=path)
        for k in ("subtype_pattern", "exclude_pattern"):
            pat = rule.get(k, "")
            if not isinstance(pat, str):
                raise ConfigError(f"got {pat!r}; use a regular expression string", key=f"{where}.{k}", path=path)
            try:
                re.compile(pat)
            except re.error as exc:
                raise ConfigError(f"invalid regular expression ({exc})", key=f"{where}.{k}", path=path) from None
        for k in ("knife", "enabled"):
            if k in rule and not isinstance(rule[k], bool):
                raise ConfigError(f"got {rule[k]!r}; use true or false", key=f"{where}.{k}", path=path)
    return out


def _matches(df: pd.DataFrame, rule: Mapping[str, Any]) -> np.ndarray:
    n = len(df)
    m = np.ones(n, dtype=bool)
    if rule.get("crime_types"):
        m &= df["crime_type"].isin(rule["crime_types"]).to_numpy()
    if "knife" in rule:
        # an unknown flag (NA: police.uk) matches neither knife = true nor knife = false
        knife = df["knife"] if "knife" in df else pd.Series(False, index=df.index)
        m &= (knife.notna() & (knife.fillna(False).astype(bool) == rule["knife"])).to_numpy(dtype=bool)
    pats = [(rule.get("subtype_pattern"), True), (rule.get("exclude_pattern"), False)]
    if not any(p for p, _ in pats) or not m.any():
        return m
    idx = np.flatnonzero(m)  # regexes only on the candidate rows
    sub = (df["offence_subtype"].iloc[idx].fillna("").astype(str) if "offence_subtype" in df
           else pd.Series("", index=df.index[idx], dtype=object))
    keep = np.ones(idx.size, dtype=bool)
    with warnings.catch_warnings():  # user patterns may use capture groups: harmless here
        warnings.simplefilter("ignore", UserWarning)
        for pat, want in pats:
            if pat:
                keep &= sub.str.contains(pat, regex=True).to_numpy(dtype=bool) == want
    m[idx[~keep]] = False
    return m


def classify(df: pd.DataFrame, rules: Mapping | str | Path | None = None, *,
             policeuk=False) -> pd.DataFrame:
    """Set ``serious_violence`` (bool) and ``sv_category`` on a copy of ``df``.

    Parameters
    ----------
    df : DataFrame
        Offences with ``crime_type`` and optionally ``offence_subtype``, ``knife``, ``domestic``.
    rules : dict or path, optional
        Overrides of :data:`DEFAULT_RULES` (see :func:`load_rules`); they apply to timestamped
        extracts.
    policeuk : bool or array of bool
        Rows from police.uk street-level files. police.uk cannot separate serious from other
        violence, so these rows are analysed by :data:`POLICEUK_SELECTION` instead of the rules:
        every "Violence and sexual offences" row (category ``violence_and_sexual_offences``) and
        every "Robbery" row (``robbery``), labelled :data:`POLICEUK_SELECTION_LABEL`.

    Returns
    -------
    DataFrame
        ``df`` with ``serious_violence`` (True for the analysed set) and ``sv_category`` (one of
        :data:`~hotspot.schema.SV_CATEGORIES`, or ``""``).
    """
    cfg = load_rules(rules)
    out = df.copy()
    cat = np.full(len(df), "", dtype=object)
    for name in cfg["order"]:
        rule = cfg["categories"].get(name)
        if rule is None or not rule.get("enabled", True):
            continue
        m = (cat == "") & _matches(df, rule)
        cat[m] = name
    if cfg["domestic_takes_precedence"] and "domestic" in df:
        cat[(cat != "") & df["domestic"].fillna(False).astype(bool).to_numpy()] = "domestic_serious"
    puk = np.broadcast_to(np.asarray(policeuk, dtype=bool), (len(df),))
    if puk.any():
        cat[puk] = df["crime_type"].map(POLICEUK_SELECTION).fillna("").to_numpy(dtype=object)[puk]
    out["serious_violence"] = cat != ""
    out["sv_category"] = cat
    return out


def selection_label(offences: pd.DataFrame) -> str:
    """What the analysed set (``serious_violence``) is, for titles and methods notes.

    police.uk rows (``time_precision == "month"`` with the police.uk categories) are "Violence and
    sexual offences, and robbery (police.uk categories)"; timestamped extracts are serious violence
    under the rules; both when mixed.
    """
    cats = set(offences.get("sv_category", pd.Series(dtype=object)).astype(str)) - {""}
    puk = "violence_and_sexual_offences" in cats or (
        "time_precision" in offences and (offences["time_precision"] == "month").all() and len(offences) > 0)
    rules = bool(cats - {"violence_and_sexual_offences", "robbery"}) or (
        "time_precision" in offences and (offences["time_precision"] != "month").any())
    if puk and rules:
        return f"{POLICEUK_SELECTION_LABEL} and {SERIOUS_VIOLENCE_LABEL[0].lower()}{SERIOUS_VIOLENCE_LABEL[1:]}"
    return POLICEUK_SELECTION_LABEL if puk else SERIOUS_VIOLENCE_LABEL


def flag_known(offences: pd.DataFrame, column: str) -> bool:
    """True when the ``knife``/``domestic`` flag is known for every row (police.uk rows: NA).

    When False, report the figure as :data:`NOT_AVAILABLE`, never as 0.
    """
    return column in offences and len(offences) > 0 and bool(offences[column].notna().all())

"""The tasking-cycle configuration: a TOML file validated up front.

Every error names the key, what it got and what it wants. Relative paths are resolved against the
config file's folder; empty strings mean "not given" (the embedded world is used only with `[inputs]
embedded = true`, as `hotspot demo` does). :data:`EXAMPLE` is the
commented example that ``hotspot init`` writes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from hotspot.errors import ConfigError
from hotspot.runner import validate_cycle_id

EXAMPLE = '''\
# hotspot tasking-cycle configuration (TOML). Run: hotspot run --config cycle.toml --out outputs
# Paths are relative to this file; "" means "not given". Offences and boundaries are required
# unless embedded = true (the embedded synthetic world, what `hotspot demo` runs).

[cycle]
id = "auto"              # "auto": the ISO week of the cycle end ("2021-W26"), or the month for
                         # police.uk data ("2025-06")
end = "auto"             # last day included (YYYY-MM-DD); "auto": the latest offence date (month)
period_days = 28         # timestamped data: this cycle's days; the previous cycle is as long before it
period_months = 1        # month-only (police.uk) data: this cycle's whole calendar months
public = false           # true: only the redacted OFFICIAL outputs (small counts suppressed)

[inputs]
embedded = false         # true: the embedded synthetic offences, boundaries and covariates (the demo)
offences = []            # offence files/folders (police.uk CSVs/folders/zips, extracts)
mapping = ""             # TOML column mapping for extracts with unusual column names
rules = ""               # TOML serious-violence rules ("" = defaults, see docs/serious_violence.md)
boundaries = []          # boundary GeoPackages/GeoJSON as published: ONS LSOA, ward or beat, LA layers
lsoa_layer = ""          # layer (or file stem) names, when finding them by their fields is not enough;
beat_layer = ""          #   shell wildcards allowed ("lsoa_E06*"); beat_layer = "-" skips beats
la_layer = ""
fields = {}              # column names, e.g. { beat_code = "WD25CD", beat_name = "WD25NM" }
postcodes = ""           # ONSPD-shaped postcode lookup
tolerance_m = 50.0       # points this close outside every area take the nearest
now = ""                 # dates after this are "future" (YYYY-MM-DD); "" = today
earliest = "2000-01-01"  # plausible date window: rows dated outside it are quarantined
latest = ""              #   (implausible_date); "" = today + 1 day

[covariates]
imd = ""                 # IMD 2019 File 7 CSV
uc_lsoa = ""             # DWP Stat-Xplore export: households on Universal Credit by LSOA
population = ""          # population by LSOA
lookup = ""              # LSOA 2011 -> 2021 lookup CSV (LSOA11CD, LSOA21CD) for 2011-coded covariates

[hotspots]
serious_only = true      # analyse serious violence only (false: every accepted offence)
cell_m = 100.0           # KDE and Gi* cell size in metres
bandwidth_m = 250.0      # KDE bandwidth in metres (0 = chosen from the data and reported)
kernel = "quartic"       # quartic | gaussian | epanechnikov | uniform
distance_m = 300.0       # Gi* distance band in metres
inference = "exact"      # exact (Poisson test vs the background, valid for sparse counts) | analytic | permutation
permutations = 0         # Gi* conditional permutations (with inference = "permutation")
fdr = "by"               # by (Benjamini-Yekutieli) | bh (Benjamini-Hochberg, as ArcGIS) | none
seed = 1
place_radius_m = 150.0   # top hot spots: equal-sized micro places (College of Policing guidance)
place_spacing_m = 500.0  #   at least this far apart,
place_min_per_year = 24.0  # each holding at least this many offences a year
harm_index = "ons-css"   # harm weights: "ons-css" (shipped ONS Crime Severity Score), a CSV/TOML
                         #   table (CCHI or ONS CSS; docs/harm.md), or "" = counts only
harm_override = ""       # CSV/TOML of extra or replaced weights (codes or police.uk categories)

[emerging]
cell_m = 250.0
step = "month"           # week | month
distance_m = 500.0
time_lag = 1
min_steps = 10           # fewest time steps the analysis accepts (Esri: 10); fewer: the stage says why

[forecast]
unit = "cell"            # cell | lsoa | beat
cell_m = 250.0
horizon_days = 7         # timestamped data: 7 or 28 days
horizon_months = 1       # month-only (police.uk) data: whole months after the cycle's last month
model = ""               # a saved model under models/ ("" = train on this cycle's data)
backtest_folds = 0       # > 0 runs a rolling-origin backtest in the cycle (slow)

[routes]
start = [51.4545, -2.5879]   # lat, lon (Bristol city centre)
window = "Fri 18:00-23:00"
max_walk_m = 5000.0
stops = 8

[outputs]
map = true
briefing = true
basemap = "none"         # none | osm (OpenStreetMap, needs internet) | an https XYZ tile URL template
top_n = 10
small_count_threshold = 5
'''



def _defaults() -> dict:
    return {k: dict(v) for k, v in DEFAULTS.items()}


@dataclass
class CycleConfig:
    """A validated configuration (sections as dictionaries)."""

    cycle: dict
    inputs: dict
    covariates: dict
    hotspots: dict
    emerging: dict
    forecast: dict
    routes: dict
    outputs: dict
    base_dir: Path = field(default_factory=Path.cwd)
    source: str = ""

    def path(self, value: str | None) -> Path | None:
        """Resolve a configured path against the config folder ("" -> None)."""
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("cycle", "inputs", "covariates", "hotspots", "emerging",
                                              "forecast", "routes", "outputs")}


_CHOICES: dict[tuple[str, str], set[Any]] = {
    ("hotspots", "kernel"): {"quartic", "gaussian", "epanechnikov", "uniform"},
    ("hotspots", "fdr"): {"bh", "by", "none"},
    ("hotspots", "inference"): {"exact", "analytic", "permutation"},
    ("emerging", "step"): {"week", "month"},
    ("forecast", "unit"): {"cell", "lsoa", "beat"},
    ("forecast", "horizon_days"): {7, 28},
}
_POSITIVE = {("hotspots", "cell_m"), ("hotspots", "place_radius_m"), ("hotspots", "place_spacing_m"), ("hotspots", "distance_m"), ("emerging", "cell_m"),
             ("emerging", "distance_m"), ("forecast", "cell_m"), ("routes", "max_walk_m"),
             ("routes", "stops"), ("cycle", "period_days"), ("cycle", "period_months"), ("outputs", "top_n"),
             ("outputs", "small_count_threshold"), ("emerging", "time_lag"), ("forecast", "horizon_months"),
             ("emerging", "min_steps")}
_NON_NEGATIVE = {("hotspots", "bandwidth_m"), ("hotspots", "permutations"), ("inputs", "tolerance_m"),
                 ("forecast", "backtest_folds"), ("hotspots", "seed"), ("hotspots", "place_min_per_year")}


def _type_name(t) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "a string",
            list: "a list"}.get(t, t.__name__)


def validate(raw: dict, *, source: str = "", base_dir: Path | None = None) -> CycleConfig:
    """Check every key against the example's sections, types and allowed values.

    Raises
    ------
    ConfigError
        Naming the key (``section.key``), what it got and what it wants.
    """
    defaults = _defaults()
    merged: dict[str, dict] = {}
    for section in raw:
        if section not in defaults:
            raise ConfigError(f"unknown section; valid sections are {', '.join(defaults)}",
                              key=section, path=source or None)
        if not isinstance(raw[section], dict):
            raise ConfigError("must be a [section] table", key=section, path=source or None)
    for section, dsec in defaults.items():
        got = raw.get(section, {})
        sec = dict(dsec)
        for key, value in got.items():
            name = f"{section}.{key}"
            if key not in dsec:
                raise ConfigError(f"unknown key; valid keys in [{section}] are {', '.join(dsec)}",
                                  key=name, path=source or None)
            if (section, key) == ("inputs", "boundaries") and isinstance(value, str):
                value = [value] if value else []  # one file may be given as a string
            want = type(dsec[key])
            ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                raise ConfigError(f"got {value!r} ({type(value).__name__}); it must be {_type_name(want)}",
                                  key=name, path=source or None)
            sec[key] = value
        for key, value in sec.items():
            name = f"{section}.{key}"
            choices = _CHOICES.get((section, key))
            if choices is not None and value not in choices:
                raise ConfigError(f"got {value!r}; choose one of {', '.join(map(str, sorted(choices, key=str)))}",
                                  key=name, path=source or None)
            if (section, key) in _POSITIVE and not value > 0:
                raise ConfigError(f"got {value!r}; it must be greater than 0", key=name, path=source or None)
            if (section, key) in _NON_NEGATIVE and value < 0:
                raise ConfigError(f"got {value!r}; it must be 0 or more", key=name, path=source or None)
        merged[section] = sec
    _check_dates(merged, source)
    if merged["cycle"]["id"] != "auto":
        validate_cycle_id(merged["cycle"]["id"])
    basemap = merged["outputs"]["basemap"]
    merged["outputs"]["basemap"] = {"osm": "openstreetmap"}.get(basemap, basemap)
    if merged["outputs"]["basemap"] not in ("none", "openstreetmap") and \
            not str(basemap).startswith("https://"):
        raise ConfigError(f"got {basemap!r}; use none, osm or an https XYZ tile URL template "
                          "(https://.../{z}/{x}/{y}.png)", key="outputs.basemap", path=source or None)
    start = merged["routes"]["start"]
    if (len(start) != 2 or not all(isinstance(v, (int, float)) for v in start)
            or not (49 < start[0] < 61 and -9 < start[1] < 2.5)):
        raise ConfigError(f"got {start!r}; it must be [latitude, longitude] in England or Wales, "
                          f"e.g. [51.4545, -2.5879]", key="routes.start", path=source or None)
    for key in ("offences", "boundaries"):
        if not all(isinstance(p, str) for p in merged["inputs"][key]):
            raise ConfigError("must be a list of file or folder paths (strings)", key=f"inputs.{key}",
                              path=source or None)
    return CycleConfig(**merged, base_dir=base_dir or Path.cwd(), source=source)


def _check_dates(merged: dict, source: str) -> None:

    for section, key in (("cycle", "end"), ("inputs", "now"), ("inputs", "earliest"), ("inputs", "latest")):
        v = merged[section][key]
        if v in ("", "auto"):
            continue
        try:
            date.fromisoformat(v)
        except ValueError:
            raise ConfigError(f"got {v!r}; it must be a date YYYY-MM-DD" +
                              (' or "auto"' if key == "end" else ""), key=f"{section}.{key}",
                              path=source or None) from None


#: Every key's default, parsed from :data:`EXAMPLE` (the one home of config defaults and names).
DEFAULTS: dict[str, dict[str, Any]] = tomllib.loads(EXAMPLE)


def demo() -> CycleConfig:
    """The configuration of ``hotspot demo``: the embedded synthetic world."""
    return validate({"inputs": {"embedded": True}}, source="<demo>")


def load(path: str | Path | None, *, overrides: dict[str, dict[str, Any]] | None = None) -> CycleConfig:
    """Read and validate a TOML config, then apply ``overrides`` (e.g. command-line flags).

    ``path=None`` starts from the defaults (no offences, no boundaries: they must come from
    ``overrides``).
    """
    raw: dict[str, dict[str, Any]] = {}
    base_dir = Path.cwd()
    if path is not None:
        raw, base_dir = _read(Path(path)), Path(path).resolve().parent
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update(values)
    return validate(raw, source=str(path) if path is not None else "<command line>", base_dir=base_dir)


def _read(path: Path) -> dict:
    if not path.exists():
        raise ConfigError("config file not found; write one with `hotspot init cycle.toml`", path=path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=path) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text; save the config as UTF-8", path=path) from None
    return raw

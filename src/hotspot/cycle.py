"""The tasking-cycle batch run: config -> stages -> one complete, atomic output folder.

``hotspot run --config cycle.toml --out DIR`` (and ``hotspot demo --out DIR`` on the embedded data)
writes ``DIR/<cycle id>/``::

    maps/tasking_map.html            offline Folium map (Leaflet and plugins inlined)
    briefing/briefing.html           printable briefing (charts embedded)
    rasters/kde.tif                  KDE surface of this cycle (GeoTIFF, EPSG:27700)
    cube/cube.nc                     space-time cube of counts (NetCDF)
    layers/hotspots.gpkg             Gi* cells (this and last cycle), change, emerging, LSOA hotspots
    layers/offences.gpkg             geocoded offences (full, OFFICIAL-SENSITIVE runs only)
    tables/*.csv                     top hotspots, day x hour, area profiles, IMD deciles, concentration
    forecasts/forecast.gpkg, *.csv   next week's expected violence by unit, and by day x hour
    routes/route.gpx, .geojson, .csv youth-work route for the configured window
    quarantine/quarantine.csv        every rejected input row with its reason (full runs only)
    manifest.json                    inputs with SHA-256, parameters, versions, reconciliation,
                                     timings per stage, outputs with SHA-256

Each stage writes into its own cache folder ``DIR/.cache/<stage>-<key>``, keyed by the hashes of the
input files, the stage's parameters and the keys of the stages it depends on: a rerun on the same
inputs resumes from finished stages. The cycle folder is assembled in a temporary sibling and renamed
into place only when everything succeeded; a lock file stops two runs writing into ``DIR`` at once.
Outputs are deterministic: the same inputs and config give byte-identical files (the manifest's
timings and creation time aside).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import platform
import re
import shutil
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from hotspot import __version__, api, scale
from hotspot.config import CycleConfig
from hotspot.covariates.codes import read_lsoa_lookup
from hotspot.covariates.imd import imd_to_2021, read_imd
from hotspot.covariates.population import read_population
from hotspot.covariates.profiles import area_profile, by_imd_decile
from hotspot.covariates.universal_credit import read_statxplore
from hotspot.crs import to_bng
from hotspot.errors import ConfigError, InputError
from hotspot.forecast.backtest import backtest_chart
from hotspot.forecast.persist import load_model, model_sha256
from hotspot.forecast.profile import (
    day_hour_table,
    format_windows,
    heatmap_figure,
    parse_window,
    peak_windows,
    reference_profile,
    shape_correlation,
)
from hotspot.geography.geocode import read_geocoded, write_offences
from hotspot.geography.names import place_names
from hotspot.grid.binning import count_points
from hotspot.grid.cube import write_cube
from hotspot.grid.io import read_geotiff, write_geotiff
from hotspot.hotspots import compare
from hotspot.hotspots.areal import lsoa_hotspots
from hotspot.hotspots.change import list_stability, map_similarity
from hotspot.hotspots.concentration import concentration_table
from hotspot.hotspots.emerging import category_counts
from hotspot.hotspots.emerging import to_cells as emerging_cells
from hotspot.hotspots.gistar import to_cells as gistar_cells
from hotspot.hotspots.harm import BUILTIN, HarmIndex, builtin_path, describe, load_harm_index
from hotspot.hotspots.peaks import NO_HOURS, TOP_COLUMNS, top_hotspots
from hotspot.ingest.audit import audit_offences
from hotspot.io import sha256_file, write_csv, write_gpkg, write_json, write_text
from hotspot.paths import data_dir
from hotspot.publish import redact
from hotspot.publish import routes as R
from hotspot.publish.briefing import write_briefing
from hotspot.publish.export import export_layers
from hotspot.publish.maps import save_map
from hotspot.publish.scan import scan_folder
from hotspot.runner import (
    PUBLIC_DIR,
    StageCache,
    StageResult,
    atomic_folder,
    check_replaceable,
    clean_leftovers,
    cycle_folder,
    folder_lock,
    hash_inputs,
    run_stage,
    stage_key,
    validate_cycle_id,
)
from hotspot.schema import GI_CLASSES, HANDLING_FULL, HANDLING_PUBLIC


def _code_version() -> str:
    """Package version plus a hash of its source: a changed engine never reuses stale stage caches."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return f"{__version__}-{h.hexdigest()[:12]}"


STAGE_VERSION = _code_version()

#: The embedded inputs ``hotspot demo`` uses (``[inputs] embedded = true``).
DEFAULT_INPUTS = ["offences_extract.csv.gz"]
EMBEDDED_COVARIATES = {"imd": "imd2019_file7.csv", "uc_lsoa": "uc_households_lsoa.csv",
                       "population": "population_lsoa.csv"}

#: What month-only (police.uk) outputs say where the data cannot give a figure.
NOT_AVAILABLE = "not available"


@dataclass
class CycleResult:
    """What a run produced."""

    folder: Path
    cycle_id: str
    stages: list[StageResult]
    manifest: dict
    summary: list[str] = field(default_factory=list)


def _month_label(p: pd.Period) -> str:
    return f"{calendar.month_name[p.month]} {p.year}"


class _Context:
    """Resolved inputs, the study area and lazily loaded results shared by the stages of one run.

    Nothing here falls back to the embedded synthetic world: it is used only when the config says
    ``[inputs] embedded = true`` (what ``hotspot demo`` does); otherwise offences and boundaries
    must be given, and covariates left out are "not available".
    """

    def __init__(self, cfg: CycleConfig, public: bool):
        self.cfg = cfg
        self.public = public
        inp = cfg.inputs
        self.embedded = bool(inp["embedded"])
        self.inputs = [p for p in (cfg.path(p) for p in inp["offences"]) if p is not None]
        if not self.inputs:
            if not self.embedded:
                raise ConfigError("no offence files: pass --offences PATH (police.uk CSVs or folders, "
                                  "extracts) or set [inputs] offences; `hotspot demo` runs the embedded "
                                  "data", key="inputs.offences", path=cfg.source or None)
            self.inputs = [data_dir() / f for f in DEFAULT_INPUTS]
        for p in self.inputs:
            if not p.exists():
                raise InputError("offence input not found; fix --offences or [inputs] offences", path=p)
        bnd = [p for p in (cfg.path(b) for b in inp["boundaries"]) if p is not None]
        if not bnd and not self.embedded:
            raise ConfigError("no boundaries: pass --boundaries PATH (the ONS LSOA/ward/LA GeoPackage "
                              "or GeoJSON files of your force) or set [inputs] boundaries; the embedded "
                              "synthetic boundaries are used only by `hotspot demo`",
                              key="inputs.boundaries", path=cfg.source or None)
        if bnd and self.embedded:
            raise ConfigError("embedded = true uses the embedded synthetic boundaries; remove "
                              "[inputs] boundaries or set embedded = false", key="inputs.embedded",
                              path=cfg.source or None)
        for p in bnd:
            if not p.exists():
                raise InputError("boundary file not found; fix --boundaries or [inputs] boundaries", path=p)
        self.boundaries: list[Path] = bnd or [data_dir() / "boundaries.gpkg"]
        self.postcodes = cfg.path(inp["postcodes"]) or (data_dir() / "postcodes.csv" if self.embedded else None)
        cov = cfg.covariates

        def _cov(key: str) -> Path | None:
            given = cfg.path(cov[key])
            if given is None and self.embedded:
                return data_dir() / "covariates" / EMBEDDED_COVARIATES[key]
            return given

        self.imd_path, self.uc_path, self.pop_path = _cov("imd"), _cov("uc_lsoa"), _cov("population")
        self.lookup_path = cfg.path(cov["lookup"])
        harm = str(cfg.hotspots["harm_index"])
        self.harm_path = builtin_path(harm) if harm in BUILTIN else cfg.path(harm)
        # the harm tables are inputs: editing one re-runs the stages (its hash is in every key)
        self.extra = [p for p in (cfg.path(inp["mapping"]), cfg.path(inp["rules"]), self.harm_path,
                                  cfg.path(cfg.hotspots["harm_override"])) if p is not None]
        self._study: api.StudyArea | None = None
        self._offences: gpd.GeoDataFrame | None = None
        self.folders: dict[str, Path] = {}
        self.client: Any = None  # a Dask client when run with a scheduler (hotspot[dask])
        self.scheduler = "single process"

    def input_paths(self) -> list[Path]:
        paths = [*self.inputs, *self.boundaries, self.postcodes, self.imd_path, self.uc_path, self.pop_path,
                 self.lookup_path, *self.extra]
        return [p for p in paths if p is not None]

    # -- lazily loaded shared objects -------------------------------------------------------
    @property
    def study(self) -> api.StudyArea:
        if self._study is None:
            self._study = api.study_area(None, embedded=True) if self.embedded else \
                api.study_area(self.boundaries, **boundary_layers(self.cfg.inputs))
        return self._study

    @property
    def areas(self):
        return self.study.areas

    def offences(self) -> gpd.GeoDataFrame:
        """All accepted, geocoded offences (from the offences stage's GeoPackage)."""
        if self._offences is None:
            self._offences = read_geocoded(self.folders["offences"] / "offences.gpkg")
        return self._offences

    @property
    def resolution(self) -> str:
        """``"exact"`` (timestamped extracts) or ``"month"`` (police.uk street-level data)."""
        return api.time_resolution(self.offences())

    @property
    def timed(self) -> bool:
        return self.resolution == "exact"

    def selection_label(self) -> str:
        """What the analysed offences are, in words every output uses."""
        if self.public and not self.timed:  # sexual offences cannot be split out of police.uk's VSO
            return POLICEUK_PUBLIC_SELECTION
        if not self.cfg.hotspots["serious_only"]:
            return "All offences"
        return "Serious violence" if self.timed else POLICEUK_SELECTION

    def analysed(self) -> gpd.GeoDataFrame:
        """The offences analysed: serious violence only unless configured otherwise.

        Public runs leave out the sensitive categories entirely (sexual offences and anything
        domestic), so no published figure, surface or cell can be traced back to them.
        """
        off = self.offences()
        if self.cfg.hotspots["serious_only"]:
            off = off[off["serious_violence"].astype(bool)]
        if self.public:
            off = redact.drop_sensitive(off)
        return off

    def when(self, off: pd.DataFrame) -> pd.Series:
        """Occurrence day, or the first of the month for month-only rows."""
        return api.when(off)

    @property
    def hot_cell(self) -> float:
        """Hotspot cell size; public outputs never use cells under 250 m."""
        c = float(self.cfg.hotspots["cell_m"])
        return max(c, 250.0) if self.public else c

    @property
    def hot_distance(self) -> float:
        d = float(self.cfg.hotspots["distance_m"])
        return max(d, 2 * self.hot_cell) if self.public else d

    def audit(self) -> dict:
        """The data-quality audit of the offences stage (:mod:`hotspot.ingest.audit`), or {}."""
        p = self.folders["offences"] / "audit.json"
        return json.loads(p.read_text()) if p.exists() else {}

    def months(self) -> dict[str, list[str]]:
        """Months with data, and months missing inside the range (a gap is a gap, never zero)."""
        present = sorted(set(self.offences()["month"].astype(str)))
        if not present:
            return {"present": [], "missing": []}
        rng = pd.period_range(present[0], present[-1], freq="M").astype(str)
        return {"present": present, "missing": [m for m in rng if m not in set(present)]}

    def periods(self) -> dict[str, pd.Timestamp]:
        """This cycle ``[start, end]`` and the previous cycle of the same length.

        Timestamped data: ``period_days`` ending on ``[cycle] end`` (default the latest offence
        day). Month-only data: ``period_months`` whole calendar months ending with the latest
        month that has data (or the month of ``[cycle] end``).
        """
        end_cfg = self.cfg.cycle["end"]
        if not self.timed:
            months = self.months()["present"]
            if not months:
                raise InputError("no offences with a month: nothing to analyse")
            last = pd.Period(end_cfg, freq="M") if end_cfg != "auto" else pd.Period(months[-1], freq="M")
            n = int(self.cfg.cycle["period_months"])
            first = last - (n - 1)
            prev_last = first - 1
            prev_first = prev_last - (n - 1)
            return {"start": first.start_time, "end": last.end_time.normalize(),
                    "prev_start": prev_first.start_time, "prev_end": prev_last.end_time.normalize()}
        t = pd.to_datetime(self.offences()["occurred_at"]).dropna()
        if end_cfg == "auto" and t.empty:
            raise InputError("no offence has a date and time; set [cycle] end")
        end = pd.Timestamp(end_cfg) if end_cfg != "auto" else t.max().normalize()
        n = int(self.cfg.cycle["period_days"])
        start = end - pd.Timedelta(days=n - 1)
        prev_end = start - pd.Timedelta(days=1)
        prev_start = prev_end - pd.Timedelta(days=n - 1)
        return {"start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end}

    def missing_in(self, start: pd.Timestamp, end: pd.Timestamp) -> list[str]:
        """Months between ``start`` and ``end`` with no published data."""
        wanted = pd.period_range(start, end, freq="M").astype(str)
        present = set(self.months()["present"])
        return [m for m in wanted if m not in present]

    def period_label(self) -> str:
        per = self.periods()
        if self.timed:
            return f"{per['start'].date()} to {per['end'].date()}"
        first, last = per["start"].to_period("M"), per["end"].to_period("M")
        return _month_label(last) if first == last else f"{_month_label(first)} to {_month_label(last)}"

    def cycle_id(self) -> str:
        cid = self.cfg.cycle["id"]
        if cid != "auto":
            return validate_cycle_id(re.sub(r"[^A-Za-z0-9_.-]", "_", cid))
        end = self.periods()["end"]
        if not self.timed:
            return str(end.to_period("M"))
        iso = end.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"


def boundary_layers(inputs: dict[str, Any]) -> dict[str, Any]:
    """Layer names and field mapping of ``[inputs]`` as :func:`hotspot.study_area` keywords."""
    out: dict[str, Any] = {}
    for level in ("lsoa", "beat", "la"):
        name = inputs.get(f"{level}_layer", "")
        if name:
            out[f"{level}_layer"] = "" if name == "-" else name
    if inputs.get("fields"):
        out["fields"] = dict(inputs["fields"])
    return out


#: The analysed set of a police.uk cycle: police.uk cannot tell serious from other violence.
POLICEUK_SELECTION = "Violence and sexual offences, and robbery (police.uk categories)"
#: What a public (OFFICIAL) police.uk cycle analyses: robbery only (see redact.drop_sensitive).
POLICEUK_PUBLIC_SELECTION = "Robbery (police.uk category; violence is left out of public outputs)"


def _in(off: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    t = api.when(off)
    return off[((t >= start) & (t < end + pd.Timedelta(days=1))).to_numpy()]


def _located(off: pd.DataFrame) -> pd.DataFrame:
    """Rows with coordinates (maps and grids); the rest still count in totals."""
    ok = np.isfinite(off["easting"].to_numpy(float)) & np.isfinite(off["northing"].to_numpy(float))
    return off[ok]


def _fix_gpkg_time(when: pd.Timestamp) -> None:
    """GeoPackages record a last-change time: pin it so reruns are byte-identical."""
    os.environ["OGR_CURRENT_DATE"] = pd.Timestamp(when).strftime("%Y-%m-%dT00:00:00Z")


# ---- stages ---------------------------------------------------------------------------------

def stage_offences(ctx: _Context, folder: Path) -> None:
    """Read, validate, geocode; write offences, quarantine and the reconciliation report."""
    inp = ctx.cfg.inputs
    kw = {"tolerance": inp["tolerance_m"], "mapping": ctx.cfg.path(inp["mapping"]), "now": inp["now"] or None,
          "rules": ctx.cfg.path(inp["rules"]), "postcodes": ctx.postcodes,
          "earliest": inp["earliest"] or None, "latest": inp["latest"] or None}
    if ctx.client is not None:  # one task per input file; equal to the single-process result
        res = scale.load_offences_distributed(ctx.inputs, ctx.client, areas=ctx.areas, **kw)
    else:
        res = api.load_offences(ctx.inputs, ctx.study, **kw)
    if len(res.offences) == 0:
        raise InputError(f"no offence was accepted from {len(ctx.inputs)} input(s); see the quarantine "
                         f"reasons: {res.report['totals'].get('by_reason', {})}")
    latest = pd.to_datetime(res.offences["occurred_at"]).max()
    if pd.isna(latest):
        latest = pd.Period(res.offences["month"].astype(str).max(), freq="M").start_time
    _fix_gpkg_time(latest)
    write_offences(res.offences, folder / "offences.gpkg")
    write_csv(folder / "quarantine.csv", res.quarantine)
    write_json(folder / "ingest_report.json", res.report)
    audit = getattr(res, "audit", None) or audit_offences(res.offences, res.quarantine,
                                                          expected_rows=res.report["totals"]["rows_read"])
    write_json(folder / "audit.json", audit)


def _analysed_in_cycle(ctx: _Context) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(all analysed, this cycle, last cycle); fails the stage with the reason when empty."""
    per = ctx.periods()
    off = ctx.analysed()
    if len(off) == 0:
        raise InputError(f"0 offences to analyse: the selection '{ctx.selection_label()}' removed all "
                         f"{len(ctx.offences()):,} accepted offences; check [inputs] rules or set "
                         "[hotspots] serious_only = false")
    now = _in(off, per["start"], per["end"])
    if len(now) == 0:
        raise InputError(f"0 offences in this cycle ({ctx.period_label()}): the offences run "
                         f"{ctx.when(off).min().date()} to {ctx.when(off).max().date()}; set [cycle] end")
    return off, now, _in(off, per["prev_start"], per["prev_end"])


def stage_hotspots(ctx: _Context, folder: Path) -> None:
    """KDE and Gi* for this and the last cycle, change between them, the top-N hotspot list."""
    h = ctx.cfg.hotspots
    per = ctx.periods()
    off, now, last = _analysed_in_cycle(ctx)
    last_missing = ctx.missing_in(per["prev_start"], per["prev_end"])
    grid = ctx.study.grid(ctx.hot_cell)
    spec, mask = grid.spec, grid.mask
    now_xy, last_xy = _located(now), _located(last)
    x, y = now_xy["easting"].to_numpy(), now_xy["northing"].to_numpy()
    bw = h["bandwidth_m"] or None
    if ctx.client is not None:  # tiles with a halo of the kernel radius; identical surface
        surface = scale.kde_tiled(x, y, spec, bandwidth=bw, kernel=h["kernel"], mask=mask, client=ctx.client)
    else:
        surface = api.kde(now_xy, ctx.study, cell=ctx.hot_cell, bandwidth=bw, kernel=h["kernel"])
        surface.attrs.pop("offences", None)
        surface.attrs.pop("cell_rule", None)
    write_geotiff(surface, folder / "kde.tif")
    counts = count_points(x, y, spec, mask=mask)
    counts_last = count_points(last_xy["easting"].to_numpy(), last_xy["northing"].to_numpy(), spec, mask=mask)
    fdr = {"by": "bh_dependence"}.get(h["fdr"], h["fdr"])
    if ctx.client is not None and h["inference"] == "analytic":  # window sums on Dask chunks with a halo
        gi = scale.gistar_tiled(counts, ctx.hot_distance, fdr=fdr, seed=h["seed"], client=ctx.client)
        gi_last = scale.gistar_tiled(counts_last, ctx.hot_distance, fdr=fdr, seed=h["seed"], client=ctx.client)
    else:
        kw = {"cell": ctx.hot_cell, "distance": ctx.hot_distance, "permutations": h["permutations"],
              "seed": h["seed"], "fdr": fdr, "inference": h["inference"]}
        gi = api.gistar(now_xy, ctx.study, **kw)
        gi_last = api.gistar(last_xy, ctx.study, **kw)
        gi.attrs.pop("offences", None)
        gi_last.attrs.pop("offences", None)
    _fix_gpkg_time(per["end"])
    layers = {"gistar_cells": gistar_cells(gi, where=_active(gi))}
    if not last_missing:
        layers["gistar_cells_last"] = gistar_cells(gi_last, where=_active(gi_last))
        layers["change"] = compare.to_cells(compare.change(gi_last, gi))
    write_gpkg(folder / "hotspots.gpkg", layers)
    top, top_harm, harm_info = _top_places(ctx, off, now_xy, None if last_missing else last_xy)
    write_csv(folder / "top_hotspots.csv", top.reindex(columns=TOP_COLUMNS) if top.empty else top)
    if top_harm is not None:
        write_csv(folder / "top_harm_hotspots.csv", top_harm)
    comparison: dict[str, Any] = {"status": f"not available: {', '.join(last_missing)} not published"} \
        if last_missing else _compare_with_last(ctx, gi_last, gi, last_xy, top)
    write_json(folder / "hotspots.json", {
        "kde": {k: _plain(v) for k, v in surface.attrs.items()},
        "gistar": {k: _plain(v) for k, v in gi.attrs.items()},
        "cells_by_class": _class_counts(gi),
        "comparison_with_last_cycle": comparison,
        "offences_this_cycle": int(len(now)),
        "offences_last_cycle": None if last_missing else int(len(last)),
        "harm": harm_info,
        **({"last_cycle_missing_months": last_missing} if last_missing else {}),
        **({"offences_this_cycle_without_location": int(len(now) - len(now_xy))} if not ctx.timed else {}),
    })


def _compare_with_last(ctx: _Context, gi_last: Any, gi: Any, last: pd.DataFrame, top: pd.DataFrame) -> dict[str, Any]:
    """This cycle's hot spot map and top list against the last cycle's (ArcGIS's Hot Spot Analysis
    Comparison: similarity and fuzzy kappa; top-N Jaccard and rank-biased overlap)."""
    h = ctx.cfg.hotspots
    out: dict[str, Any] = {"map": {k: _plain(v) for k, v in map_similarity(gi_last, gi, seed=h["seed"]).items()}}
    per = ctx.periods()
    days = float((per["prev_end"] - per["prev_start"]).days + 1)
    top_last = top_hotspots(last, ctx.study, period_days=days, top_n=int(ctx.cfg.outputs["top_n"]),
                            radius=h["place_radius_m"], spacing=h["place_spacing_m"],
                            min_per_year=h["place_min_per_year"], timed=ctx.timed)
    if len(top) and len(top_last):
        out["top_list"] = {k: _plain(v) for k, v in list_stability(top_last, top, top=int(ctx.cfg.outputs["top_n"]),
                                                                  distance=h["place_spacing_m"] / 2).items()}
    return out


def _harm_index(ctx: _Context) -> HarmIndex | None:
    """The configured harm index (``[hotspots] harm_index`` and ``harm_override``), or None."""
    if ctx.harm_path is None:
        return None
    return load_harm_index(ctx.harm_path, override=ctx.cfg.path(ctx.cfg.hotspots["harm_override"]))


def _sv_harm(ctx: _Context, offences: pd.DataFrame) -> np.ndarray | None:
    """Harm weight per offence when every serious-violence offence has one (else None)."""
    idx = _harm_index(ctx)
    if idx is None or "serious_violence" not in offences:
        return None
    w = idx.lookup(offences)
    return None if np.isnan(w[offences["serious_violence"].astype(bool).to_numpy()]).any() else w


def _harm_weights(ctx: _Context, now: pd.DataFrame,
                  history: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, Any]]:
    """Harm weights of this cycle's and the history's offences, or None and the reason.

    Harm is shown only when every analysed offence has a weight: a police.uk "Violence and sexual
    offences" row has none (its codes weigh 7.5 to 7,973 in the ONS CSS and police.uk does not say
    which), and a guessed weight would rank places by the guess.
    """
    idx = _harm_index(ctx)
    if idx is None:
        return None, None, {"status": "off ([hotspots] harm_index is empty)"}
    info = describe(idx)
    info["path"] = Path(info["path"]).name
    w_now, w_hist = idx.lookup(now), idx.lookup(history)
    both = pd.concat([now, history], ignore_index=True)
    missing = idx.unmatched(both, np.concatenate([w_now, w_hist]))
    if missing:
        return None, None, {**info, "status": "not available: " + idx.why_unmatched(missing),
                            "offences_without_weight": missing}
    return w_now, w_hist, {**info, "status": "ok", "harm_this_cycle": float(w_now.sum())}


def _top_places(ctx: _Context, off: pd.DataFrame, now: pd.DataFrame,
                last: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    """The numbered micro hot spots of this cycle against their own history (see hotspots.peaks),
    ranked by count (with harm beside it) and, when every offence has a harm weight, by harm.

    History: the 52 weeks before the cycle (timestamped data), or every published month before it
    (month-only data; a missing month is neither history nor zero).
    """
    h, per = ctx.cfg.hotspots, ctx.periods()
    located = _located(off)
    if ctx.timed:
        period_days = float((per["end"] - per["start"]).days + 1)
        history = _in(located, per["start"] - pd.Timedelta(days=364), per["start"] - pd.Timedelta(days=1))
        history_days = 364.0
        win = parse_window(ctx.cfg.routes["window"])
        table = day_hour_table(_in(off, per["end"] - pd.Timedelta(days=364), per["end"]))
        total = float(table.to_numpy().sum())
        share = sum(float(table.iat[d, hr]) for d, hr in win.cells()) / total if total else 1.0
        window = (max(share, 1e-9), str(win))
    else:
        months = pd.period_range(per["start"], per["end"], freq="M")
        period_days = float(sum(m.days_in_month for m in months))
        before = [pd.Period(m, freq="M") for m in ctx.months()["present"] if pd.Period(m, freq="M") < months[0]]
        history = located[located["month"].astype(str).isin({str(m) for m in before})]
        history_days = float(sum(m.days_in_month for m in before))
        window = (1.0, "week")
    weights, history_weights, info = _harm_weights(ctx, now, history)
    kw = {"period_days": period_days, "last": last, "history": history, "history_days": history_days,
          "top_n": int(ctx.cfg.outputs["top_n"]), "radius": h["place_radius_m"], "spacing": h["place_spacing_m"],
          "min_per_year": h["place_min_per_year"], "weights": weights, "history_weights": history_weights,
          "window_share": window[0], "window_label": window[1], "imd_deciles": _imd_deciles(ctx),
          "timed": ctx.timed}
    top = top_hotspots(now, ctx.study, **kw)
    top_harm = top_hotspots(now, ctx.study, rank_by="harm", **kw) if weights is not None else None
    return top, top_harm, info


def _class_counts(gi) -> dict[str, int]:
    """Cells in the study area per Gi* confidence class label."""
    codes = gi["gi_class"].to_numpy()[np.isfinite(gi["count"].to_numpy())].astype(int)
    counts = pd.Series(codes).value_counts()
    return dict(sorted((GI_CLASSES[int(k)], int(v)) for k, v in counts.items()))


def _active(gi) -> np.ndarray:
    """Cells worth a layer: significant, or with at least one offence (the rest are quiet zeros)."""
    return (gi["gi_class"].values != 0) | (np.nan_to_num(gi["count"].values) > 0)


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else str(v)


def _read_imd(ctx: _Context) -> pd.DataFrame | None:
    """IMD table on the boundaries' LSOA codes, or None when no IMD file is configured.

    IoD2019 is published on 2011 LSOAs; with 2021 boundaries and ``[covariates] lookup`` it is
    moved onto 2021 LSOAs (a merged LSOA's decile re-ranked from its population-weighted score or
    taken from the majority population, never averaged: :func:`hotspot.covariates.imd.imd_to_2021`).
    """
    if ctx.imd_path is None:
        return None
    imd = read_imd(ctx.imd_path)
    if ctx.lookup_path is not None and imd.attrs.get("code_year") == 2011:
        imd = imd_to_2021(imd, read_lsoa_lookup(ctx.lookup_path))
    return imd


def _imd_deciles(ctx: _Context) -> dict:
    imd = _read_imd(ctx)
    return {} if imd is None else dict(zip(imd["lsoa_code"], imd["imd_decile"]))


def stage_emerging(ctx: _Context, folder: Path) -> None:
    """Space-time cube over the history and emerging hot spot categories.

    Month-only data use monthly steps over the latest unbroken run of published months (a missing
    month is a gap, never zero). Below ``[emerging] min_steps`` (Esri's 10) consecutive steps the
    analysis is not run and ``emerging.json`` records why.
    """
    e = ctx.cfg.emerging
    per = ctx.periods()
    off = _located(ctx.analysed())
    step = e["step"] if ctx.timed else "month"
    start = None
    if not ctx.timed:
        present = [m for m in ctx.months()["present"] if m <= str(per["end"].to_period("M"))]
        run = [present[-1]] if present else []
        for m in reversed(present[:-1]):
            if (pd.Period(run[0], freq="M") - pd.Period(m, freq="M")).n != 1:
                break
            run.insert(0, m)
        start = pd.Period(run[0], freq="M").start_time if run else None
        n_steps = len(run)
        if n_steps < int(e["min_steps"]):
            reason = (f"not run: {n_steps} consecutive monthly step(s) of published data "
                      f"({run[0] if run else '-'} to {run[-1] if run else '-'}); emerging hot spot analysis "
                      f"needs at least {int(e['min_steps'])}")
            if ctx.months()["missing"]:
                reason += f" (months missing: {', '.join(ctx.months()['missing'])})"
            write_json(folder / "emerging.json", {"categories": {}, "steps": n_steps, "step": step,
                                                  "cell_m": e["cell_m"], "status": reason})
            return
        off = off[(ctx.when(off) >= start).to_numpy()]
    off = off[(ctx.when(off) <= per["end"] + pd.Timedelta(days=1)).to_numpy()]
    ds, cube = api.emerging(off, ctx.study, cell=e["cell_m"], step=step, distance=e["distance_m"],
                            time_lag=e["time_lag"], start=start, end=per["end"], min_steps=e["min_steps"],
                            return_cube=True)
    write_cube(cube, folder / "cube.nc")
    _fix_gpkg_time(per["end"])
    write_gpkg(folder / "emerging.gpkg", {"emerging": emerging_cells(ds, patterns_only=True)})
    write_json(folder / "emerging.json", {"categories": category_counts(ds), "steps": int(ds.attrs["steps"]),
                                          "step": step, "cell_m": e["cell_m"]})


def stage_profiles(ctx: _Context, folder: Path) -> None:
    """When (day x hour, peak windows) and who lives there (area profiles, IMD, concentration)."""
    per = ctx.periods()
    off_all = ctx.offences()
    if ctx.public:  # public area tables leave out domestic and sexual offences too
        off_all = redact.drop_sensitive(off_all)
    off = ctx.analysed()
    year = _in(off, per["end"] - pd.Timedelta(days=364), per["end"])
    if ctx.timed:
        table = day_hour_table(year)
        write_csv(folder / "day_hour.csv", table.reset_index())
        heatmap_figure(table, folder / "day_hour.png", title="Serious violence by day and hour, last 52 weeks")
        windows: Any = format_windows(peak_windows(table, share=0.25))
        correlation: Any = round(float(shape_correlation(table, reference_profile())), 4)
    else:
        windows, correlation = NO_HOURS, NO_HOURS
    imd = _read_imd(ctx)
    uc = read_statxplore(ctx.uc_path) if ctx.uc_path is not None else None
    pop = read_population(ctx.pop_path) if ctx.pop_path is not None else None
    cyc = _in(off_all, per["end"] - pd.Timedelta(days=364), per["end"])
    harm = None if ctx.public else _sv_harm(ctx, cyc)
    for level in ("lsoa", "beat", "la"):
        prof = area_profile(cyc, ctx.areas, imd=imd, uc=uc, population=pop, level=level, harm=harm)
        write_csv(folder / f"areas_{level}.csv", prof)
    if imd is not None:
        write_csv(folder / "by_imd_decile.csv", by_imd_decile(cyc, ctx.areas, imd, population=pop))
    lsoa_counts = year.groupby("lsoa_code").size().reindex(ctx.areas.lsoa["lsoa_code"], fill_value=0)
    grid = ctx.study.grid(250.0)
    year_xy = _located(year)
    cells = count_points(year_xy["easting"].to_numpy(), year_xy["northing"].to_numpy(), grid.spec,
                         mask=grid.mask).to_numpy()
    conc = pd.concat([concentration_table(lsoa_counts.to_numpy(), unit="lsoa"),
                      concentration_table(cells[np.isfinite(cells)], unit="cell_250m")], ignore_index=True)
    write_csv(folder / "concentration.csv", conc)
    write_json(folder / "profiles.json", {
        "peak_windows": windows, "reference_correlation": correlation,
        "period": [str(per["end"] - pd.Timedelta(days=364))[:10], str(per["end"])[:10]],
    })
    # LSOA hot spots of rates beside deprivation (libpysal + esda): part of the stage, so a failure
    # fails the run; it needs residents per LSOA.
    if "population" in ctx.areas.lsoa.columns:
        _fix_gpkg_time(per["end"])
        out = lsoa_hotspots(ctx.areas.lsoa, year.groupby("lsoa_code").size(), imd=imd,
                            permutations=999, seed=ctx.cfg.hotspots["seed"])
        write_gpkg(folder / "lsoa_hotspots.gpkg", {"lsoa_hotspots": out})


def stage_forecast(ctx: _Context, folder: Path) -> None:
    """Next period's expected violence by unit (and by day x hour for timestamped data).

    Timestamped data: the next ``horizon_days`` from the day after the cycle. Month-only data:
    the ``horizon_months`` whole months after the cycle's last month, from the published months
    before it (gaps skipped, never zero); no day x hour split and no interval (not available).
    A backtest runs when ``backtest_folds`` > 0.
    """
    f = ctx.cfg.forecast
    per = ctx.periods()
    origin = per["end"] + pd.Timedelta(days=1)
    off = ctx.offences()
    off = off[(ctx.when(off) < origin).to_numpy()]
    model_path = ctx.cfg.path(f["model"])
    model = load_model(model_path) if model_path is not None else None
    horizon: Any = f["horizon_days"] if ctx.timed else f"{f['horizon_months']}M"
    start: Any = origin if ctx.timed else origin.to_period("M")
    layer, table = api.forecast(off, ctx.study, origin=start, horizon=horizon, unit=f["unit"],
                                cell=f["cell_m"], model=None if not ctx.timed else model,
                                serious_only=ctx.cfg.hotspots["serious_only"], seed=ctx.cfg.hotspots["seed"])
    layer = _name_units(ctx, layer)
    _fix_gpkg_time(per["end"])
    write_gpkg(folder / "forecast.gpkg", {"forecast": layer})
    if table is not None:
        write_csv(folder / "forecast_day_hour.csv", table)
    period = ({"origin": str(origin.date()), "horizon_days": int(f["horizon_days"])} if ctx.timed else
              {"origin": str(start), "horizon_months": int(f["horizon_months"]),
               "months": [str(start + k) for k in range(int(f["horizon_months"]))],
               "history_months": layer.attrs.get("history", []), "interval": NOT_AVAILABLE,
               "day_hour": NO_HOURS, "model": layer.attrs.get("model", "")})
    write_json(folder / "forecast.json", {
        **period, "unit": f["unit"], "expected_total": round(float(layer["expected"].sum()), 3),
        "top": layer.head(10)[["unit", "name", "expected", "q10", "q90"]].round(3).to_dict("records"),
    })
    if f["backtest_folds"] > 0:
        bt = api.backtest(off, ctx.study, unit=f["unit"], cell=f["cell_m"], folds=f["backtest_folds"],
                          horizon=f["horizon_days"] if ctx.timed else "1M", seed=ctx.cfg.hotspots["seed"],
                          client=ctx.client)
        if ctx.timed:
            write_json(folder / "backtest.json", bt.summary)
            backtest_chart(bt, folder / "backtest.png")
        else:
            write_csv(folder / "backtest_monthly.csv", bt)


def _name_units(ctx: _Context, layer):
    """Readable names for forecast units: the beat and LSOA at each unit's centre."""
    pts = layer.geometry.representative_point()
    layer = layer.copy()
    layer["name"] = place_names(pts.x.to_numpy(), pts.y.to_numpy(), ctx.study, tolerance=2000.0)["name"].to_numpy()
    return layer


def stage_routes(ctx: _Context, folder: Path) -> None:
    """A youth-work route through the places with the most expected violence in the window."""
    r = ctx.cfg.routes
    win = parse_window(r["window"])
    cells = set(win.cells())
    fc = gpd.read_file(ctx.folders["forecast"] / "forecast.gpkg", layer="forecast")
    fc["unit"] = fc["unit"].astype(str)
    if ctx.timed:
        dh = pd.read_csv(ctx.folders["forecast"] / "forecast_day_hour.csv", dtype={"unit": str})
        dh = dh[dh["unit"] != "ALL"]
        inwin = [(int(d), int(h)) in cells for d, h in zip(dh["day_of_week"], dh["hour"])]
        exp_w = dh[inwin].groupby("unit")["expected"].sum()
    else:  # police.uk has no hours: visit the places with the most expected offences in the month
        exp_w = fc.set_index("unit")["expected"]
        exp_w = exp_w[exp_w > 0]
    fc = fc[fc["unit"].isin(exp_w.index)].copy()
    # keep units within walking reach of the start (a loop cannot reach further than half the walk)
    sx, sy = to_bng(np.array([r["start"][1]]), np.array([r["start"][0]]))
    pts = fc.geometry.representative_point()
    reach = np.hypot(pts.x - sx[0], pts.y - sy[0]) <= r["max_walk_m"] / 2
    fc = fc[reach.to_numpy()]
    pts = fc.geometry.representative_point()
    cand = pd.DataFrame({"x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
                         "expected": fc["unit"].map(exp_w).to_numpy(), "name": fc["name"].to_numpy()})
    origin = ctx.periods()["end"] + pd.Timedelta(days=1)
    day = origin + pd.Timedelta(days=(win.day - origin.dayofweek) % 7)
    start_time = (day + pd.Timedelta(hours=win.start)).to_pydatetime()
    if cand.empty:
        write_text(folder / "route.txt", f"No forecast unit with expected violence in {win} lies within "
                   f"{r['max_walk_m'] / 2:.0f} m of the start {tuple(r['start'])}: no route.\n")
        return
    route = R.plan_route(cand, tuple(r["start"]), max_walk_m=r["max_walk_m"], stops=int(r["stops"]),
                         start_time=start_time)
    R.write_gpx(route, folder / "route.gpx")
    R.write_geojson(route, folder / "route.geojson")
    R.write_table(route, folder / "route.csv")
    R.write_table(route, folder / "route.html")


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame | None:
    return gpd.read_file(path, layer=layer) if path.exists() else None


def stage_publish(ctx: _Context, folder: Path) -> None:
    """The tasking map and the briefing (full or public)."""
    o = ctx.cfg.outputs
    hs = ctx.folders["hotspots"]
    pr = ctx.folders["profiles"]
    threshold = int(o["small_count_threshold"])
    handling = HANDLING_PUBLIC if ctx.public else HANDLING_FULL
    kde = read_geotiff(hs / "kde.tif")
    cells = gpd.read_file(hs / "hotspots.gpkg", layer="gistar_cells")
    emerging = _read_layer(ctx.folders["emerging"] / "emerging.gpkg", "emerging")
    forecast = gpd.read_file(ctx.folders["forecast"] / "forecast.gpkg", layer="forecast")
    top = pd.read_csv(hs / "top_hotspots.csv")
    lsoa = pd.read_csv(pr / "areas_lsoa.csv")
    lsoa_stats = lsoa.rename(columns={"uc_per_100_households": "uc_rate", "sv_per_1000": "sv_rate"})
    route = None
    if (ctx.folders["routes"] / "route.geojson").exists() and not ctx.public:
        route = R.route_from_geojson(ctx.folders["routes"] / "route.geojson")
    if ctx.public:
        kde = None  # a smoothed surface of points can reveal individual locations at small counts
        cells = redact.public_table(cells, threshold=threshold, text=True)
        top = redact.public_table(top, threshold=threshold, text=True)
        if emerging is not None:
            emerging = redact.public_table(emerging, threshold=threshold, text=True)
        lsoa_stats = lsoa_stats[[c for c in ("lsoa_code", "uc_rate") if c in lsoa_stats]]  # deciles: text labels
        forecast = redact.public_table(forecast, threshold=threshold, text=True)  # pages: numeric rank
    # the map shows what a meeting acts on; complete layers are in the GeoPackages
    cells = cells[cells["class"] != 0]
    forecast = forecast.nsmallest(MAP_FORECAST_UNITS, "rank")
    m = api.tasking_map(ctx.study, kde=kde, gistar=cells, emerging=emerging, forecast=forecast,
                        lsoa_stats=lsoa_stats, top=top, route=route,
                        title=f"{_title(ctx, 'tasking map')}, cycle {ctx.cycle_id()} ({ctx.period_label()})",
                        tiles=o["basemap"], handling=handling, forecast_name=_forecast_name(ctx))
    save_map(m, folder / "tasking_map.html")
    _stable_html_ids(folder / "tasking_map.html")
    if o["briefing"]:
        _briefing(ctx, folder, top, handling, threshold)


def _forecast_name(ctx: _Context) -> str:
    """"Forecast: next week" (timestamped data) or the forecast months ("Forecast: July 2025")."""
    if ctx.timed:
        return "Forecast: next week" if int(ctx.cfg.forecast["horizon_days"]) == 7 else "Forecast: next 28 days"
    fc = json.loads((ctx.folders["forecast"] / "forecast.json").read_text())
    return "Forecast: " + ", ".join(_month_label(pd.Period(m, freq="M")) for m in fc.get("months", []))


def _title(ctx: _Context, what: str) -> str:
    """"Serious violence tasking map"; month-only data name what they analyse instead."""
    return f"Serious violence {what}" if ctx.timed else f"{ctx.selection_label()}: {what}"


#: Forecast units drawn on the map (highest expected first); the GeoPackage has every unit.
MAP_FORECAST_UNITS = 1000


def _headline(ctx: _Context, now: pd.DataFrame, last: pd.DataFrame | None) -> dict[str, tuple]:
    """Headline figures, this cycle and last; what the data cannot say reads "not available"."""
    def pair(fn: Callable[[pd.DataFrame], int]) -> tuple:
        return (fn(now), fn(last) if last is not None else None)

    if ctx.timed:
        return {
            "Serious violence offences": pair(len),
            "Knife-enabled serious violence": pair(lambda d: int(d["knife"].sum())),
            "Robbery": pair(lambda d: int((d["sv_category"] == "robbery").sum())),
            "Friday/Saturday night (18:00-06:00)": pair(_weekend_nights),
        }
    per = ctx.periods()
    monthly = {m["month"]: m for m in ctx.audit().get("monthly", [])}
    key = "selected" if ctx.cfg.hotspots["serious_only"] else "recorded"

    def total(start: pd.Timestamp, end: pd.Timestamp) -> int | None:
        months = [str(m) for m in pd.period_range(start, end, freq="M")]
        if not monthly or any(m not in monthly or monthly[m].get("status") == "missing" for m in months):
            return None
        return int(sum(monthly[m].get(key, 0) for m in months))

    located = pair(len)
    this_total, last_total = total(per["start"], per["end"]), total(per["prev_start"], per["prev_end"])
    recorded = (this_total, last_total) if this_total is not None and not ctx.public else located
    out = {
        f"{ctx.selection_label()}, recorded (incl. no location)" if recorded is not located
        else ctx.selection_label(): recorded,
        "Robbery (with a location)": pair(lambda d: int((d["crime_type"] == "Robbery").sum())),
        "Knife-enabled serious violence": (f"{NOT_AVAILABLE} (police.uk has no knife flag)",),
        "Domestic serious violence": (f"{NOT_AVAILABLE} (police.uk has no domestic flag)",),
        "Friday/Saturday night (18:00-06:00)": (f"{NOT_AVAILABLE} (police.uk data has no day or hour)",),
    }
    if ctx.public:  # public outputs name no domestic or sexual category at all
        out.pop("Domestic serious violence")
    return out


def _comparison_note(ctx: _Context) -> list[str]:
    """One line on how this cycle's hot spot map and list compare with last cycle's (full runs)."""
    comp = json.loads((ctx.folders["hotspots"] / "hotspots.json").read_text()).get("comparison_with_last_cycle", {})
    if ctx.public or "map" not in comp:
        return []
    m, t = comp["map"], comp.get("top_list", {})
    line = (f"Hot spot map against last cycle: similarity {m.get('similarity_significant', float('nan')):.2f} "
            f"over the cells significant in either, fuzzy kappa {m.get('fuzzy_kappa', float('nan')):.2f}")
    if t:
        line += f"; top {t['top']} places shared with last cycle {t['n_shared']} (rank-biased overlap {t['rbo']:.2f})"
    return [line + "."]


def _quality_notes(ctx: _Context) -> list[str]:
    """Data-quality lines for the briefing: the boundaries used and the audit's notes (full runs),
    months present and missing."""
    notes = [] if ctx.public else [ctx.areas.describe(), *ctx.audit().get("notes", [])]
    if ctx.timed:
        return notes
    if notes:
        return notes
    m = ctx.months()
    notes = [f"Months with published data: {', '.join(m['present'])}."]
    if m["missing"]:
        notes.append(f"Months missing from the published data (gaps, not zeros): {', '.join(m['missing'])}.")
    notes.append("police.uk locations are snapped to map points and dates are months only: "
                 + ("no day, hour or knife figures can be given." if ctx.public else
                    "no day, hour, knife or domestic figures can be given."))
    return notes


def _briefing(ctx: _Context, folder: Path, top: pd.DataFrame, handling: str, threshold: int) -> None:
    per = ctx.periods()
    off = ctx.analysed()
    now = _in(off, per["start"], per["end"])
    last_missing = ctx.missing_in(per["prev_start"], per["prev_end"])
    last = None if last_missing else _in(off, per["prev_start"], per["prev_end"])
    hsj = json.loads((ctx.folders["hotspots"] / "hotspots.json").read_text())
    headline = _headline(ctx, now, last)
    if ctx.public:
        headline = {k: tuple(v if isinstance(v, str) or v is None or v >= threshold or v == 0 else f"<{threshold}"
                             for v in vals) for k, vals in headline.items()}
    if ctx.timed:  # months run continuously in a timestamped extract
        trend = off.set_index("occurred_at").resample("MS").size()
    else:  # a month with no published data is a gap in the line (NaN), never a zero
        key = "selected" if ctx.cfg.hotspots["serious_only"] else "recorded"
        recorded = {m["month"]: m.get(key) for m in ctx.audit().get("monthly", [])}
        by_month = off["month"].astype(str).value_counts()
        if recorded and not ctx.public:  # recorded totals, No Location rows included
            by_month = pd.Series({m: v for m, v in recorded.items() if v is not None})
        months = pd.period_range(ctx.months()["present"][0], ctx.months()["present"][-1], freq="M")
        trend = pd.Series([by_month.get(str(m), np.nan) if str(m) not in ctx.months()["missing"] else np.nan
                           for m in months], index=months.to_timestamp(), dtype=float)
    trend = trend[trend.index <= per["end"]]
    if ctx.public:
        trend = trend.astype(float).mask((trend > 0) & (trend < threshold))
    fc = pd.read_json(ctx.folders["forecast"] / "forecast.json", typ="series")
    forecast = pd.DataFrame(fc["top"])
    em = json.loads((ctx.folders["emerging"] / "emerging.json").read_text())
    emerging = _read_layer(ctx.folders["emerging"] / "emerging.gpkg", "emerging")
    emerging = pd.DataFrame(emerging.drop(columns="geometry")) if emerging is not None else None
    dec_path = ctx.folders["profiles"] / "by_imd_decile.csv"
    imd_profile = pd.read_csv(dec_path) if dec_path.exists() else None
    day_hour: Any = day_hour_table(_in(off, per["end"] - pd.Timedelta(days=364), per["end"])) \
        if ctx.timed else f"Day of week x hour: {NO_HOURS} (months only)."
    if ctx.public:
        forecast = forecast.drop(columns=[c for c in ("q10", "q90") if c in forecast])
        if imd_profile is not None:
            imd_profile = redact.public_table(imd_profile, threshold=threshold, text=True)
        if ctx.timed:
            day_hour = day_hour.mask((day_hour > 0) & (day_hour < threshold))
    emerging_text = (f"emerging hot spots over {em['steps']} {em['step']}ly steps of {em['cell_m']:.0f} m cells"
                     if "status" not in em else f"emerging hot spots {em['status']}")
    what = (f"Serious violence = {', '.join(sorted(set(off['sv_category'])))} under the configured rules. "
            if ctx.timed else f"Offences analysed: {ctx.selection_label()}. ")
    method = (f"{what}"
              f"Gi* on {hsj['gistar'].get('cell', '')} m cells with a {hsj['gistar'].get('distance', '')} m "
              f"distance band, {hsj['gistar'].get('fdr', '')} false-discovery-rate correction; KDE "
              f"{hsj['kde'].get('kernel', '')} kernel, bandwidth {hsj['kde'].get('bandwidth', 0):.0f} m "
              f"({hsj['kde'].get('bandwidth_rule', '')}); {emerging_text}; " +
              ("forecasts from a Poisson gradient-boosting model trained on the data before the cycle's end."
               if ctx.timed else f"forecasts of whole months from the published months before them "
               f"({fc.get('model', '')}: recency-weighted, spatially smoothed counts chosen by temporal "
               f"cross-validation; no interval and no day or hour split: {NO_HOURS})."))
    last_label = (f"last cycle {per['prev_start'].date()} to {per['prev_end'].date()}" if ctx.timed else
                  f"last cycle {_month_label(per['prev_end'].to_period('M'))}"
                  + (" not published" if last_missing else ""))
    fc_title = "Forecast" if ctx.timed else \
        f"Forecast for {', '.join(_month_label(pd.Period(m, freq='M')) for m in fc.get('months', []))}"
    extra: dict[str, Any] = {"notes": _comparison_note(ctx)} if ctx.timed else \
        {"notes": _quality_notes(ctx) + _comparison_note(ctx), "forecast_title": fc_title}
    write_briefing(folder / "briefing.html", title=f"{_title(ctx, 'tasking briefing')}",
                   period=f"Cycle {ctx.cycle_id()}: {ctx.period_label()} ({last_label})",
                   handling=handling, headline=headline, top=top, day_hour=day_hour, trend=trend,
                   forecast=forecast, emerging=emerging, imd_profile=imd_profile, method=method,
                   top_harm=None if ctx.public else _read_csv_if(ctx.folders["hotspots"] / "top_harm_hotspots.csv"),
                   harm_note="" if ctx.public else _harm_note(hsj.get("harm", {})), **extra)


def _read_csv_if(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.exists() else None


def _harm_note(info: dict[str, Any]) -> str:
    """The briefing's line on harm: the index behind the harm columns, or why there are none."""
    status = str(info.get("status", ""))
    if status == "ok":
        label = "the ONS Crime Severity Score" if info.get("name") == "ons-css" else str(info.get("name", ""))
        return (f"Harm: offences weighted by {label} ({info.get('source', '')}); "
                "a place's harm is the sum of its offences' weights this cycle.")
    return f"Harm: {status}." if status else ""


def _weekend_nights(off: pd.DataFrame) -> int:
    t = off["occurred_at"]
    dow, hour = t.dt.dayofweek, t.dt.hour
    fri_sat_night = ((dow == 4) & (hour >= 18)) | ((dow == 5) & ((hour < 6) | (hour >= 18))) | ((dow == 6) & (hour < 6))
    return int(fri_sat_night.sum())


_HEX_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _stable_html_ids(path: Path) -> None:
    """Replace Folium's random element ids by sequential ones so reruns are byte-identical."""
    text = path.read_text(encoding="utf-8")
    seen: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        return seen.setdefault(m.group(0), f"{len(seen) + 1:032x}")

    write_text(path, _HEX_ID.sub(sub, text))


# ---- orchestration ------------------------------------------------------------------------

#: (stage name, function, upstream stages, config sections that parameterise it)
STAGES: list[tuple[str, Callable[[_Context, Path], None], list[str], list[str]]] = [
    ("offences", stage_offences, [], ["inputs"]),
    ("hotspots", stage_hotspots, ["offences"], ["cycle", "hotspots", "outputs", "covariates"]),
    ("emerging", stage_emerging, ["offences"], ["cycle", "hotspots", "emerging"]),
    ("profiles", stage_profiles, ["offences"], ["cycle", "hotspots", "covariates"]),
    ("forecast", stage_forecast, ["offences"], ["cycle", "hotspots", "forecast"]),
    ("routes", stage_routes, ["forecast"], ["routes"]),
    ("publish", stage_publish, ["hotspots", "emerging", "profiles", "forecast", "routes"],
     ["cycle", "outputs"]),
]

#: Where each stage's files go in the cycle folder (by suffix), and which are withheld in public runs.
LAYOUT = {".html": "maps", ".tif": "rasters", ".nc": "cube", ".gpkg": "layers", ".csv": "tables",
          ".png": "tables", ".json": "tables", ".gpx": "routes", ".geojson": "routes"}


def _destination(stage: str, name: str) -> str:
    if stage == "offences":
        return {"quarantine.csv": "quarantine/quarantine.csv", "ingest_report.json": "quarantine/ingest_report.json",
                "offences.gpkg": "layers/offences.gpkg", "audit.json": "quarantine/audit.json"}[name]
    if stage == "forecast":
        return f"forecasts/{name}"
    if stage == "routes":
        return f"routes/{name}"
    if name == "briefing.html" or name.startswith("briefing"):
        return f"briefing/{name}"
    return f"{LAYOUT.get(Path(name).suffix, 'tables')}/{name}"


def run_cycle(cfg: CycleConfig, out: str | Path, *, public: bool | None = None, wait: float = 0.0,
              log: Callable[[str], None] = print, fail_in: str | None = None,
              scheduler: str | None = None, workers: int = 2) -> CycleResult:
    """Run the whole tasking cycle and publish ``out/<cycle id>/`` atomically.

    Parameters
    ----------
    cfg : CycleConfig
        Validated configuration (:func:`hotspot.config.load`).
    out : str or Path
        Output folder; the cycle folder is created inside it, stage caches in ``out/.cache``
        (public runs: ``out/public/<id>`` and ``out/public/.cache``).
    public : bool, optional
        Override ``[cycle] public``: True writes only the redacted OFFICIAL outputs.
    wait : float
        Seconds to wait for another run's lock on ``out`` before refusing.
    log : callable
        Receives one progress line per stage.
    fail_in : str, optional
        Testing hook: raise inside the named stage (simulates a crash mid-run).
    scheduler : str, optional
        Run the heavy parts on Dask (extra ``hotspot[dask]``): ``"processes"`` starts a local
        cluster of ``workers`` processes, ``tcp://host:port`` uses an existing cluster. Ingest runs
        one task per input file, KDE and Gi* on tiles with a halo, backtests one task per origin.
        Outputs equal those of a single-process run, so stage caches are shared between modes.
    workers : int
        Worker processes of a local cluster.

    Returns
    -------
    CycleResult
    """
    out = Path(out)
    public = cfg.cycle["public"] if public is None else public
    ctx = _Context(cfg, public)
    t_start = time.perf_counter()
    if scheduler:
        log(f"connecting to Dask ({scheduler})")
        ctx.client = scale.get_client(scheduler, n_workers=workers)
        ctx.scheduler = scheduler if scheduler.startswith(("tcp://", "tls://")) else f"{scheduler} x{workers}"
    try:
        return _run(ctx, cfg, out, public, wait, log, fail_in, t_start)
    finally:
        if ctx.client is not None:
            scale.close_client(ctx.client)


def _run(ctx: _Context, cfg: CycleConfig, out: Path, public: bool, wait: float,
         log: Callable[[str], None], fail_in: str | None, t_start: float) -> CycleResult:
    if cfg.cycle["id"] != "auto":
        ctx.cycle_id()  # a bad id fails before any stage runs
    with folder_lock(out, wait=wait):
        clean_leftovers(out)  # working folders of killed runs (we hold the lock)
        # public runs keep their own cache: each run prunes only its own stale entries
        cache = StageCache((out / PUBLIC_DIR if public else out) / ".cache")
        inputs: list[Path | None] = list(ctx.input_paths())  # cfg.path() may give None
        if cfg.forecast["model"]:  # a swapped model changes the cache key and the manifest
            inputs.append(cfg.path(cfg.forecast["model"]))
        hashes = hash_inputs([p for p in inputs if p is not None and p.exists()])
        hashes = {str(Path(k).resolve()): v for k, v in hashes.items()}
        sections = cfg.as_dict()
        keys: dict[str, str] = {}
        results: list[StageResult] = []
        for name, func, upstream, secs in STAGES:
            params = {s: sections[s] for s in secs}
            params["public"] = public if name != "offences" else None
            key = stage_key(name, params, hashes, [keys[u] for u in upstream], STAGE_VERSION)
            keys[name] = key

            def call(folder: Path, func=func, name=name) -> None:
                if fail_in == name:
                    (folder / "partial.txt").write_text("half-written")
                    raise RuntimeError(f"simulated failure in stage {name!r}")
                func(ctx, folder)

            res = run_stage(cache, name, key, call, log=log)
            ctx.folders[name] = res.folder
            results.append(res)
        cycle_id = validate_cycle_id(ctx.cycle_id())
        final = cycle_folder(out, cycle_id, public)  # public: out/public/<id>; never the same folder
        check_replaceable(final, "OFFICIAL" if public else "OFFICIAL-SENSITIVE")
        with atomic_folder(final) as tmp:
            outputs = _assemble(ctx, results, tmp)
            if public:
                for rel in outputs:  # every published file is scanned for a surviving small count
                    redact.assert_public(tmp / rel, int(cfg.outputs["small_count_threshold"]))
            manifest = _manifest(ctx, cfg, results, hashes, outputs, public, cycle_id,
                                 time.perf_counter() - t_start)
            if public:  # the full manifest (inputs, quarantine figures) stays off the public folder
                write_json(tmp / "manifest.json", redact.public_manifest(manifest))
            else:
                write_json(tmp / "manifest.json", manifest)
            if public:  # the independent deny-by-default scan of everything published
                found = scan_folder(tmp, int(cfg.outputs["small_count_threshold"]))
                if found:
                    raise redact.PublicationError(f"{len(found)} disclosure finding(s) in the public cycle; "
                                           "nothing was published: " + "; ".join(map(str, found[:10])))
        cache.prune({f"{n}-{k}" for n, k in keys.items()})
    summary = _summary(final, manifest)
    for line in summary:
        log(line)
    return CycleResult(final, cycle_id, results, manifest, summary)


def _assemble(ctx: _Context, results: list[StageResult], tmp: Path) -> dict[str, str]:
    """Copy stage outputs into the cycle folder; public runs get only redacted, shareable files."""
    outputs: dict[str, str] = {}
    for res in results:
        for rel in res.files:
            dest = _destination(res.name, rel)
            if ctx.public and not _publishable(res.name, rel):
                continue
            target = tmp / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            src = res.folder / rel
            if ctx.public and res.name != "publish":
                _write_public_copy(ctx, src, target)
            else:
                shutil.copyfile(src, target)
            if target.exists():
                outputs[dest] = sha256_file(target)
    return dict(sorted(outputs.items()))


#: Files a public (OFFICIAL) run may publish; everything else stays in the sensitive run only.
PUBLIC_FILES = {
    ("hotspots", "hotspots.gpkg"), ("hotspots", "top_hotspots.csv"), ("emerging", "emerging.gpkg"),
    ("profiles", "day_hour.csv"), ("profiles", "areas_beat.csv"),
    ("profiles", "areas_la.csv"), ("profiles", "by_imd_decile.csv"), ("profiles", "concentration.csv"),
    ("forecast", "forecast.gpkg"), ("publish", "tasking_map.html"), ("publish", "briefing.html"),
}


def _publishable(stage: str, name: str) -> bool:
    return (stage, name) in PUBLIC_FILES


def _write_public_copy(ctx: _Context, src: Path, target: Path) -> None:
    """Redact a stage output on its way into a public cycle folder."""
    threshold = int(ctx.cfg.outputs["small_count_threshold"])
    if src.suffix == ".gpkg":
        layers = {name: gpd.read_file(src, layer=name) for name, _ in pyogrio.list_layers(src)}
        export_layers(target, layers, public=True, threshold=threshold)
    elif src.suffix == ".csv":
        export_layers(target, {"table": pd.read_csv(src)}, public=True, threshold=threshold)
    else:
        shutil.copyfile(src, target)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "hotspot": __version__}
    for pkg in ("numpy", "pandas", "geopandas", "shapely", "pyproj", "libpysal", "esda", "scikit-learn",
                "xarray", "rasterio", "folium", "numba", "scipy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _manifest(ctx, cfg, results, hashes, outputs, public, cycle_id, seconds) -> dict:
    report = json.loads((ctx.folders["offences"] / "ingest_report.json").read_text())
    per = ctx.periods()
    return {
        "cycle_id": cycle_id,
        "handling": "OFFICIAL" if public else "OFFICIAL-SENSITIVE",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "period": {k: str(v.date()) for k, v in per.items()},
        "time_resolution": ctx.resolution,
        "analysed": ctx.selection_label(),
        "study_area": {**ctx.study.describe(), "boundaries": ctx.areas.describe()},
        **({"months": ctx.months()} if not ctx.timed else {}),
        **({"data_quality": ctx.audit()} if not public and ctx.audit() else {}),
        "inputs": hashes,
        "parameters": cfg.as_dict(),
        "versions": _versions(),
        "reconciliation": report.get("totals", {}),
        "reconciliation_by_file": report.get("files", {}),
        "timings_s": {r.name: {"seconds": round(r.seconds, 3), "cached": r.cached} for r in results},
        "total_seconds": round(seconds, 3),
        "execution": ctx.scheduler,
        "outputs": outputs,
        "model_sha256": _model_sha256(cfg),
    }


def _model_sha256(cfg) -> str | None:
    """SHA-256 of the configured forecast model file (None: trained on this cycle's data)."""
    if not cfg.forecast["model"]:
        return None
    return model_sha256(cfg.path(cfg.forecast["model"]))


def _summary(final: Path, manifest: dict) -> list[str]:
    t = manifest["reconciliation"]
    lines = [f"cycle {manifest['cycle_id']} ({manifest['handling']}) written to {final}",
             f"  offences read {t.get('rows_read', 0):,}, accepted {t.get('accepted', 0):,}, "
             f"quarantined {t.get('quarantined', 0):,}"]
    for reason, n in sorted(t.get("by_reason", {}).items()):
        lines.append(f"    {reason}: {n:,}")
    groups: dict[str, int] = {}
    for rel in manifest["outputs"]:
        groups[rel.split("/")[0]] = groups.get(rel.split("/")[0], 0) + 1
    lines.append("  outputs: " + ", ".join(f"{g}/ ({n})" for g, n in sorted(groups.items())))
    lines.append(f"  total {manifest['total_seconds']:.1f} s; open {final / 'maps' / 'tasking_map.html'}")
    return lines

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

import json
import os
import platform
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from hotspot import __version__
from hotspot.config import CycleConfig
from hotspot.errors import InputError
from hotspot.io import sha256_file, write_json
from hotspot.paths import data_dir
from hotspot.runner import StageCache, StageResult, atomic_folder, folder_lock, hash_inputs, run_stage, stage_key

def _code_version() -> str:
    """Package version plus a hash of its source: a changed engine never reuses stale stage caches."""
    import hashlib

    h = hashlib.sha256()
    root = Path(__file__).parent
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return f"{__version__}-{h.hexdigest()[:12]}"


STAGE_VERSION = _code_version()

DEFAULT_INPUTS = ["offences_extract.csv.gz"]


@dataclass
class CycleResult:
    """What a run produced."""

    folder: Path
    cycle_id: str
    stages: list[StageResult]
    manifest: dict
    summary: list[str] = field(default_factory=list)


class _Context:
    """Resolved inputs and lazily loaded intermediate results shared by the stages of one run."""

    def __init__(self, cfg: CycleConfig, public: bool):
        self.cfg = cfg
        self.public = public
        inp = cfg.inputs
        self.inputs = [cfg.path(p) for p in inp["offences"]] or [data_dir() / f for f in DEFAULT_INPUTS]
        for p in self.inputs:
            if not p.exists():
                raise InputError("offence input not found; fix [inputs] offences in the config", path=p)
        self.boundaries = cfg.path(inp["boundaries"]) or data_dir() / "boundaries.gpkg"
        self.postcodes = cfg.path(inp["postcodes"]) or data_dir() / "postcodes.csv"
        cov = cfg.covariates
        self.imd_path = cfg.path(cov["imd"]) or data_dir() / "covariates" / "imd2019_file7.csv"
        self.uc_path = cfg.path(cov["uc_lsoa"]) or data_dir() / "covariates" / "uc_households_lsoa.csv"
        self.pop_path = cfg.path(cov["population"]) or data_dir() / "covariates" / "population_lsoa.csv"
        self.extra = [p for p in (cfg.path(inp["mapping"]), cfg.path(inp["rules"])) if p is not None]
        self._areas = None
        self._offences = None
        self.folders: dict[str, Path] = {}
        self.client = None  # a Dask client when run with a scheduler (hotspot[dask])
        self.scheduler = "single process"

    # -- lazily loaded shared objects -------------------------------------------------------
    @property
    def areas(self):
        if self._areas is None:
            from hotspot.geography.areas import load_areas

            self._areas = load_areas(self.boundaries)
        return self._areas

    def offences(self):
        """All accepted, geocoded offences (from the offences stage's GeoPackage)."""
        if self._offences is None:
            from hotspot.geography.geocode import read_geocoded

            self._offences = read_geocoded(self.folders["offences"] / "offences.gpkg")
        return self._offences

    def analysed(self):
        """The offences analysed: serious violence only unless configured otherwise.

        Public runs leave out the sensitive categories entirely (sexual offences and anything
        domestic), so no published figure, surface or cell can be traced back to them.
        """
        off = self.offences()
        if self.cfg.hotspots["serious_only"]:
            off = off[off["serious_violence"].astype(bool)]
        if self.public:
            from hotspot.publish.redact import drop_sensitive

            off = drop_sensitive(off)
        return off

    @property
    def hot_cell(self) -> float:
        """Hotspot cell size; public outputs never use cells under 250 m."""
        c = float(self.cfg.hotspots["cell_m"])
        return max(c, 250.0) if self.public else c

    @property
    def hot_distance(self) -> float:
        d = float(self.cfg.hotspots["distance_m"])
        return max(d, 2 * self.hot_cell) if self.public else d

    def periods(self) -> dict[str, pd.Timestamp]:
        """This cycle ``[start, end]`` and the previous cycle of the same length."""
        off = self.offences()
        t = off["occurred_at"].dropna()
        end_cfg = self.cfg.cycle["end"]
        end = pd.Timestamp(end_cfg) if end_cfg != "auto" else t.max().normalize()
        n = int(self.cfg.cycle["period_days"])
        start = end - pd.Timedelta(days=n - 1)
        prev_end = start - pd.Timedelta(days=1)
        prev_start = prev_end - pd.Timedelta(days=n - 1)
        return {"start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end}

    def cycle_id(self) -> str:
        cid = self.cfg.cycle["id"]
        if cid != "auto":
            from hotspot.runner import validate_cycle_id

            return validate_cycle_id(re.sub(r"[^A-Za-z0-9_.-]", "_", cid))
        end = self.periods()["end"]
        iso = end.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"


def _in(off: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    t = off["occurred_at"]
    return off[(t >= start) & (t < end + pd.Timedelta(days=1))]


def _fix_gpkg_time(when: pd.Timestamp) -> None:
    """GeoPackages record a last-change time: pin it so reruns are byte-identical."""
    os.environ["OGR_CURRENT_DATE"] = pd.Timestamp(when).strftime("%Y-%m-%dT00:00:00Z")


# ---- stages ---------------------------------------------------------------------------------

def stage_offences(ctx: _Context, folder: Path) -> None:
    """Read, validate, geocode; write offences, quarantine and the reconciliation report."""
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences, write_offences
    from hotspot.io import write_csv

    inp = ctx.cfg.inputs
    kw = {"areas": load_areas(ctx.boundaries), "tolerance": inp["tolerance_m"], "mapping": ctx.cfg.path(inp["mapping"]),
          "now": inp["now"] or None, "rules": ctx.cfg.path(inp["rules"]), "postcodes": ctx.postcodes}
    if ctx.client is not None:  # one task per input file; equal to the single-process result
        from hotspot.scale import load_offences_distributed

        res = load_offences_distributed(ctx.inputs, ctx.client, **kw)
    else:
        res = load_offences(ctx.inputs, **kw)
    latest = res.offences["occurred_at"].max() if len(res.offences) else None
    _fix_gpkg_time(latest if pd.notna(latest) else pd.Timestamp("2000-01-01"))
    write_offences(res.offences, folder / "offences.gpkg")
    write_csv(folder / "quarantine.csv", res.quarantine)
    write_json(folder / "ingest_report.json", res.report)


def _grid(ctx: _Context, cell: float):
    from hotspot.grid.spec import GridSpec

    force = ctx.areas.force
    spec = GridSpec.from_bounds(tuple(force.total_bounds), cell)
    return spec, spec.mask(force.geometry.union_all())


def stage_hotspots(ctx: _Context, folder: Path) -> None:
    """KDE and Gi* for this and the last cycle, change between them, the top-N hotspot list."""
    from hotspot.grid.binning import count_points
    from hotspot.grid.io import write_geotiff
    from hotspot.hotspots import compare
    from hotspot.hotspots.gistar import gistar, to_cells
    from hotspot.hotspots.kde import kde

    h = ctx.cfg.hotspots
    per = ctx.periods()
    off = ctx.analysed()
    now = _in(off, per["start"], per["end"])
    last = _in(off, per["prev_start"], per["prev_end"])
    spec, mask = _grid(ctx, ctx.hot_cell)
    x, y = now["easting"].to_numpy(), now["northing"].to_numpy()
    bw = h["bandwidth_m"] or None
    if ctx.client is not None:  # tiles with a halo of the kernel radius; identical surface
        from hotspot.scale import kde_tiled

        surface = kde_tiled(x, y, spec, bandwidth=bw, kernel=h["kernel"], mask=mask, client=ctx.client)
    else:
        surface = kde(x, y, spec, bandwidth=bw, kernel=h["kernel"], mask=mask)
    write_geotiff(surface, folder / "kde.tif")
    counts = count_points(x, y, spec, mask=mask)
    counts_last = count_points(last["easting"].to_numpy(), last["northing"].to_numpy(), spec, mask=mask)
    fdr = {"by": "bh_dependence"}.get(h["fdr"], h["fdr"])
    if ctx.client is not None and not h["permutations"]:  # window sums on Dask chunks with a halo
        from hotspot.scale import gistar_tiled

        gi = gistar_tiled(counts, ctx.hot_distance, fdr=fdr, seed=h["seed"], client=ctx.client)
        gi_last = gistar_tiled(counts_last, ctx.hot_distance, fdr=fdr, seed=h["seed"],
                              client=ctx.client)
    else:
        gi = gistar(counts, ctx.hot_distance, permutations=h["permutations"], seed=h["seed"], fdr=fdr)
        gi_last = gistar(counts_last, ctx.hot_distance, permutations=h["permutations"], seed=h["seed"], fdr=fdr)
    ch = compare.change(gi_last, gi)
    _fix_gpkg_time(per["end"])
    from hotspot.io import write_gpkg

    cells = to_cells(gi, where=_active(gi))
    cells_last = to_cells(gi_last, where=_active(gi_last))
    change_cells = compare.to_cells(ch)
    write_gpkg(folder / "hotspots.gpkg", {"gistar_cells": cells, "gistar_cells_last": cells_last,
                                          "change": change_cells})
    top = top_hotspots(ctx, gi, counts_last, now, off)
    from hotspot.io import write_csv

    write_csv(folder / "top_hotspots.csv", top)
    write_json(folder / "hotspots.json", {
        "kde": {k: _plain(v) for k, v in surface.attrs.items()},
        "gistar": {k: _plain(v) for k, v in gi.attrs.items()},
        "cells_by_class": _class_counts(gi),
        "offences_this_cycle": int(len(now)), "offences_last_cycle": int(len(last)),
    })


def _class_counts(gi) -> dict[str, int]:
    """Cells in the study area per Gi* confidence class label."""
    from hotspot.schema import GI_CLASSES

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


def top_hotspots(ctx: _Context, gi, counts_last, now: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Numbered top-N hotspots: peaks of Gi* hot cells, each with its distance-band footprint.

    Candidate cells are Gi* hot spots at 95% or more; they are taken in decreasing order of the
    offences within the Gi* distance band around them (the same window the statistic uses), and a
    candidate closer than twice the band to an already chosen peak is skipped, so each hotspot is
    a distinct place a patrol or outreach team can be sent to. Each hotspot gets a name (beat and
    LSOA at its peak), offences within its footprint this cycle and last, a trend, peak day and
    hours (from the last 52 weeks of offences in the footprint), main offence types and the IMD
    decile of its LSOA.
    """
    from hotspot.forecast.profile import day_hour_table, format_windows, peak_windows
    from hotspot.geography.geocode import locate
    from hotspot.kernels.gistar import disk_stencil, window_sums_binary

    cols = ["rank", "name", "count", "count_last", "trend", "peak_window", "main_types", "imd_decile",
            "x", "y", "beat_code", "lsoa_code"]
    n_top = int(ctx.cfg.outputs["top_n"])
    cell = float(gi.attrs.get("cell", ctx.hot_cell))
    distance = float(gi.attrs.get("distance", ctx.hot_distance))
    cnt = gi["count"].to_numpy()
    valid = np.isfinite(cnt)
    dy, hw = disk_stencil(distance / cell)
    win, _ = window_sums_binary(np.where(valid, cnt, 0.0), valid, dy, hw)
    last = np.asarray(counts_last.to_numpy(), dtype=float)
    win_last, _ = window_sums_binary(np.where(valid, last, 0.0), valid, dy, hw)
    cls = np.nan_to_num(gi["gi_class"].to_numpy().astype(float), nan=0)
    cand = np.flatnonzero(((cls >= 2) & valid).ravel())
    if cand.size == 0:
        return pd.DataFrame(columns=cols)
    order = cand[np.lexsort((cand, -win.ravel()[cand]))]
    xs, ys = gi["x"].to_numpy(), gi["y"].to_numpy()
    nx = xs.size
    peaks: list[int] = []
    for k in order:
        px, py = xs[k % nx], ys[k // nx]
        if all(np.hypot(px - xs[j % nx], py - ys[j // nx]) > 2 * distance for j in peaks):
            peaks.append(int(k))
            if len(peaks) == n_top:
                break
    px = np.array([xs[k % nx] for k in peaks])
    py = np.array([ys[k // nx] for k in peaks])
    areas = ctx.areas
    li, _ = locate(px, py, areas.lsoa.geometry, tolerance=5000.0)
    lsoa = areas.lsoa.iloc[np.maximum(li, 0)]
    beat_names = dict(zip(areas.beat["beat_code"], areas.beat["beat_name"])) if areas.beat is not None else {}
    imd = _imd_deciles(ctx)
    year_ago = now["occurred_at"].max() - pd.Timedelta(weeks=52)
    hist = history[history["occurred_at"] > year_ago]
    hx, hy = hist["easting"].to_numpy(), hist["northing"].to_numpy()
    rows = []
    for r, k in enumerate(peaks):
        inside = hist[np.hypot(hx - px[r], hy - py[r]) <= distance + cell / 2]
        windows = format_windows(peak_windows(day_hour_table(inside), share=0.4)) if len(inside) >= 10 else []
        types = inside["sv_category"].replace("", np.nan).dropna()
        main = ", ".join(f"{t.replace('_', ' ')} {p:.0%}" for t, p in
                         types.value_counts(normalize=True).head(2).items()) if len(types) else ""
        c_now, c_last = int(win.ravel()[k]), int(win_last.ravel()[k])
        trend = "new" if c_last == 0 else f"{(c_now - c_last) / c_last:+.0%}"
        bc = lsoa["beat_code"].iat[r]
        rows.append({
            "rank": r + 1, "name": f"{beat_names.get(bc, bc)} ({lsoa['lsoa_name'].iat[r]})",
            "count": c_now, "count_last": c_last, "trend": trend, "peak_window": "; ".join(windows[:2]),
            "main_types": main, "imd_decile": imd.get(lsoa["lsoa_code"].iat[r], np.nan),
            "z": round(float(gi["z"].to_numpy().ravel()[k]), 3), "x": float(px[r]), "y": float(py[r]),
            "radius_m": distance, "beat_code": bc, "lsoa_code": lsoa["lsoa_code"].iat[r],
        })
    return pd.DataFrame(rows)


def _imd_deciles(ctx: _Context) -> dict:
    try:
        from hotspot.covariates.imd import read_imd

        imd = read_imd(ctx.imd_path)
    except Exception:  # covariates are optional for the top list
        return {}
    return dict(zip(imd["lsoa_code"], imd["imd_decile"]))


def stage_emerging(ctx: _Context, folder: Path) -> None:
    """Space-time cube over the whole history and emerging hot spot categories."""
    from hotspot.grid.cube import space_time_cube, write_cube
    from hotspot.hotspots.emerging import category_counts, emerging_hotspots, to_cells
    from hotspot.io import write_gpkg

    e = ctx.cfg.emerging
    per = ctx.periods()
    off = ctx.analysed()
    off = off[off["occurred_at"] <= per["end"] + pd.Timedelta(days=1)]
    spec, mask = _grid(ctx, e["cell_m"])
    cube = space_time_cube(off, spec, step=e["step"], end=per["end"], mask=mask)
    write_cube(cube, folder / "cube.nc")
    ds = emerging_hotspots(cube, e["distance_m"], time_lag=e["time_lag"])
    _fix_gpkg_time(per["end"])
    cells = to_cells(ds, patterns_only=True)
    write_gpkg(folder / "emerging.gpkg", {"emerging": cells})
    write_json(folder / "emerging.json", {"categories": category_counts(ds), "steps": int(cube.sizes["time"]),
                                          "step": e["step"], "cell_m": e["cell_m"]})


def stage_profiles(ctx: _Context, folder: Path) -> None:
    """When (day x hour, peak windows) and who lives there (area profiles, IMD, concentration)."""
    from hotspot.covariates.imd import read_imd
    from hotspot.covariates.population import read_population
    from hotspot.covariates.profiles import area_profile, by_imd_decile
    from hotspot.covariates.universal_credit import read_statxplore
    from hotspot.forecast.profile import (day_hour_table, format_windows, heatmap_figure, peak_windows,
                                          reference_profile, shape_correlation)
    from hotspot.hotspots.concentration import concentration_table
    from hotspot.io import write_csv

    per = ctx.periods()
    off_all = ctx.offences()
    if ctx.public:  # public area tables leave out domestic and sexual offences too
        from hotspot.publish.redact import drop_sensitive

        off_all = drop_sensitive(off_all)
    off = ctx.analysed()
    year = _in(off, per["end"] - pd.Timedelta(days=364), per["end"])
    table = day_hour_table(year)
    write_csv(folder / "day_hour.csv", table.reset_index())
    heatmap_figure(table, folder / "day_hour.png", title="Serious violence by day and hour, last 52 weeks")
    ref = reference_profile()
    windows = format_windows(peak_windows(table, share=0.25))
    imd = read_imd(ctx.imd_path)
    uc = read_statxplore(ctx.uc_path)
    pop = read_population(ctx.pop_path)
    cyc = _in(off_all, per["end"] - pd.Timedelta(days=364), per["end"])
    for level in ("lsoa", "beat", "la"):
        prof = area_profile(cyc, ctx.areas, imd=imd, uc=uc, population=pop, level=level)
        write_csv(folder / f"areas_{level}.csv", prof)
    dec = by_imd_decile(cyc, ctx.areas, imd, population=pop)
    write_csv(folder / "by_imd_decile.csv", dec)
    lsoa_counts = year.groupby("lsoa_code").size().reindex(ctx.areas.lsoa["lsoa_code"], fill_value=0)
    from hotspot.grid.binning import count_points

    spec, mask = _grid(ctx, 250.0)
    cells = count_points(year["easting"].to_numpy(), year["northing"].to_numpy(), spec, mask=mask).to_numpy()
    conc = pd.concat([concentration_table(lsoa_counts.to_numpy(), unit="lsoa"),
                      concentration_table(cells[np.isfinite(cells)], unit="cell_250m")], ignore_index=True)
    write_csv(folder / "concentration.csv", conc)
    write_json(folder / "profiles.json", {
        "peak_windows": windows, "reference_correlation": round(float(shape_correlation(table, ref)), 4),
        "period": [str(per["end"] - pd.Timedelta(days=364))[:10], str(per["end"])[:10]],
    })
    # LSOA hotspots of serious-violence rates next to deprivation (libpysal + esda)
    try:
        _areal(ctx, folder, year, imd)
    except Exception as exc:  # pragma: no cover - reported, never silent
        write_json(folder / "areal_error.json", {"error": str(exc)})


def _areal(ctx: _Context, folder: Path, year: pd.DataFrame, imd: pd.DataFrame) -> None:
    from hotspot.hotspots.areal import areal_gistar, local_moran
    from hotspot.io import write_gpkg

    lsoa = ctx.areas.lsoa[["lsoa_code", "lsoa_name", "population", "geometry"]].copy()
    lsoa["sv_count"] = year.groupby("lsoa_code").size().reindex(lsoa["lsoa_code"], fill_value=0).to_numpy()
    lsoa["sv_rate"] = lsoa["sv_count"] / lsoa["population"].clip(lower=1) * 1000
    lsoa = lsoa.merge(imd[["lsoa_code", "imd_score", "imd_decile"]], on="lsoa_code", how="left")
    seed = ctx.cfg.hotspots["seed"]
    gi = areal_gistar(lsoa, "sv_rate", permutations=999, seed=seed)
    bv = local_moran(lsoa, "sv_rate", other="imd_score", permutations=999, seed=seed)
    keep = [c for c in bv.columns if c not in gi.columns or c == "lsoa_code"]
    out = gi.merge(pd.DataFrame(bv[keep]), on="lsoa_code", how="left", suffixes=("", "_bv"))
    _fix_gpkg_time(ctx.periods()["end"])
    write_gpkg(folder / "lsoa_hotspots.gpkg", {"lsoa_hotspots": out})


def stage_forecast(ctx: _Context, folder: Path) -> None:
    """Next week's expected violence by unit and by day x hour (and a backtest when configured)."""
    from hotspot.forecast.models import forecast_next
    from hotspot.io import write_csv, write_gpkg

    f = ctx.cfg.forecast
    per = ctx.periods()
    origin = per["end"] + pd.Timedelta(days=1)
    off = ctx.offences()
    off = off[off["occurred_at"] < origin]
    model = None
    if f["model"]:
        from hotspot.forecast.persist import load_model

        model = load_model(ctx.cfg.path(f["model"]))
    layer, table = forecast_next(off, origin, horizon=f["horizon_days"], unit=f["unit"], cell=f["cell_m"],
                                 areas=ctx.areas, model=model, serious_only=ctx.cfg.hotspots["serious_only"],
                                 seed=ctx.cfg.hotspots["seed"])
    layer = _name_units(ctx, layer)
    _fix_gpkg_time(per["end"])
    write_gpkg(folder / "forecast.gpkg", {"forecast": layer})
    write_csv(folder / "forecast_day_hour.csv", table)
    write_json(folder / "forecast.json", {
        "origin": str(origin.date()), "horizon_days": int(f["horizon_days"]), "unit": f["unit"],
        "expected_total": round(float(layer["expected"].sum()), 3),
        "top": layer.head(10)[["unit", "name", "expected", "q10", "q90"]].round(3).to_dict("records"),
    })
    if f["backtest_folds"] > 0:
        from hotspot.forecast.backtest import backtest_chart, rolling_origin

        bt = rolling_origin(off, unit=f["unit"], cell=f["cell_m"], folds=f["backtest_folds"],
                            horizon=f["horizon_days"], areas=ctx.areas, seed=ctx.cfg.hotspots["seed"],
                            client=ctx.client)
        write_json(folder / "backtest.json", bt.summary)
        backtest_chart(bt, folder / "backtest.png")


def _name_units(ctx: _Context, layer):
    """Readable names for forecast units: the beat and LSOA at each unit's centre."""
    from hotspot.geography.geocode import locate

    pts = layer.geometry.representative_point()
    lsoa = ctx.areas.lsoa
    li, _ = locate(pts.x.to_numpy(), pts.y.to_numpy(), lsoa.geometry, tolerance=2000.0)
    ok = li >= 0
    beat_names = dict(zip(ctx.areas.beat["beat_code"], ctx.areas.beat["beat_name"])) if ctx.areas.beat is not None else {}
    names = []
    for i, good in zip(li, ok):
        if not good:
            names.append("outside the study area")
            continue
        row = lsoa.iloc[int(i)]
        names.append(f"{beat_names.get(row.get('beat_code', ''), row.get('beat_code', ''))} ({row['lsoa_name']})")
    layer = layer.copy()
    layer["name"] = names
    return layer


def stage_routes(ctx: _Context, folder: Path) -> None:
    """A youth-work route through the places with the most expected violence in the window."""
    import geopandas as gpd

    from hotspot.forecast.profile import parse_window
    from hotspot.geography.crs import to_bng
    from hotspot.publish import routes as R

    r = ctx.cfg.routes
    win = parse_window(r["window"])
    cells = set(win.cells())
    fc = gpd.read_file(ctx.folders["forecast"] / "forecast.gpkg", layer="forecast")
    dh = pd.read_csv(ctx.folders["forecast"] / "forecast_day_hour.csv", dtype={"unit": str})
    dh = dh[dh["unit"] != "ALL"]
    inwin = [(int(d), int(h)) in cells for d, h in zip(dh["day_of_week"], dh["hour"])]
    exp_w = dh[inwin].groupby("unit")["expected"].sum()
    fc["unit"] = fc["unit"].astype(str)
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
        from hotspot.io import write_text

        write_text(folder / "route.txt", f"No forecast unit with expected violence in {win} lies within "
                   f"{r['max_walk_m'] / 2:.0f} m of the start {tuple(r['start'])}: no route.\n")
        return
    route = R.plan_route(cand, tuple(r["start"]), max_walk_m=r["max_walk_m"], stops=int(r["stops"]),
                         start_time=start_time)
    R.write_gpx(route, folder / "route.gpx")
    R.write_geojson(route, folder / "route.geojson")
    R.write_table(route, folder / "route.csv")
    R.write_table(route, folder / "route.html")


def stage_publish(ctx: _Context, folder: Path) -> None:
    """The tasking map and the briefing (full or public)."""
    import geopandas as gpd

    from hotspot.grid.io import read_geotiff
    from hotspot.publish import redact
    from hotspot.publish.briefing import write_briefing
    from hotspot.publish.maps import save_map, tasking_map
    from hotspot.schema import HANDLING_FULL, HANDLING_PUBLIC

    o = ctx.cfg.outputs
    per = ctx.periods()
    hs = ctx.folders["hotspots"]
    pr = ctx.folders["profiles"]
    threshold = int(o["small_count_threshold"])
    handling = HANDLING_PUBLIC if ctx.public else HANDLING_FULL
    kde = read_geotiff(hs / "kde.tif")
    cells = gpd.read_file(hs / "hotspots.gpkg", layer="gistar_cells")
    emerging = gpd.read_file(ctx.folders["emerging"] / "emerging.gpkg", layer="emerging")
    forecast = gpd.read_file(ctx.folders["forecast"] / "forecast.gpkg", layer="forecast")
    top = pd.read_csv(hs / "top_hotspots.csv")
    lsoa = pd.read_csv(pr / "areas_lsoa.csv")
    lsoa_stats = lsoa.rename(columns={"uc_per_100_households": "uc_rate", "sv_per_1000": "sv_rate"})
    route = None
    if (ctx.folders["routes"] / "route.geojson").exists() and not ctx.public:
        route = _route_from_geojson(ctx.folders["routes"] / "route.geojson")
    if ctx.public:
        kde = None  # a smoothed surface of points can reveal individual locations at small counts
        cells = redact.public_table(cells, threshold=threshold, text=True)
        top = redact.public_table(top, threshold=threshold, text=True)
        emerging = redact.public_table(emerging, threshold=threshold, text=True)
        lsoa_stats = lsoa_stats[["lsoa_code", "uc_rate"]]  # deciles are published as text labels
        forecast = redact.public_table(forecast, threshold=threshold, text=True)  # pages: numeric rank
    # the map shows what a meeting acts on; complete layers are in the GeoPackages
    cells = cells[cells["class"] != 0]
    forecast = forecast.nsmallest(MAP_FORECAST_UNITS, "rank")
    m = tasking_map(kde=kde, gistar=cells, emerging=emerging, forecast=forecast, areas=ctx.areas,
                    lsoa_stats=lsoa_stats, top=top, route=route,
                    title=f"Serious violence tasking map, cycle {ctx.cycle_id()} "
                          f"({per['start'].date()} to {per['end'].date()})",
                    tiles=o["basemap"], handling=handling)
    save_map(m, folder / "tasking_map.html")
    _stable_html_ids(folder / "tasking_map.html")
    if o["briefing"]:
        _briefing(ctx, folder, top, handling, threshold)


#: Forecast units drawn on the map (highest expected first); the GeoPackage has every unit.
MAP_FORECAST_UNITS = 1000


def _route_from_geojson(path: Path):
    """The map layer wants a Route; rebuild a light one from the route GeoJSON."""
    from hotspot.publish import routes as R

    return R.route_from_geojson(path) if hasattr(R, "route_from_geojson") else None


def _briefing(ctx: _Context, folder: Path, top: pd.DataFrame, handling: str, threshold: int) -> None:
    from hotspot.publish import redact
    from hotspot.publish.briefing import write_briefing

    per = ctx.periods()
    off = ctx.analysed()
    now = _in(off, per["start"], per["end"])
    last = _in(off, per["prev_start"], per["prev_end"])
    hsj = json.loads((ctx.folders["hotspots"] / "hotspots.json").read_text())
    last_gi = None
    headline = {
        "Serious violence offences": (len(now), len(last)),
        "Knife-enabled serious violence": (int(now["knife"].sum()), int(last["knife"].sum())),
        "Robbery": (int((now["sv_category"] == "robbery").sum()), int((last["sv_category"] == "robbery").sum())),
        "Friday/Saturday night (18:00-06:00)": (_weekend_nights(now), _weekend_nights(last)),
    }
    del last_gi
    if ctx.public:
        headline = {k: tuple(v if v >= threshold or v == 0 else f"<{threshold}" for v in vals)
                    for k, vals in headline.items()}
    trend = off.set_index("occurred_at").resample("MS").size()
    trend = trend[trend.index <= per["end"]]
    if ctx.public:
        trend = trend.astype(float).mask((trend > 0) & (trend < threshold))
    fc = pd.read_json(ctx.folders["forecast"] / "forecast.json", typ="series")
    forecast = pd.DataFrame(fc["top"])
    em = json.loads((ctx.folders["emerging"] / "emerging.json").read_text())
    import geopandas as gpd

    emerging = gpd.read_file(ctx.folders["emerging"] / "emerging.gpkg", layer="emerging")
    emerging = pd.DataFrame(emerging.drop(columns="geometry"))
    imd_profile = pd.read_csv(ctx.folders["profiles"] / "by_imd_decile.csv")
    from hotspot.forecast.profile import day_hour_table

    day_hour = day_hour_table(_in(off, per["end"] - pd.Timedelta(days=364), per["end"]))
    if ctx.public:
        forecast = forecast.drop(columns=[c for c in ("q10", "q90") if c in forecast])
        imd_profile = redact.public_table(imd_profile, threshold=threshold, text=True)
        day_hour = day_hour.mask((day_hour > 0) & (day_hour < threshold))
    method = (f"Serious violence = {', '.join(sorted(set(off['sv_category'])))} under the configured rules. "
              f"Gi* on {hsj['gistar'].get('cell', '')} m cells with a {hsj['gistar'].get('distance', '')} m "
              f"distance band, {hsj['gistar'].get('fdr', '')} false-discovery-rate correction; KDE "
              f"{hsj['kde'].get('kernel', '')} kernel, bandwidth {hsj['kde'].get('bandwidth', 0):.0f} m "
              f"({hsj['kde'].get('bandwidth_rule', '')}); emerging hot spots over {em['steps']} "
              f"{em['step']}ly steps of {em['cell_m']:.0f} m cells; forecasts from a Poisson gradient-boosting "
              f"model trained on the data before the cycle's end.")
    write_briefing(folder / "briefing.html", title="Serious violence tasking briefing",
                   period=f"Cycle {ctx.cycle_id()}: {per['start'].date()} to {per['end'].date()} "
                          f"(last cycle {per['prev_start'].date()} to {per['prev_end'].date()})",
                   handling=handling, headline=headline, top=top, day_hour=day_hour, trend=trend,
                   forecast=forecast, emerging=emerging, imd_profile=imd_profile, method=method)


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

    from hotspot.io import write_text

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
                "offences.gpkg": "layers/offences.gpkg"}[name]
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
        Output folder; the cycle folder is created inside it, stage caches in ``out/.cache``.
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
        from hotspot.scale import get_client

        log(f"connecting to Dask ({scheduler})")
        ctx.client = get_client(scheduler, n_workers=workers)
        ctx.scheduler = scheduler if scheduler.startswith(("tcp://", "tls://")) else f"{scheduler} x{workers}"
    try:
        return _run(ctx, cfg, out, public, wait, log, fail_in, t_start)
    finally:
        if ctx.client is not None:
            from hotspot.scale import close_client

            close_client(ctx.client)


def _run(ctx: _Context, cfg: CycleConfig, out: Path, public: bool, wait: float,
         log: Callable[[str], None], fail_in: str | None, t_start: float) -> CycleResult:
    from hotspot.runner import check_replaceable, clean_leftovers, cycle_folder, validate_cycle_id

    if cfg.cycle["id"] != "auto":
        ctx.cycle_id()  # a bad id fails before any stage runs
    with folder_lock(out, wait=wait):
        clean_leftovers(out)  # working folders of killed runs (we hold the lock)
        cache = StageCache(out / ".cache")
        inputs = [*ctx.inputs, ctx.boundaries, ctx.postcodes, ctx.imd_path, ctx.uc_path, ctx.pop_path, *ctx.extra]
        if cfg.forecast["model"]:  # a swapped model changes the cache key and the manifest
            inputs.append(cfg.path(cfg.forecast["model"]))
        hashes = hash_inputs([p for p in inputs if p.exists()])
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
                from hotspot.publish.redact import assert_public

                for rel in outputs:  # every published file is scanned for a surviving small count
                    assert_public(tmp / rel, int(cfg.outputs["small_count_threshold"]))
            manifest = _manifest(ctx, cfg, results, hashes, outputs, public, cycle_id,
                                 time.perf_counter() - t_start)
            if public:  # the full manifest (inputs, quarantine figures) stays off the public folder
                from hotspot.publish.redact import public_manifest

                write_json(tmp / "manifest.json", public_manifest(manifest))
            else:
                write_json(tmp / "manifest.json", manifest)
            if public:  # the independent deny-by-default scan of everything published
                from hotspot.publish.scan import scan_folder

                found = scan_folder(tmp, int(cfg.outputs["small_count_threshold"]))
                if found:
                    from hotspot.publish.redact import PublicationError

                    raise PublicationError(f"{len(found)} disclosure finding(s) in the public cycle; "
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
    from hotspot.publish.export import export_layers

    threshold = int(ctx.cfg.outputs["small_count_threshold"])
    if src.suffix == ".gpkg":
        import geopandas as gpd
        import pyogrio

        layers = {name: gpd.read_file(src, layer=name) for name, _ in pyogrio.list_layers(src)}
        export_layers(target, layers, public=True, threshold=threshold)
    elif src.suffix == ".csv":
        export_layers(target, {"table": pd.read_csv(src)}, public=True, threshold=threshold)
    else:
        shutil.copyfile(src, target)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

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
    from hotspot.forecast.persist import model_sha256

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

"""The ``hotspot`` command line: thin; parses arguments, calls the library, prints, exits.

Exit codes: 0 success, 2 bad input or configuration (:class:`hotspot.errors.InputError`),
3 output folder locked by another run, 1 internal failure.

Each stage owns one section below; commands import their stage lazily so ``--help`` is fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from hotspot.config import DEFAULTS as _D  # the one home of defaults and names (config.EXAMPLE)
from hotspot.errors import HotspotError

app = typer.Typer(
    name="hotspot",
    help="Geospatial hotspot and forecasting engine for Violence Reduction Units (EPSG:27700).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(exc: BaseException) -> None:
    code = getattr(exc, "exit_code", 1)
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code)


def main(argv: Optional[List[str]] = None) -> int:
    """Console entry point; maps :class:`HotspotError` to exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except HotspotError as exc:
        typer.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click usage errors
        return int(exc.code or 0)
    except Exception as exc:  # click.ClickException and internal failures
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return 2
        if isinstance(exc, click.exceptions.Abort):
            return 1
        import traceback

        traceback.print_exc()
        typer.echo(f"internal error: {exc}. Please report this with the command you ran.", err=True)
        return 1
    return 0


# ---- shared options ----------------------------------------------------------------------------
# The commands import the library inside their bodies: it pulls in geopandas, numba and
# scikit-learn (seconds), and `hotspot --help` must stay instant.

_BOUNDARIES_HELP = ("Boundary file(s) of your force: the ONS LSOA/ward/LA GeoPackage or GeoJSON as "
                    "published; repeat the flag for several files. Required (or --embedded for the "
                    "synthetic demo world).")
_EMBEDDED_HELP = "Use the embedded synthetic boundaries (the demo world) instead of --boundaries."
_FIELD_HELP = ("Boundary column mapping NAME=COLUMN when fields are not recognised, e.g. "
               "beat_code=WD25CD beat_name=WD25NM; repeat the flag.")
_INPUTS_HELP = ("Offence files or folders: police.uk CSV/folder/zip, timestamped extract (CSV, CSV.gz, "
                "GeoPackage), canonical CSV, or a GeoPackage written by `hotspot geocode`.")


def _fields(pairs: Optional[List[str]]) -> dict:
    """``["beat_code=WD25CD", ...]`` -> ``{"beat_code": "WD25CD"}`` (the --field option)."""
    from hotspot.errors import ArgumentError

    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ArgumentError("--field", pair, "NAME=COLUMN, e.g. beat_code=WD25CD")
        out[key.strip()] = value.strip()
    return out


_EXTENT_HELP = ("Study area: 'force' (the --boundaries or --embedded area; cells outside are "
                "empty), 'points' (the offences' own bounding box, for data without boundaries; "
                "police.uk files need --boundaries) or 'auto' (force when boundaries are given, else "
                "points, said on screen).")


def _study(boundaries: Optional[List[Path]], embedded: bool, fields: Optional[List[str]] = None, *,
           extent: str = "force", inputs: Optional[List[Path]] = None):
    """The study area of a command: the user's boundaries, the embedded world when asked, or the
    offences' bounding box (``--extent points``); never the embedded world unasked."""
    from hotspot import api
    from hotspot.errors import ArgumentError

    if extent not in ("force", "points", "auto"):
        raise ArgumentError("--extent", extent, "'force', 'points' or 'auto'")
    if extent == "auto":
        extent = "force" if (boundaries or embedded) else "points"
    if extent == "points":
        if boundaries or embedded:
            raise ArgumentError("--extent", extent, "'force' when --boundaries or --embedded is given")
        sa = api.points_study_area(inputs or [])
        typer.echo("study area: the offences' bounding box (--extent points; no boundaries)", err=True)
        return sa
    boundaries = list(boundaries) if boundaries else None
    mapping = _fields(fields)
    if mapping and boundaries:
        return api.study_area(boundaries, fields=mapping)
    if boundaries is None and not embedded:
        raise ArgumentError("--boundaries", None, "your force's boundary file (ONS LSOA/ward/LA "
                            "GeoPackage or GeoJSON), --embedded for the synthetic demo world, or "
                            "--extent points for the offences' own bounding box")
    if boundaries is not None and embedded:
        raise ArgumentError("--embedded", True, "left out when --boundaries is given")
    return api.study_area(boundaries, embedded=embedded)


def _warnings(caught) -> None:
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen:
            seen.add(msg)
            typer.echo(f"warning: {msg}", err=True)


def _what(serious_only: bool) -> str:
    return "serious violence" if serious_only else "all"


# ---- section: ingest + geography (validate, geocode) ------------------------------------------

@app.command("validate")
def validate_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    report: Path = typer.Option(..., "--report", help="JSON report to write (counts per file and reason)."),
    quarantine: Path = typer.Option(..., "--quarantine", help="CSV of rejected rows to write (file, line, "
                                    "reason, detail, original values)."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML column mapping for extracts."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="TOML serious-violence rules "
                                         "(see docs/serious_violence.md)."),
    now: Optional[str] = typer.Option(None, "--now", help="Treat dates after this (YYYY-MM-DD) as future "
                                      "(default: today)."),
    canonical: Optional[Path] = typer.Option(None, "--canonical", help="Also write the accepted rows as a "
                                             "canonical offences CSV."),
) -> None:
    """Read and validate offence records; report accepted and quarantined rows (no geocoding)."""
    from hotspot.ingest import read_offences, write_canonical
    from hotspot.io import write_csv, write_json

    res = read_offences(inputs, mapping=mapping, now=now, rules=rules)
    write_json(report, res.report)
    write_csv(quarantine, res.quarantine)
    if canonical is not None:
        write_canonical(res.accepted, canonical)
    t = res.report["totals"]
    typer.echo(f"read {t['rows_read']:,}  accepted {t['accepted']:,}  quarantined {t['quarantined']:,}"
               f"  ({len(res.report['files'])} files)")
    for reason, n in t["by_reason"].items():
        typer.echo(f"  quarantined {reason}: {n:,}")
    sv = int(res.accepted["serious_violence"].sum()) if len(res.accepted) else 0
    typer.echo(f"  serious violence: {sv:,}")
    typer.echo(f"wrote {report}, {quarantine}" + (f", {canonical}" if canonical else ""))


@app.command("geocode")
def geocode_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    out: Path = typer.Option(..., "--out", help="GeoPackage to write (layer 'offences')."),
    report: Optional[Path] = typer.Option(None, "--report", help="JSON report (default: OUT with .report.json)."),
    quarantine: Optional[Path] = typer.Option(None, "--quarantine",
                                              help="Quarantine CSV (default: OUT with .quarantine.csv)."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
    field: Optional[List[str]] = typer.Option(None, "--field", help=_FIELD_HELP),
    tolerance: float = typer.Option(_D["inputs"]["tolerance_m"], "--tolerance", help="Metres outside every polygon within which "
                                    "a point takes the nearest area."),
    postcodes: Optional[Path] = typer.Option(None, "--postcodes", help="ONSPD-shaped postcode lookup CSV "
                                             "for rows without coordinates."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML column mapping for extracts."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="TOML serious-violence rules."),
    now: Optional[str] = typer.Option(None, "--now", help="Treat dates after this (YYYY-MM-DD) as future."),
) -> None:
    """Validate and geocode offences to LSOA, beat and local authority (EPSG:27700)."""
    from hotspot import api
    from hotspot.geography.geocode import write_offences
    from hotspot.io import write_csv, write_json

    res = api.load_offences(inputs, _study(boundaries, embedded, field), tolerance=tolerance, mapping=mapping,
                            now=now, rules=rules, postcodes=postcodes)
    report = report or out.with_suffix(".report.json")
    quarantine = quarantine or out.with_suffix(".quarantine.csv")
    write_offences(res.offences, out)
    write_csv(quarantine, res.quarantine)
    write_json(report, res.report)
    t = res.report["totals"]
    methods = res.offences["geocode_method"].value_counts().to_dict()
    typer.echo(f"read {t['rows_read']:,}  accepted {t['accepted']:,}  quarantined {t['quarantined']:,}")
    for reason, n in t["by_reason"].items():
        typer.echo(f"  quarantined {reason}: {n:,}")
    typer.echo("  placed by " + ", ".join(f"{k} {v:,}" for k, v in sorted(methods.items())))
    typer.echo(f"wrote {out} (layer 'offences'), {quarantine}, {report}")


# ---- end section: ingest + geography ----------------------------------------------------------

# ---- section: hotspots (kde, gistar) -----------------------------------------------------------

_HARM_HELP = ("Weight offences by harm: ons-css (the shipped ONS Crime Severity Score, by Home Office "
              "offence code) or a key,weight CSV/TOML table (docs/harm.md). Refused when an offence has "
              "no weight (police.uk violence).")


@app.command("kde")
def kde_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    out: Path = typer.Option(..., "--out", help="Output grid: .tif/.tiff (GeoTIFF) or .nc (NetCDF)."),
    cell: Optional[float] = typer.Option(None, "--cell", help="Cell size in metres (default: sfhotspot "
                                         "rule, 1/50 of the shorter side rounded down to 100 m)."),
    bandwidth: Optional[float] = typer.Option(None, "--bandwidth", help="Kernel bandwidth in metres "
                                              "(default: ArcGIS spatial Silverman rule)."),
    kernel: str = typer.Option(_D["hotspots"]["kernel"], "--kernel", help="quartic, gaussian, epanechnikov, uniform "
                               "or triweight."),
    units: str = typer.Option("per_km2", "--units", help="per_km2 (offences per km2), per_cell or density."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First date included (YYYY-MM-DD)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date included (YYYY-MM-DD)."),
    serious_only: bool = typer.Option(True, "--serious-only/--all", help="Only serious violence "
                                      "(default) or every offence."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
    extent: str = typer.Option("auto", "--extent", help=_EXTENT_HELP),
    truncate: float = typer.Option(3.0, "--truncate", help="Gaussian only: support in bandwidths."),
    rate: bool = typer.Option(False, "--rate/--density", help="Write offences per 1,000 residents "
                              "(dual KDE over LSOA populations at their representative points) "
                              "instead of the density."),
    min_population: float = typer.Option(100.0, "--min-population", help="With --rate: cells whose "
                                          "smoothed population is under this many residents per "
                                          "km2 are left empty."),
    harm: Optional[str] = typer.Option(None, "--harm", help=_HARM_HELP),
) -> None:
    """Kernel density surface of offences on the force's National Grid aligned raster (exact)."""
    import numpy as np

    from hotspot import api
    from hotspot.errors import ArgumentError
    from hotspot.grid.io import write_geotiff, write_netcdf

    suffix = out.suffix.lower()
    if suffix not in (".tif", ".tiff", ".nc"):
        raise ArgumentError("--out", str(out), "a path ending .tif, .tiff or .nc")
    sa = _study(boundaries, embedded, extent=extent, inputs=inputs)
    off = api.select_offences(api.load_offences(inputs, sa).offences, serious_only=serious_only,
                              date_from=date_from, date_to=date_to)
    if rate:
        da = api.rate_kde(off, sa, cell=cell, bandwidth=bandwidth, kernel=kernel, truncate=truncate,
                          min_population=min_population)
    else:
        da = api.kde(off, sa, cell=cell, bandwidth=bandwidth, kernel=kernel, units=units, truncate=truncate,
                     weights=None if harm is None else api.harm(off, harm))
    (write_netcdf if suffix == ".nc" else write_geotiff)(da, out)
    grid = sa.grid(cell)
    typer.echo(f"offences {da.attrs['offences']:,} ({_what(serious_only)})"
               + ("" if harm is None else f", weighted by harm ({harm})"))
    typer.echo(f"cell {grid.spec.cell:g} m ({da.attrs['cell_rule']}); grid {grid.spec.nx} x {grid.spec.ny}")
    typer.echo(f"bandwidth {da.attrs['bandwidth']:,.1f} m ({da.attrs['bandwidth_rule']}); kernel {kernel}; "
               f"edge loss {da.attrs['edge_loss']:.2%}")
    typer.echo(f"max {np.nanmax(da.values):,.3g} {da.attrs['units_label']}; wrote {out}")


@app.command("gistar")
def gistar_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    out: Path = typer.Option(..., "--out", help="GeoPackage to write (layer 'cells')."),
    cell: Optional[float] = typer.Option(None, "--cell", help="Cell size in metres (default: sfhotspot "
                                         "rule, 1/50 of the shorter side rounded down to 100 m)."),
    distance: Optional[float] = typer.Option(None, "--distance", help="Neighbourhood radius in metres "
                                             "between cell centres, self included (default: 3 cells)."),
    weights: str = typer.Option("binary", "--weights", help="binary (fixed distance band), linear or "
                                "gaussian distance decay."),
    permutations: int = typer.Option(_D["hotspots"]["permutations"], "--permutations", help="Conditional permutations for pseudo "
                                     "p-values (0 = analytic only; 999 is usual)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the permutations."),
    fdr: str = typer.Option(_D["hotspots"]["fdr"], "--fdr", help="Multiple-testing adjustment: by "
                            "(Benjamini-Yekutieli, default), bh (Benjamini-Hochberg, ArcGIS) or none."),
    inference: Optional[str] = typer.Option(None, "--inference", help="exact (default: exact Poisson "
                                            "test against the background disk, valid for sparse counts), "
                                            "analytic (normal p of z) or permutation."),
    background: Optional[float] = typer.Option(None, "--background", help="Background radius in metres "
                                               "of the exact test (default 10 x distance)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First date included (YYYY-MM-DD)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date included (YYYY-MM-DD)."),
    serious_only: bool = typer.Option(True, "--serious-only/--all", help="Only serious violence "
                                      "(default) or every offence."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
    extent: str = typer.Option("auto", "--extent", help=_EXTENT_HELP),
    harm: Optional[str] = typer.Option(None, "--harm", help=_HARM_HELP),
) -> None:
    """Getis-Ord Gi* hot and cold spots of offence counts on a grid, FDR-adjusted (ArcGIS Gi_Bin classes)."""
    from hotspot import api
    from hotspot.hotspots.gistar import to_cells
    from hotspot.io import write_gpkg
    from hotspot.schema import GI_CLASSES

    sa = _study(boundaries, embedded, extent=extent, inputs=inputs)
    off = api.select_offences(api.load_offences(inputs, sa).offences, serious_only=serious_only,
                              date_from=date_from, date_to=date_to)
    ds = api.gistar(off, sa, cell=cell, distance=distance, weights=weights, permutations=permutations,
                    seed=seed, fdr=fdr, inference=inference, background=background,
                    values=None if harm is None else api.harm(off, harm))
    cells = to_cells(ds)
    write_gpkg(out, {"cells": cells})
    spec = sa.grid(cell).spec
    typer.echo(f"offences {ds.attrs['offences']:,} ({_what(serious_only)})"
               + ("" if harm is None else f", weighted by harm ({harm})"))
    typer.echo(f"cell {spec.cell:g} m ({spec.cell_rule}); grid {spec.nx} x {spec.ny}; "
               f"{ds.attrs['n_cells']:,} cells in the study area")
    typer.echo(f"distance {ds.attrs['distance']:g} m ({weights}), mean {ds.attrs['mean_neighbours']:.1f} cells "
               f"per neighbourhood; permutations {permutations}; FDR {fdr}; inference "
               f"{ds.attrs['inference']} (background {ds.attrs['background']:g} m)")
    by = cells["class"].value_counts()
    for code in (3, 2, 1, -1, -2, -3):
        typer.echo(f"  {GI_CLASSES[code]:<16} {int(by.get(code, 0)):>7,}")
    typer.echo(f"wrote {out} (layer 'cells', {len(cells):,} cells)")


# ---- end section: hotspots --------------------------------------------------------------------

# ---- section: space-time (emerging, profile, areas) ----------------------------------------------

@app.command("emerging")
def emerging_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    out: Path = typer.Option(Path("emerging.gpkg"), "--out", help="GeoPackage to write (layer 'emerging': "
                             "one polygon per cell inside the study area with its category)."),
    cell: float = typer.Option(_D["emerging"]["cell_m"], "--cell", help="Grid cell size in metres."),
    step: Optional[str] = typer.Option(None, "--step", help="Time step: 'week' (Monday start; needs "
                                       "timestamped data) or 'month'. Default: week for timestamped "
                                       "extracts, month for police.uk data."),
    distance: float = typer.Option(_D["emerging"]["distance_m"], "--distance", help="Neighbourhood distance in metres."),
    time_lag: int = typer.Option(_D["emerging"]["time_lag"], "--time-lag", help="Previous time steps in the space-time neighbourhood."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First day to include (YYYY-MM-DD; "
                                            "default: first offence)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day to include (YYYY-MM-DD; "
                                          "default: last offence)."),
    cube_out: Optional[Path] = typer.Option(None, "--cube", help="Also write the count cube and per-step "
                                            "Gi* results to this NetCDF file."),
    all_offences: bool = typer.Option(False, "--all", help="Use every offence, not only serious violence."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
    extent: str = typer.Option("auto", "--extent", help=_EXTENT_HELP),
    alpha: float = typer.Option(0.1, "--alpha", help="Significance of a hot/cold bin (0.1 = 90%)."),
    patterns_only: bool = typer.Option(False, "--patterns-only", help="Write only cells with a pattern "
                                       "(drop 'no pattern detected' cells)."),
    min_steps: int = typer.Option(_D["emerging"]["min_steps"], "--min-steps", help="Fewest time steps accepted (Esri: 10)."),
) -> None:
    """Emerging hot spot analysis (ArcGIS categories): space-time Gi* and Mann-Kendall trend per cell."""
    from hotspot import api
    from hotspot.grid.cube import write_cube
    from hotspot.hotspots.emerging import category_counts, to_cells
    from hotspot.io import write_gpkg

    sa = _study(boundaries, embedded, extent=extent, inputs=inputs)
    off = api.select_offences(api.load_offences(inputs, sa).offences, serious_only=not all_offences)
    step = step or ("week" if api.time_resolution(off) == "exact" else "month")
    ds = api.emerging(off, sa, cell=cell, step=step, distance=distance, time_lag=time_lag,
                      start=date_from, end=date_to, alpha=alpha, min_steps=min_steps)
    write_gpkg(out, {"emerging": to_cells(ds, patterns_only=patterns_only)})
    if cube_out is not None:
        write_cube(ds.drop_vars("category"), cube_out)
    spec = sa.grid(cell).spec
    typer.echo(f"{ds.attrs['counted']:,} offences in {ds.attrs['steps']} {step}s from "
               f"{str(ds['time'].values[0])[:10]}; grid {spec.nx} x {spec.ny} cells of {cell:g} m")
    for name, n in category_counts(ds).items():
        if n:
            typer.echo(f"  {name}: {n:,}")
    typer.echo(f"wrote {out} (layer 'emerging')" + (f", {cube_out}" if cube_out else ""))


@app.command("profile")
def profile_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    out: Path = typer.Option(..., "--out", help="CSV to write: the 7 x 24 day x hour table (Mon..Sun x 0..23) "
                             "with a total column."),
    area: Optional[str] = typer.Option(None, "--area", help="Only offences in this LSOA, beat or local "
                                       "authority code (e.g. E01014540)."),
    serious_only: bool = typer.Option(True, "--serious-only/--all", help="Count serious violence only "
                                      "(default) or all offences."),
    allocate_reference: bool = typer.Option(False, "--allocate-reference", help="Spread month-only "
                                            "(police.uk) records over the week by the VRU reference "
                                            "profile; the table is then labelled MODELLED."),
    percent: bool = typer.Option(False, "--percent", help="Write percentages of the total instead of counts."),
    figure: Optional[Path] = typer.Option(None, "--figure", help="Also draw a heat map (PNG, SVG or PDF)."),
    share: float = typer.Option(0.5, "--share", help="Peak windows hold this share of the offences (0-1]."),
    max_gap: int = typer.Option(0, "--max-gap", help="Join peak windows separated by at most this many "
                                "quieter hours."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
    reference: Optional[Path] = typer.Option(None, "--reference", help="Reference day x hour CSV "
                                             "(default: data/reference/serious_violence_day_hour.csv)."),
) -> None:
    """Day-of-week x hour profile: peak windows and the match with the VRU reference profile."""
    import warnings

    from hotspot import api
    from hotspot.errors import InputError
    from hotspot.forecast.profile import (
        format_windows,
        heatmap_figure,
        peak_windows,
        reference_profile,
        shape_correlation,
    )
    from hotspot.io import write_csv

    off = api.load_offences(inputs, _study(boundaries, embedded)).offences
    mask = off["serious_violence"].astype(bool) if serious_only else off.index.to_series().notna()
    if area:
        mask = mask & api.in_area(off, area)
    ref = reference_profile(reference)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = api.profile(off, select=mask.to_numpy(dtype=bool),
                            allocate="reference" if allocate_reference else None, reference=ref)
    _warnings(caught)
    a = table.attrs
    shown = table / a["total"] * 100.0 if percent and a["total"] else table
    shown.attrs.update(a, units="percent" if percent else "count")
    written = shown.copy()
    written["total"] = written.sum(axis=1)
    written = written.astype(int) if not (percent or a["modelled"]) else written.round(4)
    what = "serious violence" if serious_only else "offences"
    if a["total"] <= 0:
        raise InputError(f"no {what} with a day and hour: the offences carry a month only (police.uk), so a "
                         f"day x hour table is not available in police.uk data ({a['n_month']:,} month-only "
                         f"rows); use a timestamped extract, or --allocate-reference for a MODELLED table")
    write_csv(out, written, index=True)
    typer.echo(f"{what}{' in ' + area if area else ''}: {a['total']:,.0f} in the table "
               f"({a['n_exact']:,} timed, {a['n_month']:,} month-only "
               f"{'spread by the reference (MODELLED)' if a['modelled'] else 'left out'})")
    wins = peak_windows(table, share, max_gap=max_gap)
    typer.echo(f"peak windows holding {share:.0%} of {what}:")
    for line in format_windows(wins)[:10]:
        typer.echo(f"  {line}")
    if len(wins) > 10:
        typer.echo(f"  ... {len(wins) - 10} more")
    try:
        r = shape_correlation(table, ref)
        typer.echo(f"correlation with the VRU reference profile (168 cells): r = {r:.3f}"
                   + (" (the table is partly modelled from the reference itself, so this "
                      "is not independent evidence)" if a["modelled"] else ""))
    except HotspotError as exc:
        typer.echo(f"correlation with the reference not computed: {exc}")
    if figure:
        heatmap_figure(shown, figure, windows=wins, title=f"{what.capitalize()}"
                       f"{' in ' + area if area else ''} by day and hour")
    typer.echo(f"wrote {out}" + (f", {figure}" if figure else ""))


@app.command("areas")
def areas_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    out: Path = typer.Option(..., "--out", help="CSV to write: one row per area."),
    level: str = typer.Option("lsoa", "--level", help="Areas to profile: lsoa, beat or la."),
    imd: Optional[Path] = typer.Option(None, "--imd", help="IoD2019 File 1, 2 or 7 CSV as published "
                                       "(left out: IMD columns read 'not available')."),
    uc: Optional[Path] = typer.Option(None, "--uc", help="Stat-Xplore CSV of households on Universal "
                                      "Credit by LSOA (left out: not available)."),
    uc_month: Optional[str] = typer.Option(None, "--uc-month", help="Month of the UC count, YYYY-MM "
                                           "(default: the latest in the file)."),
    population: Optional[Path] = typer.Option(None, "--population", help="ONS LSOA population CSV "
                                              "(left out: the boundaries' population, if any)."),
    lookup: Optional[Path] = typer.Option(None, "--lookup", help="LSOA 2011 -> 2021 lookup CSV "
                                          "(LSOA11CD, LSOA21CD) for 2011-coded IMD with 2021 boundaries."),
    by_decile: Optional[Path] = typer.Option(None, "--by-decile", help="Also write the table by IMD "
                                             "decile to this CSV."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
) -> None:
    """Area profiles: offences, serious violence, knife crime, rates per 1,000 and per UC household, IMD."""
    import warnings

    from hotspot import api
    from hotspot.io import write_csv

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sa = _study(boundaries, embedded)
        off = api.load_offences(inputs, sa).offences
        prof, dec = api.area_profile(off, sa, level=level, imd=imd, uc=uc, population=population,
                                     lookup=lookup, uc_month=uc_month, by_decile=True)
    _warnings(caught)
    write_csv(out, prof.round(4))
    a = prof.attrs
    knife = prof["knife"].sum(min_count=1) if "knife" in prof else float("nan")
    typer.echo(f"{len(prof):,} {level} areas; offences {int(prof['offences'].sum()):,}, serious violence "
               f"{int(prof['serious_violence'].sum()):,}, knife "
               f"{'not available' if knife != knife else f'{int(knife):,}'}"
               + (f"; UC month {a['uc_month']}" if a.get("uc_month") else ""))
    for what, codes in a.get("missing", {}).items():
        if codes:
            typer.echo(f"  {len(codes)} area(s) without {what} data: {', '.join(codes[:5])}"
                       f"{' ...' if len(codes) > 5 else ''}")
    if a.get("unplaced_offences"):
        typer.echo(f"  {a['unplaced_offences']:,} offence(s) outside the boundaries' LSOAs")
    key = {"lsoa": "lsoa_code", "beat": "beat_code", "la": "la_code"}[level]
    if "sv_per_1000" in prof and prof["sv_per_1000"].notna().any():
        typer.echo("highest serious violence per 1,000 residents:")
        for _, r in prof.sort_values("sv_per_1000", ascending=False).head(5).iterrows():
            typer.echo(f"  {r[key]} {r.get('name', '')}: {r['sv_per_1000']:.2f}")
    if by_decile:
        if dec is None:
            typer.echo("no IMD table: --by-decile not written", err=True)
        else:
            write_csv(by_decile, dec.round(4))
            typer.echo(f"wrote {by_decile}")
    typer.echo(f"wrote {out}")


# ---- end section: space-time ------------------------------------------------------------------

# ---- section: forecast (forecast, backtest, scenario) ------------------------------------------

_UNIT_HELP = "Spatial unit: cell (BNG-aligned grid), lsoa or beat."
_COV_HELP = ("Area covariates for the model: a CSV whose first column is the unit id (e.g. LSOA "
             "code) and other columns numeric.")


def _read_covariates(path):
    if path is None:
        return None
    import pandas as pd

    from hotspot.errors import InputError
    try:
        cov = pd.read_csv(path, index_col=0)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read covariates CSV ({exc})", path=path) from exc
    cov.index = cov.index.astype(str)
    bad = [c for c in cov.columns if not pd.api.types.is_numeric_dtype(cov[c])]
    if bad:
        raise InputError(f"covariate columns must be numeric; drop or recode {bad}", path=path,
                         column=bad[0])
    return cov


@app.command("forecast")
def forecast_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    origin: str = typer.Option(..., "--from", help="First forecast day, YYYY-MM-DD (uses only "
                               "offences before it); for month-only police.uk data the first month, "
                               "YYYY-MM (it may follow a gap: data through June, --from 2025-08)."),
    horizon: str = typer.Option("7", "--horizon", help="Days to forecast (7 or 28) for timestamped data; "
                                "whole months for police.uk data, e.g. 2M."),
    unit: str = typer.Option(_D["forecast"]["unit"], "--unit", help=_UNIT_HELP),
    cell: float = typer.Option(_D["forecast"]["cell_m"], "--cell", help="Cell size in metres (unit=cell)."),
    out: Path = typer.Option(..., "--out", help="GeoPackage to write (layer 'forecast'); the day x hour "
                             "CSV goes beside it as OUT.day_hour.csv."),
    model: Optional[Path] = typer.Option(None, "--model", help="Use this saved .skops model (verified "
                                         "against its model card) instead of training."),
    save: Optional[Path] = typer.Option(None, "--save", help="Save the trained model (.skops + "
                                        ".card.json) here."),
    all_offences: bool = typer.Option(False, "--all-offences", help="Use every offence, not only "
                                      "serious violence."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the model."),
    covariates: Optional[Path] = typer.Option(None, "--covariates", help=_COV_HELP),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
) -> None:
    """Forecast expected violence per unit: 7 or 28 days (with q10/q90), or whole months for police.uk."""
    from hotspot import api
    from hotspot.forecast.persist import load_model, save_model
    from hotspot.io import write_csv, write_gpkg

    if model is not None and save is not None:
        raise typer.BadParameter("--save needs a newly trained model; drop --model", param_hint="--save")
    loaded = load_model(model) if model is not None else None
    sa = _study(boundaries, embedded)
    offences = api.load_offences(inputs, sa).offences
    layer, table, fitted = api.forecast(offences, sa, origin=origin, horizon=horizon, unit=unit, cell=cell,
                                        model=loaded, serious_only=not all_offences, seed=seed,
                                        covariates=_read_covariates(covariates), return_model=True)
    write_gpkg(out, {"forecast": layer})
    dh = out.with_suffix(".day_hour.csv")
    if table is not None:
        write_csv(dh, table)
    if save is not None:
        save_model(fitted, save, name=save.stem,
                   extra={"unit": unit, "cell": cell if unit == "cell" else None})
        typer.echo(f"saved model {save} and {save.stem}.card.json")
    span = f"{horizon} from {origin}" if table is None else f"{horizon} days from {origin}"
    typer.echo(f"forecast {span} for {len(layer):,} {unit} units; expected total {layer['expected'].sum():.1f}")
    for _, r in layer.head(5).iterrows():
        interval = "no interval" if r["q10"] != r["q10"] else f"q10 {r['q10']:.0f}, q90 {r['q90']:.0f}"
        typer.echo(f"  #{r['rank']}: {r['unit']}  expected {r['expected']:.2f} ({interval})")
    if table is None:
        typer.echo("day x hour split: not available in police.uk data (months only)")
    typer.echo(f"wrote {out} (layer 'forecast')" + (f" and {dh}" if table is not None else ""))


@app.command("backtest")
def backtest_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    unit: str = typer.Option(_D["forecast"]["unit"], "--unit", help=_UNIT_HELP),
    cell: float = typer.Option(_D["forecast"]["cell_m"], "--cell", help="Cell size in metres (unit=cell)."),
    folds: int = typer.Option(26, "--folds", help="Number of weekly forecast origins."),
    horizon: str = typer.Option("7", "--horizon", help="Days forecast at each origin (7 or 28); whole "
                                "months for police.uk data (1M: monthly origins)."),
    models: str = typer.Option("gbm,last4,seasonal_naive,kde,prospective,counting,kde_exp,sepp,counting_kde",
                               "--models",
                               help="Comma-separated models: gbm, last4, seasonal_naive, kde, prospective, "
                                    "counting, kde_exp, sepp, counting_kde (all-history KDE, bandwidth by "
                                    "temporal cross-validation)."),
    out: Path = typer.Option(..., "--out", help="JSON metrics (mean and 95% CI per model)."),
    chart: Optional[Path] = typer.Option(None, "--chart", help="PNG chart of PAI and hit rate."),
    all_offences: bool = typer.Option(False, "--all-offences", help="Use every offence, not only "
                                      "serious violence."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the learned model."),
    covariates: Optional[Path] = typer.Option(None, "--covariates", help=_COV_HELP),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
) -> None:
    """Rolling-origin backtest: hit rate, PAI, PEI* at 1/5/10% of area, deviance and MAE."""
    import pandas as pd

    from hotspot import api

    sa = _study(boundaries, embedded)
    offences = api.load_offences(inputs, sa).offences
    names = [m.strip() for m in models.split(",") if m.strip()]
    res = api.backtest(offences, sa, unit=unit, cell=cell, folds=folds, horizon=horizon, models=names,
                       serious_only=not all_offences, seed=seed, covariates=_read_covariates(covariates))
    if isinstance(res, pd.DataFrame):  # monthly origins (police.uk): the per-origin table
        from hotspot.io import write_json

        summary = res.groupby("model")[[c for c in res.columns if c.startswith(("pai_", "hit_rate_"))]].mean()
        write_json(out, {"meta": {"unit": unit, "horizon": horizon, "origins": sorted(res["origin"].astype(str).unique())},
                         "models": summary.round(4).to_dict("index"), "folds": res.to_dict("records")})
        typer.echo(summary.round(3).to_string())
        typer.echo(f"wrote {out}")
        return
    res.to_json(out)
    if chart is not None:
        res.chart(chart)
    typer.echo(f"{'model':<16}{'hit5%':>8}{'PAI5%':>8}{'PEI5%':>8}{'deviance':>10}{'MAE':>8}")
    for name, d in res.summary["models"].items():
        typer.echo(f"{name:<16}{d['hit_rate']['5']['mean']:>8.3f}{d['pai']['5']['mean']:>8.2f}"
                   f"{d['pei']['5']['mean']:>8.3f}{d['deviance']['mean']:>10.3f}{d['mae']['mean']:>8.3f}")
    typer.echo(f"wrote {out}" + (f" and {chart}" if chart else ""))


@app.command("scenario")
def scenario_cmd(
    inputs: List[Path] = typer.Argument(..., help=_INPUTS_HELP),
    reopen: str = typer.Option(..., "--reopen", help="Reopening date, YYYY-MM-DD."),
    regime: str = typer.Option("open", "--regime", help="What reopens: open (indoor hospitality) or "
                               "outdoor_only."),
    unit: str = typer.Option("lsoa", "--unit", help=_UNIT_HELP),
    cell: float = typer.Option(250.0, "--cell", help="Cell size in metres (unit=cell)."),
    weeks: int = typer.Option(6, "--weeks", help="Weeks after reopening to forecast and to learn past "
                              "reopening effects over."),
    out: Path = typer.Option(..., "--out", help="CSV: unit x day x hour baseline and expected weekly "
                             "offences (effects in OUT.effects.csv, metadata in OUT.json)."),
    backtest: bool = typer.Option(False, "--backtest", help="Also score the method on the 4 July 2020 "
                                  "reopening vs naive forecasts (OUT.backtest.csv)."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
) -> None:
    """Expected violence after a reopening, relative to the same weeks of 2019."""
    from hotspot import api
    from hotspot.forecast.scenarios import reopening, reopening_backtest
    from hotspot.io import write_csv, write_json

    offences = api.load_offences(inputs, _study(boundaries, embedded)).offences
    res = reopening(offences, reopen, regime=regime, unit=unit, cell=cell, weeks=weeks)
    write_csv(out, res.table)
    write_csv(out.with_suffix(".effects.csv"), res.effects)
    write_json(out.with_suffix(".json"), res.meta)
    typer.echo(f"reopening {reopen} ({regime}); effect {res.meta['effect_source']}"
               + (f" from {', '.join(res.meta['learned_from'])}" if res.meta["learned_from"] else ""))
    for _, r in res.effects.iterrows():
        typer.echo(f"  {r['unit_type']:<6}{r['period']:<6} x{r['ratio']:.2f} of 2019 "
                   f"(before reopening x{r['before']:.2f})")
    if backtest:
        bt = reopening_backtest(offences, unit=unit, cell=cell)
        write_csv(out.with_suffix(".backtest.csv"), bt)
        typer.echo(bt.to_string(index=False))
    typer.echo(f"wrote {out}")


# ---- end section: forecast --------------------------------------------------------------------

# ---- section: publish (map, briefing, route) ---------------------------------------------------

def _publish_read_layer(path: Optional[Path], what: str, layer: Optional[str] = None):
    """Read an optional vector layer (GeoPackage/GeoJSON) for the publish commands."""
    if path is None:
        return None
    import geopandas as gpd

    from hotspot.errors import InputError

    if not path.exists():
        raise InputError(f"{what} file not found", path=path)
    return gpd.read_file(path, layer=layer, engine="pyogrio")


def _publish_read_table(path: Optional[Path], what: str):
    if path is None:
        return None
    import pandas as pd

    from hotspot.errors import InputError

    if not path.exists():
        raise InputError(f"{what} file not found", path=path)
    return pd.read_csv(path)


@app.command("map")
def map_cmd(
    out: Path = typer.Option(..., "--out", help="HTML file to write (one self-contained, offline page)."),
    gistar: Optional[Path] = typer.Option(None, "--gistar", help="GeoPackage of Gi* cells (count, z, p, "
                                          "p_adjusted, class, class_label)."),
    kde: Optional[Path] = typer.Option(None, "--kde", help="KDE surface: GeoTIFF (.tif) or netCDF (.nc)."),
    emerging: Optional[Path] = typer.Option(None, "--emerging", help="GeoPackage of cells with 'category'."),
    forecast: Optional[Path] = typer.Option(None, "--forecast", help="GeoPackage of units with expected, q10, q90."),
    top: Optional[Path] = typer.Option(None, "--top", help="CSV of top hotspots (rank, name, count, "
                                       "count_last, trend, peak_window, main_types, imd_decile, x, y)."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help=_BOUNDARIES_HELP),
    embedded: bool = typer.Option(False, "--embedded", help=_EMBEDDED_HELP),
    lsoa_stats: Optional[Path] = typer.Option(None, "--lsoa-stats", help="CSV: lsoa_code, imd_decile, uc_rate, sv_rate."),
    no_areas: bool = typer.Option(False, "--no-areas", help="Do not load boundaries (no outlines or search)."),
    tiles: str = typer.Option("none", "--tiles", help="Background: none (offline), openstreetmap or an XYZ URL."),
    title: Optional[str] = typer.Option(None, "--title", help="Title shown on the map."),
    public: bool = typer.Option(False, "--public", help="Public version: redact small counts and sensitive "
                                "categories, label OFFICIAL, and check the result."),
    threshold: int = typer.Option(5, "--threshold", help="Public mode: counts below this are suppressed."),
) -> None:
    """Write the offline tasking map (Leaflet inlined; works with no internet)."""
    from hotspot import api
    from hotspot.publish import redact
    from hotspot.publish.maps import save_map

    study = None if no_areas else _study(boundaries, embedded)
    da = None
    if kde is not None:
        from hotspot.grid.io import read_geotiff, read_netcdf

        da = read_netcdf(kde) if kde.suffix.lower() in (".nc", ".nc4") else read_geotiff(kde)
        if hasattr(da, "data_vars"):
            da = da[list(da.data_vars)[0]]
    layers = {"gistar": _publish_read_layer(gistar, "Gi* cells"),
              "emerging": _publish_read_layer(emerging, "emerging cells"),
              "forecast": _publish_read_layer(forecast, "forecast")}
    top_df = _publish_read_table(top, "top hotspots")
    if public:
        layers = {k: (redact.redact_frame(v, threshold=threshold) if v is not None else None)
                  for k, v in layers.items()}
        top_df = redact.redact_frame(top_df, threshold=threshold) if top_df is not None else None
        da = redact.redact_grid(da, threshold=threshold, counts=False) if da is not None else None
    m = api.tasking_map(study, kde=da, lsoa_stats=_publish_read_table(lsoa_stats, "LSOA statistics"),
                    top=top_df, title=title, tiles=tiles, handling=redact.handling_label(public), **layers)
    save_map(m, out)
    if public:
        redact.assert_public(out, threshold)
    typer.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {redact.handling_label(public)})")


@app.command("briefing")
def briefing_cmd(
    out: Path = typer.Option(..., "--out", help="HTML file to write (printable; A4 print rules)."),
    offences: Optional[Path] = typer.Option(None, "--offences", help="Geocoded offences GeoPackage (layer "
                                            "'offences') or canonical CSV: day x hour heatmap and monthly trend."),
    top: Optional[Path] = typer.Option(None, "--top", help="CSV of top hotspots."),
    forecast: Optional[Path] = typer.Option(None, "--forecast", help="GeoPackage or CSV with name, expected, q10, q90."),
    emerging: Optional[Path] = typer.Option(None, "--emerging", help="GeoPackage of cells with 'category'."),
    imd_profile: Optional[Path] = typer.Option(None, "--imd-profile", help="CSV: imd_decile plus counts or rates."),
    title: str = typer.Option("Serious violence tasking briefing", "--title", help="Title of the briefing."),
    period: str = typer.Option("", "--period", help="Period covered, e.g. 'week to 2026-11-22'."),
    public: bool = typer.Option(False, "--public", help="Public version: redact and label OFFICIAL."),
    threshold: int = typer.Option(5, "--threshold", help="Public mode: counts below this are suppressed."),
    pdf: bool = typer.Option(False, "--pdf", help="Also print to PDF with headless Chromium if installed."),
) -> None:
    """Write the printable tasking briefing (HTML with embedded charts; optional PDF)."""
    import pandas as pd

    from hotspot.publish import redact
    from hotspot.publish.briefing import day_hour_table, write_briefing

    ctx: dict = {"title": title, "period": period, "handling": redact.handling_label(public)}
    if offences is not None:
        if offences.suffix.lower() == ".gpkg":
            off = _publish_read_layer(offences, "offences", layer="offences")
        else:
            off = _publish_read_table(offences, "offences")
        if public:
            off = redact.drop_sensitive(off)
        if "occurred_at" in off.columns:
            ctx["day_hour"] = day_hour_table(off)
        if "month" in off.columns:
            ctx["trend"] = off.groupby(off["month"].astype(str)).size().sort_index()
            prev = ctx["trend"].iloc[-2] if len(ctx["trend"]) > 1 else None
            ctx["headline"] = {"Offences in the latest month": (ctx["trend"].iloc[-1], prev)}
    top_df = _publish_read_table(top, "top hotspots")
    if top_df is not None:
        ctx["top"] = redact.redact_frame(top_df, threshold=threshold) if public else top_df
    if forecast is not None:
        ctx["forecast"] = (_publish_read_table(forecast, "forecast") if forecast.suffix.lower() == ".csv"
                           else pd.DataFrame(_publish_read_layer(forecast, "forecast")).drop(columns="geometry"))
    if emerging is not None:
        ctx["emerging"] = _publish_read_layer(emerging, "emerging cells")
    if imd_profile is not None:
        prof = _publish_read_table(imd_profile, "IMD profile")
        ctx["imd_profile"] = redact.suppress_counts(prof, threshold=threshold) if public else prof
    res = write_briefing(out, pdf=pdf, **ctx)
    if public:
        redact.assert_public(out, threshold)
    typer.echo(f"wrote {res['html']}" + (f" and {res['pdf']}" if res["pdf"] else ""))
    if res["note"]:
        typer.echo(res["note"])


def _publish_distance(text: str) -> float:
    """'5km', '800 m', '5000' (metres) -> metres."""
    import re

    from hotspot.errors import ArgumentError

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(km|m)?\s*", text.lower())
    if not m:
        raise ArgumentError("--max-walk", text, "a distance like 5km or 800m")
    return float(m.group(1)) * (1000.0 if m.group(2) == "km" else 1.0)


@app.command("route")
def route_cmd(
    candidates: Path = typer.Argument(..., help="GeoPackage/GeoJSON of forecast units or hotspots (points or "
                                      "polygons) with an 'expected' (or 'count') column."),
    start: str = typer.Option(..., "--start", help="Start and end of the loop as LAT,LON (WGS84)."),
    window: str = typer.Option(..., "--window", help='Time window, e.g. "Fri 18:00-23:00"; the walk starts '
                               "at its next start."),
    max_walk: str = typer.Option("5km", "--max-walk", help="Longest loop, e.g. 5km or 3500m."),
    stops: int = typer.Option(_D["routes"]["stops"], "--stops", help="Most hotspots to visit."),
    detour: float = typer.Option(1.3, "--detour", help="Walking / straight-line distance ratio."),
    network: Optional[Path] = typer.Option(None, "--network", help="Walk along streets instead of straight "
                                           "lines x detour: street lines (GeoPackage, GeoJSON, shapefile), an "
                                           "OpenStreetMap extract (.osm.pbf) or GraphML with x/y in BNG."),
    speed: float = typer.Option(4.5, "--speed", help="Walking speed, km/h."),
    dwell: float = typer.Option(15.0, "--dwell", help="Minutes spent at each stop."),
    layer: Optional[str] = typer.Option(None, "--layer", help="Layer to read (default: the first)."),
    after: Optional[str] = typer.Option(None, "--after", help="Plan for the first window after this date "
                                        "(YYYY-MM-DD; default now)."),
    out: Path = typer.Option(Path("route.gpx"), "--out", help="GPX 1.1 file; .geojson, .csv and .html are "
                             "written beside it."),
) -> None:
    """Plan a youth-work walking loop through the busiest hotspots in a time window (GPX + table)."""
    import datetime as dt

    from hotspot.errors import ArgumentError
    from hotspot.publish import routes

    try:
        lat, lon = (float(v) for v in start.split(","))
    except ValueError:
        raise ArgumentError("--start", start, "LAT,LON in degrees, e.g. 51.4545,-2.5879") from None
    win = routes.parse_window(window)
    base = dt.datetime.fromisoformat(after) if after else dt.datetime.now()
    cand = routes.read_candidates(candidates, layer=layer)
    graph = routes.read_street_network(network) if network else None
    route = routes.plan_route(cand, (lat, lon), max_walk_m=_publish_distance(max_walk), stops=stops,
                              detour=detour, graph=graph, speed_kmh=speed, dwell_min=dwell,
                              start_time=win.next_start(base))
    routes.write_gpx(route, out)
    routes.write_geojson(route, out.with_suffix(".geojson"))
    routes.write_table(route, out.with_suffix(".csv"))
    routes.write_table(route, out.with_suffix(".html"))
    typer.echo(f"{len(route.stops)} stops, {route.total_m / 1000:.2f} km, "
               f"{route.start_time:%a %d %b %H:%M}-{route.end_time:%H:%M}")
    for r in routes.route_table(route).itertuples(index=False):
        typer.echo(f"  {r.stop}. {r.hotspot}  arrive {r.arrive}  expected {r.expected}")
    typer.echo(f"wrote {out}, {out.with_suffix('.geojson')}, {out.with_suffix('.csv')}, {out.with_suffix('.html')}")


# ---- end section: publish ---------------------------------------------------------------------

# ---- section: cycle (run, init, demo, synth) ---------------------------------------------------

@app.command("run")
def run_cmd(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Cycle config TOML (write one with "
                                          "`hotspot init`). Optional: the flags below are enough."),
    offences: Optional[List[Path]] = typer.Option(None, "--offences", help="Offence files or folders "
                                                  "(police.uk CSVs/folders/zips, extracts); repeat the flag "
                                                  "for several. Overrides [inputs] offences."),
    boundaries: Optional[List[Path]] = typer.Option(None, "--boundaries", help="Boundary GeoPackage/GeoJSON "
                                                    "as published by ONS (LSOA, ward or beat, LA layers found "
                                                    "by their fields); repeat for several files. Overrides "
                                                    "[inputs] boundaries."),
    imd: Optional[Path] = typer.Option(None, "--imd", help="IoD2019 File 1, 2 or 7 CSV as published."),
    uc: Optional[Path] = typer.Option(None, "--uc", help="DWP Stat-Xplore CSV: households on UC by LSOA."),
    population: Optional[Path] = typer.Option(None, "--population", help="Population by LSOA (ONS, or "
                                              "IoD2019 File 6)."),
    lookup: Optional[Path] = typer.Option(None, "--lookup", help="LSOA 2011 -> 2021 lookup CSV "
                                          "(for 2011-coded IMD with 2021 boundaries)."),
    postcodes: Optional[Path] = typer.Option(None, "--postcodes", help="Postcode lookup for rows without "
                                             "coordinates."),
    field: Optional[List[str]] = typer.Option(None, "--field", help=_FIELD_HELP + " Overrides [inputs] fields."),
    out: Path = typer.Option(Path("outputs"), "--out", help="Output folder; the cycle is written to "
                             "OUT/<cycle id>/ (public runs: OUT/public/<cycle id>/)."),
    public: Optional[bool] = typer.Option(None, "--public/--sensitive", help="Override [cycle] public: write only "
                                          "the redacted OFFICIAL outputs (--public, into OUT/public/) or the "
                                          "full ones."),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait if another run holds OUT's lock."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on Dask (needs `pip install "
                                            "'hotspot[dask]'`): 'processes' for a local cluster, or the "
                                            "tcp://host:port address of an existing Dask scheduler. Outputs "
                                            "are identical to a single-process run."),
    workers: int = typer.Option(2, "--workers", help="Worker processes of a local Dask cluster."),
) -> None:
    """Run the whole tasking cycle: ingest, geocode, hotspots, emerging, profiles, forecast, routes, map, briefing."""
    from hotspot.config import load
    from hotspot.cycle import run_cycle

    def _abs(p: Optional[Path]) -> Optional[str]:
        return None if p is None else str(p.expanduser().resolve())

    inputs: dict = {}
    if offences:
        inputs["offences"] = [_abs(p) for p in offences]
    if boundaries:
        inputs["boundaries"] = [_abs(p) for p in boundaries]
    if postcodes is not None:
        inputs["postcodes"] = _abs(postcodes)
    if field:
        inputs["fields"] = _fields(field)
    cov = {k: _abs(p) for k, p in (("imd", imd), ("uc_lsoa", uc), ("population", population),
                                   ("lookup", lookup)) if p is not None}
    overrides = {k: v for k, v in (("inputs", inputs), ("covariates", cov)) if v}
    run_cycle(load(config, overrides=overrides), out, public=public, wait=wait,
              log=lambda s: typer.echo(s, err=True), scheduler=scheduler, workers=workers)


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Output folder (default out/demo)."),
    public: bool = typer.Option(False, "--public", help="Write the redacted OFFICIAL versions."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="As for `hotspot run`."),
) -> None:
    """The full tasking cycle on the embedded synthetic Avon and Somerset data (what `make demo` runs)."""
    from hotspot.config import demo
    from hotspot.cycle import run_cycle

    run_cycle(demo(), out, public=public, log=lambda s: typer.echo(s, err=True), scheduler=scheduler)


@app.command("scan")
def scan_cmd(
    folder: Path = typer.Argument(..., help="A published folder, e.g. outputs/public/2025-06."),
    threshold: int = typer.Option(5, "--threshold", help="Counts from 1 to THRESHOLD - 1 are disclosive."),
) -> None:
    """Independent disclosure scan of a folder: small or recoverable counts, points, sensitive words, paths.

    Knows nothing of the redactor's lists; exit code 1 when anything is found.
    """
    from hotspot.errors import ArgumentError
    from hotspot.publish.scan import scan_folder

    if not folder.is_dir():
        raise ArgumentError("FOLDER", str(folder), "an existing folder of published files")
    found = scan_folder(folder, threshold)
    for f in found:
        typer.echo(str(f))
    typer.echo(f"{len(found)} finding(s) in {folder}")
    if found:
        raise typer.Exit(1)


@app.command("sign-model")
def sign_model_cmd(
    path: Path = typer.Argument(..., help="A .skops model you trust (e.g. trained on another machine)."),
) -> None:
    """Sign a model with this machine's key so --model and the forecast model key accept it.

    The closed type check still applies: a file holding any type outside the trusted list is refused.
    """
    from hotspot.forecast.persist import sign_model

    card = sign_model(path)
    typer.echo(f"signed {path}; card {card}")


@app.command("init")
def init_cmd(
    path: Path = typer.Argument(Path("cycle.toml"), help="Where to write the commented example config."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented example cycle config (every key, with its default and meaning)."""
    from hotspot.config import EXAMPLE
    from hotspot.errors import InputError
    from hotspot.io import write_text

    if path.exists() and not force:
        raise InputError("file exists; pass --force to overwrite it or choose another path", path=path)
    write_text(path, EXAMPLE)
    typer.echo(f"wrote {path}; edit it, then: hotspot run --config {path} --out outputs")


@app.command("synth")
def synth_cmd(
    out: Path = typer.Option(Path("data"), "--out", help="Folder to write."),
    national: bool = typer.Option(False, "--national", help="Generate the national-scale synthetic extract "
                                  "(England and Wales, ~6 million offences a year) instead of the embedded set."),
    year: int = typer.Option(2019, "--year", help="Year of the national extract."),
    offences: int = typer.Option(6_000_000, "--offences", help="Offences in the national extract."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default: the committed data's)."),
) -> None:
    """Regenerate the embedded synthetic data set (byte for byte), or a national-scale one."""
    from hotspot import synth

    if national:
        from hotspot.synth.national import generate_national

        summary = generate_national(out, year=year, n=offences, seed=seed if seed is not None else synth.SEED)
    else:
        summary = synth.generate(out, seed=seed if seed is not None else synth.SEED)
    typer.echo({k: v for k, v in summary.items() if k != "sha256"})


# ---- end section: cycle -----------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())

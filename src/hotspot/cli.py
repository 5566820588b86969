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


# ---- section: ingest + geography (validate, geocode) ------------------------------------------

@app.command("validate")
def validate_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders: police.uk CSV/folder/zip, "
                                        "timestamped extract (CSV, CSV.gz, GeoPackage) or canonical CSV."),
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
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders: police.uk CSV/folder/zip, "
                                        "timestamped extract (CSV, CSV.gz, GeoPackage) or canonical CSV."),
    out: Path = typer.Option(..., "--out", help="GeoPackage to write (layer 'offences')."),
    report: Optional[Path] = typer.Option(None, "--report", help="JSON report (default: OUT with .report.json)."),
    quarantine: Optional[Path] = typer.Option(None, "--quarantine",
                                              help="Quarantine CSV (default: OUT with .quarantine.csv)."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries",
                                              help="GeoPackage with layers lsoa/beat/la (default: embedded)."),
    tolerance: float = typer.Option(50.0, "--tolerance", help="Metres outside every polygon within which "
                                    "a point takes the nearest area."),
    postcodes: Optional[Path] = typer.Option(None, "--postcodes", help="ONSPD-shaped postcode lookup CSV "
                                             "(default: embedded)."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML column mapping for extracts."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="TOML serious-violence rules."),
    now: Optional[str] = typer.Option(None, "--now", help="Treat dates after this (YYYY-MM-DD) as future."),
) -> None:
    """Validate and geocode offences to LSOA, beat and local authority (EPSG:27700)."""
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences, write_offences
    from hotspot.io import write_csv, write_json

    areas = load_areas(boundaries) if boundaries else None
    res = load_offences(inputs, areas=areas, tolerance=tolerance, mapping=mapping, now=now, rules=rules,
                        postcodes=postcodes)
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

@app.command("kde")
def kde_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders (anything `hotspot geocode` "
                                        "reads, or its GeoPackage output)."),
    out: Path = typer.Option(..., "--out", help="Output grid: .tif/.tiff (GeoTIFF) or .nc (NetCDF)."),
    cell: Optional[float] = typer.Option(None, "--cell", help="Cell size in metres (default: sfhotspot "
                                         "rule, 1/50 of the shorter side rounded down to 100 m)."),
    bandwidth: Optional[float] = typer.Option(None, "--bandwidth", help="Kernel bandwidth in metres "
                                              "(default: ArcGIS spatial Silverman rule)."),
    kernel: str = typer.Option("quartic", "--kernel", help="quartic, gaussian, epanechnikov, uniform "
                               "or triweight."),
    units: str = typer.Option("per_km2", "--units", help="per_km2 (offences per km2), per_cell or density."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First date included (YYYY-MM-DD)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last date included (YYYY-MM-DD)."),
    serious_only: bool = typer.Option(True, "--serious-only/--all", help="Only serious violence "
                                      "(default) or every offence."),
    extent: str = typer.Option("force", "--extent", help="Grid extent and mask: 'force' (the force "
                               "boundary, cells outside are empty) or 'points' (the offences plus "
                               "the kernel radius, no mask)."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="GeoPackage with the force "
                                              "layer (default: embedded)."),
    truncate: float = typer.Option(3.0, "--truncate", help="Gaussian only: support in bandwidths."),
    rate: bool = typer.Option(False, "--rate/--density", help="Write offences per 1,000 residents "
                              "(dual KDE over LSOA populations at their representative points) "
                              "instead of the density."),
    min_population: float = typer.Option(100.0, "--min-population", help="With --rate: cells whose "
                                          "smoothed population is under this many residents per "
                                          "km2 are left empty."),
) -> None:
    """Kernel density surface of offences on a National Grid aligned raster (exact, quartic default)."""
    import numpy as np
    import pandas as pd

    from hotspot.errors import ArgumentError
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.io import write_geotiff, write_netcdf
    from hotspot.grid.spec import GridSpec
    from hotspot.hotspots.kde import bandwidth_rule, kde
    from hotspot.kernels.kde import KERNELS, support

    suffix = out.suffix.lower()
    if suffix not in (".tif", ".tiff", ".nc"):
        raise ArgumentError("--out", str(out), "a path ending .tif, .tiff or .nc")
    if extent not in ("force", "points"):
        raise ArgumentError("--extent", extent, "'force' or 'points'")
    if kernel not in KERNELS:
        raise ArgumentError("--kernel", kernel, "one of " + ", ".join(KERNELS))
    areas = load_areas(boundaries) if (boundaries or extent == "force") else None
    res = load_offences(inputs, areas=areas)
    off = res.offences
    when = pd.to_datetime(off["occurred_at"], errors="coerce")
    when = when.fillna(pd.to_datetime(off["month"].astype(str) + "-01", errors="coerce"))
    keep = np.ones(len(off), dtype=bool)
    for name, value, cmp in (("--from", date_from, "ge"), ("--to", date_to, "le")):
        if value is None:
            continue
        try:
            day = pd.Timestamp(value).normalize()
        except (ValueError, TypeError):
            raise ArgumentError(name, value, "a date YYYY-MM-DD") from None
        keep &= (when >= day).to_numpy() if cmp == "ge" else (when < day + pd.Timedelta(days=1)).to_numpy()
    if serious_only:
        keep &= off["serious_violence"].astype(bool).to_numpy()
    x, y = off["easting"].to_numpy(float)[keep], off["northing"].to_numpy(float)[keep]
    if x.size == 0:
        raise ArgumentError("inputs", "no offences after filtering",
                            "offences in the date range (or use --all / widen --from/--to)")
    h, hrule = (bandwidth, "given") if bandwidth is not None else bandwidth_rule(x, y)
    reach = support(KERNELS[kernel], truncate) * h
    mask = None
    if extent == "force":
        spec = GridSpec.from_bounds(areas.force, cell)
        mask = areas.force
    else:
        spec = GridSpec.from_points(x, y, cell, buffer=reach)
    if rate:
        from hotspot.hotspots.kde import rate_surface

        areas = areas if areas is not None else load_areas()
        if "population" not in areas.lsoa.columns:
            raise ArgumentError("--rate", "LSOA boundaries without a population column",
                                "--boundaries with an LSOA population (or drop --rate)")
        da = rate_surface((x, y), areas.lsoa, spec, bandwidth=h, kernel=kernel, mask=mask,
                          truncate=truncate, min_population=min_population)
    else:
        da = kde(x, y, spec, bandwidth=h, kernel=kernel, units=units, mask=mask, truncate=truncate)
    da.attrs["bandwidth_rule"] = hrule
    da.attrs["cell_rule"] = spec.cell_rule
    da.attrs["offences"] = int(x.size)
    (write_netcdf if suffix == ".nc" else write_geotiff)(da, out)
    typer.echo(f"offences {x.size:,} ({'serious violence' if serious_only else 'all'})")
    typer.echo(f"cell {spec.cell:g} m ({spec.cell_rule}); grid {spec.nx} x {spec.ny}")
    typer.echo(f"bandwidth {h:,.1f} m ({hrule}); kernel {kernel}; edge loss {da.attrs['edge_loss']:.2%}")
    typer.echo(f"max {np.nanmax(da.values):,.3g} {da.attrs['units_label']}; wrote {out}")


@app.command("gistar")
def gistar_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders (anything `hotspot geocode` "
                                        "reads, or its GeoPackage output)."),
    out: Path = typer.Option(..., "--out", help="GeoPackage to write (layer 'cells')."),
    cell: Optional[float] = typer.Option(None, "--cell", help="Cell size in metres (default: sfhotspot "
                                         "rule, 1/50 of the shorter side rounded down to 100 m)."),
    distance: Optional[float] = typer.Option(None, "--distance", help="Neighbourhood radius in metres "
                                             "between cell centres, self included (default: 3 cells)."),
    weights: str = typer.Option("binary", "--weights", help="binary (fixed distance band), linear or "
                                "gaussian distance decay."),
    permutations: int = typer.Option(0, "--permutations", help="Conditional permutations for pseudo "
                                     "p-values (0 = analytic only; 999 is usual)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the permutations."),
    fdr: str = typer.Option("bh_dependence", "--fdr", help="Multiple-testing adjustment: bh_dependence "
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
    extent: str = typer.Option("force", "--extent", help="Study area: 'force' (cells whose centre is "
                               "outside the force boundary are excluded) or 'points' (the offences' "
                               "bounding box, no mask)."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="GeoPackage with the force "
                                              "layer (default: embedded)."),
) -> None:
    """Getis-Ord Gi* hot and cold spots of offence counts on a grid, FDR-adjusted (ArcGIS Gi_Bin classes)."""
    import numpy as np
    import pandas as pd

    from hotspot.errors import ArgumentError
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.binning import count_points
    from hotspot.grid.spec import GridSpec
    from hotspot.hotspots.gistar import gistar, to_cells
    from hotspot.io import write_gpkg
    from hotspot.schema import GI_CLASSES

    if extent not in ("force", "points"):
        raise ArgumentError("--extent", extent, "'force' or 'points'")
    areas = load_areas(boundaries) if (boundaries or extent == "force") else None
    off = load_offences(inputs, areas=areas).offences
    when = pd.to_datetime(off["occurred_at"], errors="coerce")
    when = when.fillna(pd.to_datetime(off["month"].astype(str) + "-01", errors="coerce"))
    keep = np.ones(len(off), dtype=bool)
    for name, value, cmp in (("--from", date_from, "ge"), ("--to", date_to, "le")):
        if value is None:
            continue
        try:
            day = pd.Timestamp(value).normalize()
        except (ValueError, TypeError):
            raise ArgumentError(name, value, "a date YYYY-MM-DD") from None
        keep &= (when >= day).to_numpy() if cmp == "ge" else (when < day + pd.Timedelta(days=1)).to_numpy()
    if serious_only:
        keep &= off["serious_violence"].astype(bool).to_numpy()
    x, y = off["easting"].to_numpy(float)[keep], off["northing"].to_numpy(float)[keep]
    if x.size == 0:
        raise ArgumentError("inputs", "no offences after filtering",
                            "offences in the date range (or use --all / widen --from/--to)")
    if extent == "force":
        spec = GridSpec.from_bounds(areas.force, cell)
        counts = count_points(x, y, spec, mask=areas.force)
    else:
        spec = GridSpec.from_points(x, y, cell)
        counts = count_points(x, y, spec)
    dist = distance if distance is not None else 3 * spec.cell
    ds = gistar(counts, dist, weights=weights, permutations=permutations, seed=seed, fdr=fdr,
                inference=inference, background=background)
    cells = to_cells(ds)
    write_gpkg(out, {"cells": cells})
    typer.echo(f"offences {x.size:,} ({'serious violence' if serious_only else 'all'})")
    typer.echo(f"cell {spec.cell:g} m ({spec.cell_rule}); grid {spec.nx} x {spec.ny}; "
               f"{ds.attrs['n_cells']:,} cells in the study area")
    typer.echo(f"distance {dist:g} m ({weights}), mean {ds.attrs['mean_neighbours']:.1f} cells per "
               f"neighbourhood; permutations {permutations}; FDR {fdr}; inference "
               f"{ds.attrs['inference']} (background {ds.attrs['background']:g} m)")
    by = cells["class"].value_counts()
    for code in (3, 2, 1, -1, -2, -3):
        typer.echo(f"  {GI_CLASSES[code]:<16} {int(by.get(code, 0)):>7,}")
    typer.echo(f"wrote {out} (layer 'cells', {len(cells):,} cells)")


# ---- end section: hotspots --------------------------------------------------------------------

# ---- section: space-time (emerging, profile, areas) ----------------------------------------------

@app.command("emerging")
def emerging_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders (any input `hotspot geocode` "
                                        "reads, or its GeoPackage)."),
    out: Path = typer.Option(Path("emerging.gpkg"), "--out", help="GeoPackage to write (layer 'emerging': "
                             "one polygon per cell inside the study area with its category)."),
    cell: float = typer.Option(250.0, "--cell", help="Grid cell size in metres."),
    step: str = typer.Option("week", "--step", help="Time step: 'week' (Monday start; needs timestamped "
                             "data) or 'month'."),
    distance: float = typer.Option(500.0, "--distance", help="Neighbourhood distance in metres."),
    time_lag: int = typer.Option(1, "--time-lag", help="Previous time steps in the space-time neighbourhood."),
    date_from: Optional[str] = typer.Option(None, "--from", help="First day to include (YYYY-MM-DD; "
                                            "default: first offence)."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Last day to include (YYYY-MM-DD; "
                                          "default: last offence)."),
    cube_out: Optional[Path] = typer.Option(None, "--cube", help="Also write the count cube and per-step "
                                            "Gi* results to this NetCDF file."),
    all_offences: bool = typer.Option(False, "--all", help="Use every offence, not only serious violence."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="GeoPackage with the 'force' "
                                              "layer used as study area (default: embedded)."),
    alpha: float = typer.Option(0.1, "--alpha", help="Significance of a hot/cold bin (0.1 = 90%)."),
    patterns_only: bool = typer.Option(False, "--patterns-only", help="Write only cells with a pattern "
                                       "(drop 'no pattern detected' cells)."),
    min_steps: int = typer.Option(10, "--min-steps", help="Fewest time steps accepted (Esri: 10)."),
) -> None:
    """Emerging hot spot analysis (ArcGIS categories): space-time Gi* and Mann-Kendall trend per cell."""
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.cube import space_time_cube, write_cube
    from hotspot.grid.spec import GridSpec
    from hotspot.hotspots.emerging import category_counts, emerging_hotspots, to_cells
    from hotspot.io import write_gpkg

    areas = load_areas(boundaries) if boundaries else load_areas()
    res = load_offences(inputs, areas=areas)
    off = res.offences
    if not all_offences and "serious_violence" in off.columns:
        off = off[off["serious_violence"].astype(bool)]
    spec = GridSpec.from_bounds(areas.force, cell)
    cube = space_time_cube(off, spec, step=step, start=date_from, end=date_to, mask=areas.force)
    ds = emerging_hotspots(cube, distance, time_lag=time_lag, alpha=alpha, min_steps=min_steps)
    write_gpkg(out, {"emerging": to_cells(ds, patterns_only=patterns_only)})
    if cube_out is not None:
        write_cube(ds.drop_vars("category"), cube_out)
    typer.echo(f"{int(cube.attrs['counted']):,} offences in {cube.sizes['time']} {step}s from "
               f"{str(cube['time'].values[0])[:10]}; grid {spec.nx} x {spec.ny} cells of {cell:g} m")
    for name, n in category_counts(ds).items():
        if n:
            typer.echo(f"  {name}: {n:,}")
    typer.echo(f"wrote {out} (layer 'emerging')" + (f", {cube_out}" if cube_out else ""))


@app.command("profile")
def profile_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders (anything `hotspot geocode` "
                                        "reads, or its GeoPackage output)."),
    out: Path = typer.Option(..., "--out", help="CSV to write: the 7 x 24 day x hour table (Mon..Sun x 0..23) "
                             "with a total column."),
    area: Optional[str] = typer.Option(None, "--area", help="Only offences in this LSOA, beat or local "
                                       "authority code (e.g. X06000001)."),
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
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="GeoPackage with layers "
                                              "lsoa/beat/la (default: embedded)."),
    reference: Optional[Path] = typer.Option(None, "--reference", help="Reference day x hour CSV "
                                             "(default: data/reference/serious_violence_day_hour.csv)."),
) -> None:
    """Day-of-week x hour profile: peak windows and the match with the VRU reference profile."""
    import warnings

    from hotspot.errors import InputError
    from hotspot.forecast.profile import (day_hour_table, format_windows, heatmap_figure, peak_windows,
                                          reference_profile, shape_correlation)
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.io import write_csv

    areas = load_areas(boundaries) if boundaries else None
    off = load_offences(inputs, areas=areas).offences
    mask = off["serious_violence"].astype(bool) if serious_only else off.index.to_series().notna()
    if area:
        hit = None
        for col in ("lsoa_code", "beat_code", "la_code"):
            if col in off.columns and (off[col].astype(str) == area).any():
                hit = off[col].astype(str) == area
                break
        if hit is None:
            raise InputError(f"--area {area!r} matches no LSOA, beat or local authority code of the "
                             f"offences; check the code (e.g. X06000001)")
        mask = mask & hit
    ref = reference_profile(reference)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = day_hour_table(off, select=mask.to_numpy(dtype=bool),
                               allocate="reference" if allocate_reference else None, reference=ref)
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    a = table.attrs
    shown = table / a["total"] * 100.0 if percent and a["total"] else table
    shown.attrs.update(a, units="percent" if percent else "count")
    written = shown.copy()
    written["total"] = written.sum(axis=1)
    written = written.astype(int) if not (percent or a["modelled"]) else written.round(4)
    write_csv(out, written, index=True)
    what = "serious violence" if serious_only else "offences"
    typer.echo(f"{what}{' in ' + area if area else ''}: {a['total']:,.0f} in the table "
               f"({a['n_exact']:,} timed, {a['n_month']:,} month-only "
               f"{'spread by the reference (MODELLED)' if a['modelled'] else 'left out'})")
    if a["total"] <= 0:
        typer.echo("no timed offences: no peak windows")
    else:
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
    typer.echo(f"wrote {out}" + (f", {figure}" if figure and a["total"] > 0 else ""))


@app.command("areas")
def areas_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files or folders (anything `hotspot geocode` "
                                        "reads, or its GeoPackage output)."),
    out: Path = typer.Option(..., "--out", help="CSV to write: one row per area."),
    level: str = typer.Option("lsoa", "--level", help="Areas to profile: lsoa, beat or la."),
    imd: Optional[Path] = typer.Option(None, "--imd", help="IoD2019 File 7 CSV (default: "
                                       "data/covariates/imd2019_file7.csv)."),
    uc: Optional[Path] = typer.Option(None, "--uc", help="Stat-Xplore CSV of households on Universal "
                                      "Credit (default: data/covariates/uc_households_lsoa.csv)."),
    uc_month: Optional[str] = typer.Option(None, "--uc-month", help="Month of the UC count, YYYY-MM "
                                           "(default: the latest in the file)."),
    population: Optional[Path] = typer.Option(None, "--population", help="ONS LSOA population CSV "
                                              "(default: data/covariates/population_lsoa.csv)."),
    lookup: Optional[Path] = typer.Option(None, "--lookup", help="LSOA 2011 -> 2021 lookup CSV "
                                          "(LSOA11CD, LSOA21CD, CHGIND) for 2021-coded boundaries."),
    by_decile: Optional[Path] = typer.Option(None, "--by-decile", help="Also write the table by IMD "
                                             "decile to this CSV."),
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="GeoPackage with layers "
                                              "lsoa/beat/la (default: embedded)."),
) -> None:
    """Area profiles: offences, serious violence, knife crime, rates per 1,000 and per UC household, IMD."""
    import warnings

    from hotspot.covariates.codes import read_lsoa_lookup
    from hotspot.covariates.imd import read_imd
    from hotspot.covariates.population import read_population
    from hotspot.covariates.profiles import area_profile, by_imd_decile
    from hotspot.covariates.universal_credit import read_statxplore
    from hotspot.errors import ArgumentError
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.io import write_csv
    from hotspot.paths import data_dir

    if level not in ("lsoa", "beat", "la"):
        raise ArgumentError("--level", level, "one of lsoa, beat, la")
    cov = data_dir() / "covariates"

    def _pick(given: Optional[Path], default: str) -> Optional[Path]:
        if given is not None:
            return given
        p = cov / default
        if not p.exists():
            typer.echo(f"note: {p} not found; that covariate is left out", err=True)
            return None
        return p

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        area_layers = load_areas(boundaries)
        off = load_offences(inputs, areas=area_layers).offences
        p_imd, p_uc, p_pop = _pick(imd, "imd2019_file7.csv"), _pick(uc, "uc_households_lsoa.csv"), \
            _pick(population, "population_lsoa.csv")
        t_imd = read_imd(p_imd) if p_imd else None
        t_uc = read_statxplore(p_uc) if p_uc else None
        t_pop = read_population(p_pop) if p_pop else None
        lk = read_lsoa_lookup(lookup) if lookup else None
        prof = area_profile(off, area_layers, imd=t_imd, uc=t_uc, population=t_pop, level=level,
                            uc_month=uc_month, lookup=lk)
        dec = by_imd_decile(off, area_layers, t_imd, population=t_pop, lookup=lk) \
            if by_decile and t_imd is not None else None
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen:
            seen.add(msg)
            typer.echo(f"warning: {msg}", err=True)
    write_csv(out, prof.round(4))
    a = prof.attrs
    typer.echo(f"{len(prof):,} {level} areas; offences {int(prof['offences'].sum()):,}, serious violence "
               f"{int(prof['serious_violence'].sum()):,}, knife {int(prof['knife'].sum()):,}"
               + (f"; UC month {a['uc_month']}" if a.get("uc_month") else ""))
    for what, codes in a["missing"].items():
        if codes:
            typer.echo(f"  {len(codes)} area(s) without {what} data: {', '.join(codes[:5])}"
                       f"{' ...' if len(codes) > 5 else ''}")
    if a["unplaced_offences"]:
        typer.echo(f"  {a['unplaced_offences']:,} offence(s) outside the boundaries' LSOAs")
    top = prof.sort_values("sv_per_1000", ascending=False).head(5)
    key = {"lsoa": "lsoa_code", "beat": "beat_code", "la": "la_code"}[level]
    typer.echo("highest serious violence per 1,000 residents:")
    for _, r in top.iterrows():
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
_COV_HELP = ("Area covariates for the model: 'auto' (lsoa/beat: IMD score, UC rate and population "
             "from the embedded covariates) or a CSV whose first column is the unit id (e.g. LSOA "
             "code) and other columns numeric.")


def _read_covariates(path, offences=None, unit="cell"):
    if path is None:
        return None
    import pandas as pd

    if str(path) == "auto":
        from hotspot.forecast.features import area_covariates
        from hotspot.geography.areas import load_areas
        return area_covariates(offences, load_areas(), unit)

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
    inputs: List[Path] = typer.Argument(..., help="Offence files (any input `hotspot geocode` reads, or "
                                        "its GeoPackage)."),
    origin: str = typer.Option(..., "--from", help="First forecast day, YYYY-MM-DD (uses only "
                               "offences before it)."),
    horizon: int = typer.Option(7, "--horizon", help="Days to forecast: 7 or 28."),
    unit: str = typer.Option("cell", "--unit", help=_UNIT_HELP),
    cell: float = typer.Option(250.0, "--cell", help="Cell size in metres (unit=cell)."),
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
) -> None:
    """Forecast expected serious violence per unit for the next 7 or 28 days (with q10/q90)."""
    from hotspot.forecast.models import forecast_next
    from hotspot.geography.geocode import load_offences
    from hotspot.io import write_csv, write_gpkg

    if model is not None and save is not None:
        raise typer.BadParameter("--save needs a newly trained model; drop --model", param_hint="--save")
    loaded = None
    if model is not None:
        from hotspot.forecast.persist import load_model
        loaded = load_model(model)
    offences = load_offences(inputs).offences
    layer, table, fitted = forecast_next(offences, origin, horizon=horizon, unit=unit, cell=cell,
                                         model=loaded, serious_only=not all_offences, seed=seed,
                                         covariates=_read_covariates(covariates, offences, unit),
                                         return_model=True)
    write_gpkg(out, {"forecast": layer})
    dh = out.with_suffix(".day_hour.csv")
    write_csv(dh, table)
    if save is not None:
        from hotspot.forecast.persist import save_model
        save_model(fitted, save, name=save.stem,
                   extra={"unit": unit, "cell": cell if unit == "cell" else None})
        typer.echo(f"saved model {save} and {save.stem}.card.json")
    top = layer.head(5)
    typer.echo(f"forecast {horizon} days from {origin} for {len(layer):,} {unit} units; "
               f"expected total {layer['expected'].sum():.1f}")
    for _, r in top.iterrows():
        typer.echo(f"  #{r['rank']}: {r['unit']}  expected {r['expected']:.2f} "
                   f"(q10 {r['q10']:.0f}, q90 {r['q90']:.0f})")
    typer.echo(f"wrote {out} (layer 'forecast') and {dh}")


@app.command("backtest")
def backtest_cmd(
    inputs: List[Path] = typer.Argument(..., help="Offence files (any input `hotspot geocode` reads)."),
    unit: str = typer.Option("cell", "--unit", help=_UNIT_HELP),
    cell: float = typer.Option(250.0, "--cell", help="Cell size in metres (unit=cell)."),
    folds: int = typer.Option(26, "--folds", help="Number of weekly forecast origins."),
    horizon: int = typer.Option(7, "--horizon", help="Days forecast at each origin: 7 or 28."),
    models: str = typer.Option("gbm,last4,seasonal_naive,kde,prospective", "--models",
                               help="Comma-separated models: gbm, last4, seasonal_naive, kde, prospective."),
    out: Path = typer.Option(..., "--out", help="JSON metrics (mean and 95% CI per model)."),
    chart: Optional[Path] = typer.Option(None, "--chart", help="PNG chart of PAI and hit rate."),
    all_offences: bool = typer.Option(False, "--all-offences", help="Use every offence, not only "
                                      "serious violence."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the learned model."),
    covariates: Optional[Path] = typer.Option(None, "--covariates", help=_COV_HELP),
) -> None:
    """Rolling-origin backtest: hit rate, PAI, PEI* at 1/5/10% of area, deviance and MAE."""
    from hotspot.forecast.backtest import rolling_origin
    from hotspot.geography.geocode import load_offences

    offences = load_offences(inputs).offences
    areas = None
    if unit != "cell":
        from hotspot.geography.areas import load_areas
        areas = load_areas().level(unit)
    names = [m.strip() for m in models.split(",") if m.strip()]
    res = rolling_origin(offences, unit=unit, cell=cell, folds=folds, horizon=horizon, models=names,
                         areas=areas, serious_only=not all_offences, seed=seed,
                         covariates=_read_covariates(covariates, offences, unit))
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
    inputs: List[Path] = typer.Argument(..., help="Offence files (any input `hotspot geocode` reads)."),
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
) -> None:
    """Expected violence after a reopening, relative to the same weeks of 2019."""
    from hotspot.forecast.scenarios import reopening, reopening_backtest
    from hotspot.geography.geocode import load_offences
    from hotspot.io import write_csv, write_json

    offences = load_offences(inputs).offences
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
    boundaries: Optional[Path] = typer.Option(None, "--boundaries", help="Boundaries GeoPackage (default: embedded)."),
    lsoa_stats: Optional[Path] = typer.Option(None, "--lsoa-stats", help="CSV: lsoa_code, imd_decile, uc_rate, sv_rate."),
    no_areas: bool = typer.Option(False, "--no-areas", help="Do not load boundaries (no outlines or search)."),
    tiles: str = typer.Option("none", "--tiles", help="Background: none (offline), openstreetmap or an XYZ URL."),
    title: Optional[str] = typer.Option(None, "--title", help="Title shown on the map."),
    public: bool = typer.Option(False, "--public", help="Public version: redact small counts and sensitive "
                                "categories, label OFFICIAL, and check the result."),
    threshold: int = typer.Option(5, "--threshold", help="Public mode: counts below this are suppressed."),
) -> None:
    """Write the offline tasking map (Leaflet inlined; works with no internet)."""
    from hotspot.publish import redact
    from hotspot.publish.maps import save_map, tasking_map

    areas = None
    if not no_areas:
        from hotspot.geography.areas import load_areas

        areas = load_areas(boundaries) if boundaries else load_areas()
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
    m = tasking_map(kde=da, areas=areas, lsoa_stats=_publish_read_table(lsoa_stats, "LSOA statistics"),
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
    stops: int = typer.Option(8, "--stops", help="Most hotspots to visit."),
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
                                          "`hotspot init`). Default: the bundled demo config."),
    out: Path = typer.Option(Path("outputs"), "--out", help="Output folder; the cycle is written to OUT/<cycle id>/."),
    public: Optional[bool] = typer.Option(None, "--public/--sensitive", help="Override [cycle] public: write only "
                                          "the redacted OFFICIAL outputs (--public) or the full ones."),
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

    run_cycle(load(config), out, public=public, wait=wait, log=lambda s: typer.echo(s, err=True),
              scheduler=scheduler, workers=workers)


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Output folder (default out/demo)."),
    public: bool = typer.Option(False, "--public", help="Write the redacted OFFICIAL versions."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="As for `hotspot run`."),
) -> None:
    """The full tasking cycle on the embedded synthetic Avon and Somerset data (what `make demo` runs)."""
    from hotspot.config import load
    from hotspot.cycle import run_cycle

    run_cycle(load(None), out, public=public, log=lambda s: typer.echo(s, err=True), scheduler=scheduler)


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

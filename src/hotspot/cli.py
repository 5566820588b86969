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

# ---- end section: hotspots --------------------------------------------------------------------

# ---- section: space-time (emerging, profile, areas) ----------------------------------------------

# ---- end section: space-time ------------------------------------------------------------------

# ---- section: forecast (forecast, backtest, scenario) ------------------------------------------

# ---- end section: forecast --------------------------------------------------------------------

# ---- section: publish (map, briefing, route) ---------------------------------------------------

# ---- end section: publish ---------------------------------------------------------------------

# ---- section: cycle (run, init, demo, synth) ---------------------------------------------------

# ---- end section: cycle -----------------------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())

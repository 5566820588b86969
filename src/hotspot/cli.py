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

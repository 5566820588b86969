"""The library: one verb per analysis, as sfhotspot offers them.

Every verb validates its arguments up front (an :class:`~hotspot.errors.ArgumentError` names the
argument, what it got and what it wants), takes the :class:`~hotspot.grid.study_area.StudyArea`
where space matters, and returns a labelled object (xarray, GeoDataFrame, DataFrame) whose
``attrs`` carry the parameters used. The command line (:mod:`hotspot.cli`) and the batch run
(:mod:`hotspot.cycle`) only call these verbs.

Examples
--------
See ``docs/api.md`` for a notebook-sized session (it is also a doctest).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from shapely.geometry import box

from hotspot.covariates import profiles as _profiles
from hotspot.covariates.codes import read_lsoa_lookup
from hotspot.covariates.imd import read_imd
from hotspot.covariates.population import read_population
from hotspot.covariates.universal_credit import read_statxplore
from hotspot.errors import ArgumentError, InputError
from hotspot.forecast import backtest as _backtest
from hotspot.forecast import models as _models
from hotspot.forecast import monthly as _monthly
from hotspot.forecast import profile as _profile
from hotspot.forecast.monthly import forecast_monthly, monthly_panel, parse_horizon
from hotspot.geography import geocode as _geocode
from hotspot.geography.areas import Areas, embedded_areas, read_boundaries
from hotspot.grid.binning import count_points
from hotspot.grid.cube import space_time_cube
from hotspot.grid.study_area import StudyArea
from hotspot.hotspots import emerging as _emerging
from hotspot.hotspots import gistar as _gistar
from hotspot.hotspots import harm as _harm
from hotspot.hotspots import kde as _kde
from hotspot.ingest import read_offences
from hotspot.kernels.kde import KERNELS
from hotspot.paths import data_dir
from hotspot.publish import maps as _maps

__all__ = ["study_area", "points_study_area", "load_offences", "area_profile", "select_offences", "time_resolution", "kde", "rate_kde", "gistar",
           "emerging", "profile", "forecast", "backtest", "tasking_map"]

#: Resolutions a set of offences can have (see :func:`time_resolution`).
RESOLUTIONS = ("exact", "month")


# ---- study area and offences ------------------------------------------------------------------

def study_area(boundaries: str | Path | Sequence[str | Path] | Areas | None = None, *,
               embedded: bool = False, population: pd.Series | None = None,
               **layers: Any) -> StudyArea:
    """Build the :class:`StudyArea` once from the boundaries.

    Parameters
    ----------
    boundaries : path, list of paths or Areas, optional
        Boundary files or folders as published (ONS GeoPackage, per-LA GeoJSON; LSOA, ward or beat
        and LA layers found by their fields) or already loaded :class:`Areas`. Required unless
        ``embedded=True``: the engine never falls back to the embedded synthetic world unasked.
    embedded : bool
        Use the embedded synthetic boundaries (``hotspot demo``); ``boundaries`` must be None.
    population : Series, optional
        Residents by LSOA code (default: the LSOA layer's ``population`` column, if any).
    **layers
        Passed to :func:`hotspot.geography.areas.read_boundaries` (``lsoa_layer``, ``beat_layer``,
        ``la_layer``, ``fields``).

    Returns
    -------
    StudyArea

    Raises
    ------
    ArgumentError
        No boundaries and not ``embedded``, or both.
    """
    if embedded and boundaries is not None:
        raise ArgumentError("embedded", True, "False when boundaries are given (one world at a time)")
    if isinstance(boundaries, Areas):
        return StudyArea.from_areas(boundaries, embedded=False, population=population)
    if boundaries is None:
        if not embedded:
            raise ArgumentError("boundaries", None, "the boundary files of your force (ONS LSOA, "
                                "ward/beat and LA layers; CLI: --boundaries PATH), or embedded=True "
                                "for the embedded synthetic world")
        return StudyArea.from_areas(embedded_areas(), embedded=True, population=population)
    paths = [boundaries] if isinstance(boundaries, (str, Path)) else list(boundaries)
    if not paths:
        raise ArgumentError("boundaries", boundaries, "at least one boundary file")
    return StudyArea.from_areas(read_boundaries(paths, **layers), embedded=False, population=population)


def points_study_area(inputs: str | Path | Sequence[str | Path], *, mapping: Any = None,
                      now: Any = None) -> StudyArea:
    """A study area that is the offences' own bounding box, for data without boundaries.

    For a quick look at an extract (``--extent points``): the grid covers the offences and no cell
    outside it is analysed. It knows no LSOAs, beats or LAs (one area, ``"extent"``). Real
    police.uk offences (ONS LSOA codes) are refused: their force's boundaries exist and belong
    in the analysis (``--boundaries``).

    Raises
    ------
    InputError
        No located offence, or real police.uk offences.
    """
    paths = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
    frames = []
    for p in paths:
        if not p.exists():
            raise InputError("offence input not found; check the path", path=p)
    geo = [p for p in paths if _geocode.is_geocoded_gpkg(p)]
    raw = [p for p in paths if p not in geo]
    frames += [_geocode.read_geocoded(p) for p in geo]
    if raw:
        frames.append(read_offences(raw, mapping=mapping, now=now).accepted)
    off = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if "published_lsoa" in off.columns and off["published_lsoa"].astype(str).str.match(r"^[EW]01\d{6}$").any():
        raise InputError("these are real police.uk offences (ONS LSOA codes): give your force's boundaries "
                         "with --boundaries PATH instead of --extent points")
    x = off["easting"].to_numpy(float) if "easting" in off else np.array([])
    y = off["northing"].to_numpy(float) if "northing" in off else np.array([])
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise InputError("no offence has coordinates, so their extent is empty; give --boundaries")
    x0, y0, x1, y1 = x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max()
    pad = 1.0  # every point strictly inside the box
    geom = box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    lsoa = gpd.GeoDataFrame({"lsoa_code": ["extent"], "lsoa_name": ["offences' extent"]}, geometry=[geom],
                            crs="EPSG:27700")
    force = gpd.GeoDataFrame({"name": ["offences' bounding box"]}, geometry=[geom], crs="EPSG:27700")
    areas = Areas(lsoa=lsoa, beat=None, la=None, force=force, source="the offences' bounding box")
    return StudyArea.from_areas(areas, embedded=False)


def load_offences(inputs: str | Path | Sequence[str | Path], study_area: StudyArea, *,
                  tolerance: float = 50.0, mapping: Any = None, rules: Any = None, now: Any = None,
                  postcodes: str | Path | pd.DataFrame | None = None, earliest: Any = None,
                  latest: Any = None) -> _geocode.OffencesResult:
    """Read, validate and geocode offence files into the study area; reconcile every row.

    Parameters
    ----------
    inputs : path or list of paths
        police.uk CSVs/folders/zips, timestamped extracts, canonical CSVs or geocoded GeoPackages.
    study_area : StudyArea
        From :func:`study_area`; offences are placed in its LSOAs, beats and LAs.
    tolerance : float
        Metres outside every polygon within which a point takes the nearest area.
    mapping, rules, now :
        Column mapping (TOML), serious-violence rules (TOML), the "future" cut-off date.
    earliest, latest : date-like, optional
        The plausible date window (default 2000-01-01 to today + 1 day); rows outside it are
        quarantined as ``implausible_date``.
    postcodes : path or DataFrame, optional
        Postcode lookup for rows without coordinates.

    Returns
    -------
    OffencesResult
        ``offences`` (GeoDataFrame, EPSG:27700), ``quarantine`` (every rejected row with its
        reason and original values) and ``report`` (counts that reconcile per file).
    """
    _require_study_area(study_area)
    paths = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
    if not paths:
        raise ArgumentError("inputs", [], "at least one offence file or folder")
    for p in paths:
        if not p.exists():
            raise InputError("offence input not found; check the path", path=p)
    if not (isinstance(tolerance, (int, float)) and np.isfinite(tolerance) and tolerance >= 0):
        raise ArgumentError("tolerance", tolerance, "a distance in metres >= 0")
    if postcodes is None and study_area.embedded:
        postcodes = data_dir() / "postcodes.csv"
    res = _geocode.load_offences(paths, areas=study_area.areas, tolerance=float(tolerance),
                                 mapping=mapping, now=now, rules=rules, postcodes=postcodes,
                                 earliest=earliest, latest=latest)
    if study_area.embedded:
        _refuse_real_in_embedded(res, paths)
    return res


def _refuse_real_in_embedded(res: _geocode.OffencesResult, inputs: Sequence[Path]) -> None:
    """Real offences (ONS E01/W01 LSOA codes) never go into the embedded synthetic world."""
    real = 0
    for frame in (res.offences, res.quarantine):
        col = "published_lsoa" if "published_lsoa" in frame.columns else None
        if col is not None:
            real += int(frame[col].astype(str).str.match(r"^[EW]01\d{6}$").sum())
    if real:
        raise InputError(f"{real:,} offences carry real ONS LSOA codes (E01/W01...): they are real data, and "
                         "the embedded synthetic boundaries would mix the two worlds. Pass your force's "
                         "boundaries (--boundaries PATH) instead of --embedded",
                         path=inputs[0] if len(inputs) == 1 else None)


def time_resolution(offences: pd.DataFrame) -> str:
    """``"exact"`` when most offences carry a date and time, ``"month"`` when they carry a month only.

    police.uk street-level rows carry a month; timestamped extracts a date and time. Analyses that
    need days or hours (day x hour profiles, weekly steps) refuse month-resolution data rather
    than invent times.
    """
    if "occurred_at" not in offences.columns or len(offences) == 0:
        return "month"
    timed = pd.to_datetime(offences["occurred_at"], errors="coerce").notna().mean()
    return "exact" if timed >= 0.5 else "month"


def when(off: pd.DataFrame) -> pd.Series:
    """Occurrence time, or the first of the month for month-only rows."""
    t = pd.to_datetime(off["occurred_at"], errors="coerce") if "occurred_at" in off.columns else \
        pd.Series(pd.NaT, index=off.index)
    if "month" in off.columns:
        t = t.fillna(pd.to_datetime(off["month"].astype(str) + "-01", errors="coerce"))
    return t


def _day(name: str, value: Any) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise ArgumentError(name, value, "a date YYYY-MM-DD") from None


def in_area(offences: pd.DataFrame, code: str) -> pd.Series:
    """Boolean mask of the offences in the LSOA, beat or local authority ``code``.

    Raises
    ------
    InputError
        When no LSOA, beat or LA code of the offences is ``code``.
    """
    for col in ("lsoa_code", "beat_code", "la_code"):
        if col in offences.columns:
            hit = offences[col].astype(str) == str(code)
            if hit.any():
                return hit
    raise InputError(f"area {code!r} matches no LSOA, beat or local authority code of the offences; "
                     "check the code (e.g. E01014540)")


def harm(offences: pd.DataFrame, index: str | Path = "ons-css", *,
         override: str | Path | None = None) -> np.ndarray:
    """Harm weight of every offence, for ``kde(weights=...)`` and ``gistar(values=...)``.

    Parameters
    ----------
    offences : DataFrame
        Offences with ``crime_type`` and ``offence_code`` (Home Office classification code;
        extracts: the ``HO Code`` column).
    index : str or Path
        ``"ons-css"`` (the ONS Crime Severity Score weights shipped in ``data/harm``) or a
        ``key,weight[,source][,category]`` CSV / TOML table (e.g. the Cambridge Crime Harm Index).
    override : str or Path, optional
        A table of extra or replaced weights (codes or police.uk categories).

    Returns
    -------
    ndarray of float
        One weight per offence.

    Raises
    ------
    InputError
        Some offences have no weight (e.g. police.uk "Violence and sexual offences", whose codes
        weigh 7.5 to 7,973): the message counts them and says what to add. No weight is guessed.

    References
    ----------
    .. [1] ONS (2016). Research outputs: developing a Crime Severity Score for England and Wales
       using data on crimes recorded by the police.
    .. [2] Sherman, L., Neyroud, P. W., Neyroud, E. (2016). The Cambridge Crime Harm Index.
       *Policing* 10(3), 171-183.
    """
    idx = _harm.load_harm_index(index, override=override)
    w = idx.lookup(offences)
    missing = idx.unmatched(offences, w)
    if missing:
        raise InputError(idx.why_unmatched(missing))
    return w


def select_offences(offences: pd.DataFrame, *, serious_only: bool = True, date_from: Any = None,
                    date_to: Any = None, located: bool = True) -> gpd.GeoDataFrame:
    """The offences an analysis uses: serious violence only (default) within dates.

    Parameters
    ----------
    offences : GeoDataFrame
        From :func:`load_offences`.
    serious_only : bool
        Keep only rows flagged ``serious_violence``.
    date_from, date_to : date-like, optional
        First and last day included; month-only rows count from the first of their month.
    located : bool
        Keep only rows with coordinates (maps, grids).

    Returns
    -------
    GeoDataFrame
        The selection, with ``attrs["selection"]`` describing it.

    Raises
    ------
    InputError
        When nothing is left, naming the filter that removed the offences.
    """
    if not isinstance(offences, pd.DataFrame):
        raise ArgumentError("offences", type(offences).__name__, "a DataFrame from hotspot.load_offences")
    start, end = _day("date_from", date_from), _day("date_to", date_to)
    keep = pd.Series(True, index=offences.index)
    steps: list[tuple[str, int]] = [("read", len(offences))]
    if located and {"easting", "northing"} <= set(offences.columns):
        keep &= np.isfinite(offences["easting"].to_numpy(float)) & np.isfinite(offences["northing"].to_numpy(float))
        steps.append(("located", int(keep.sum())))
    if serious_only:
        keep &= offences["serious_violence"].astype(bool)
        steps.append(("serious violence", int(keep.sum())))
    t = when(offences)
    if start is not None:
        keep &= t >= start
        steps.append((f"from {start.date()}", int(keep.sum())))
    if end is not None:
        keep &= t < end + pd.Timedelta(days=1)
        steps.append((f"to {end.date()}", int(keep.sum())))
    out = offences[keep.to_numpy()]
    if len(out) == 0:
        trail = ", ".join(f"{k} {n:,}" for k, n in steps)
        first_zero = next(k for k, n in steps if n == 0)
        raise InputError(f"no offences left after filtering ({trail}); the '{first_zero}' step removed "
                         "them: widen the dates, use every offence (--all), or check the inputs")
    out = out.copy()
    out.attrs["selection"] = {"serious_only": bool(serious_only), "date_from": str(start.date()) if start is not None else None,
                              "date_to": str(end.date()) if end is not None else None, "steps": steps}
    return out


def _require_study_area(sa: Any) -> None:
    if not isinstance(sa, StudyArea):
        raise ArgumentError("study_area", type(sa).__name__, "a StudyArea from hotspot.study_area()")


def _xy(offences: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(offences, pd.DataFrame) or not {"easting", "northing"} <= set(offences.columns):
        raise ArgumentError("offences", type(offences).__name__,
                            "a DataFrame with easting/northing (from hotspot.load_offences)")
    x, y = offences["easting"].to_numpy(float), offences["northing"].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def _positive(name: str, value: Any) -> float:
    """A finite number of metres > 0, or an ArgumentError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ArgumentError(name, value, "a number of metres > 0")
    return float(value)


def _positive_or_none(name: str, value: Any) -> float | None:
    """As :func:`_positive`, None meaning "the default rule"."""
    if value is None:
        return None
    try:
        return _positive(name, value)
    except ArgumentError:
        raise ArgumentError(name, value, "a number of metres > 0 (or None for the default)") from None


# ---- hotspots -------------------------------------------------------------------------------

def kde(offences: pd.DataFrame, study_area: StudyArea, *, cell: float | None = 100.0,
        bandwidth: float | None = None, kernel: str = "quartic", units: str = "per_km2",
        weights: Any = None, truncate: float = 3.0) -> xr.DataArray:
    """Kernel density of offences on the study area's grid (exact direct sum, quartic default).

    Parameters
    ----------
    offences : DataFrame
        Offences with ``easting``/``northing`` (e.g. from :func:`select_offences`).
    study_area : StudyArea
    cell : float or None
        Cell size in metres (None: sfhotspot's default rule, reported in attrs).
    bandwidth : float, optional
        Kernel bandwidth in metres (default: ArcGIS's spatial Silverman rule, reported in attrs).
    kernel : {"quartic", "gaussian", "epanechnikov", "uniform", "triweight"}
    units : {"per_km2", "per_cell", "density"}
    weights : array-like, optional
        One weight per offence (e.g. harm).
    truncate : float
        Gaussian support in bandwidths.

    Returns
    -------
    DataArray
        ``(y, x)`` surface masked to the force; attrs: bandwidth, rule, kernel, cell, units.

    References
    ----------
    .. [1] Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*.
    """
    _require_study_area(study_area)
    cell = _positive_or_none("cell", cell)
    bandwidth = _positive_or_none("bandwidth", bandwidth)
    if kernel not in KERNELS:
        raise ArgumentError("kernel", kernel, "one of " + ", ".join(KERNELS))
    x, y = _xy(offences)
    if x.size == 0:
        raise ArgumentError("offences", "no located offences", "at least one offence with coordinates")
    grid = study_area.grid(cell)
    da = _kde.kde(x, y, grid.spec, bandwidth=bandwidth, kernel=kernel, units=units, weights=weights,
                  mask=grid.mask, truncate=truncate)
    da.attrs["offences"] = int(x.size)
    da.attrs["cell_rule"] = grid.spec.cell_rule
    return da


def rate_kde(offences: pd.DataFrame, study_area: StudyArea, *, cell: float | None = 100.0,
             bandwidth: float | None = None, kernel: str = "quartic", truncate: float = 3.0,
             min_population: float = 100.0, per: float = 1000.0) -> xr.DataArray:
    """Offences per ``per`` residents: a dual KDE over the LSOA populations of the study area.

    Returns
    -------
    DataArray
        Rate surface; cells whose smoothed population is under ``min_population`` per km2 are NaN.

    References
    ----------
    .. [1] Levine, N. (2015). CrimeStat IV, chapter 10: dual kernel density estimation.
    """
    _require_study_area(study_area)
    if "population" not in study_area.lsoa.columns:
        raise ArgumentError("study_area", "LSOA boundaries without a population column",
                            "boundaries with an LSOA population (or a density instead of a rate)")
    x, y = _xy(offences)
    if x.size == 0:
        raise ArgumentError("offences", "no located offences", "at least one offence with coordinates")
    h, rule = (float(bandwidth), "given") if bandwidth is not None else _kde.bandwidth_rule(x, y)
    grid = study_area.grid(cell)
    da = _kde.rate_surface((x, y), study_area.lsoa, grid.spec, bandwidth=h, kernel=kernel, mask=grid.mask,
                           truncate=truncate, min_population=min_population, per=per)
    da.attrs.update({"bandwidth_rule": rule, "offences": int(x.size), "cell_rule": grid.spec.cell_rule})
    return da


def gistar(offences: pd.DataFrame, study_area: StudyArea, *, cell: float | None = 100.0,
           distance: float | None = None, weights: str = "binary", permutations: int = 0,
           seed: int | None = None, fdr: str = "by", values: Any = None, inference: str | None = None,
           background: float | None = None) -> xr.Dataset:
    """Getis-Ord Gi* hot and cold spots of offence counts on the study area's grid.

    Parameters
    ----------
    offences : DataFrame
        Offences with ``easting``/``northing``.
    study_area : StudyArea
    cell : float
        Cell size in metres.
    distance : float, optional
        Neighbourhood radius between cell centres, self included (default: 3 cells).
    weights : {"binary", "linear", "gaussian"}
    permutations : int
        Conditional permutations for pseudo p-values (0 = analytic).
    seed : int, optional
    fdr : {"by", "bh_dependence", "bh", "none"}
        Multiple-testing adjustment over cells: ``"by"`` (Benjamini-Yekutieli, alias
        ``bh_dependence``, the default: valid under the positive dependence of overlapping
        neighbourhoods), ``"bh"`` (Benjamini-Hochberg, as ArcGIS) or none.
    values : array-like, optional
        One weight per offence (e.g. harm) summed per cell instead of counts.
    inference : {"exact", "analytic", "permutation"}, optional
        How p-values are found (default ``"exact"``, or ``"permutation"`` when ``permutations`` > 0):
        the exact conditional Poisson test of each neighbourhood against its background disk, valid
        for sparse counts (see ``docs/hotspot_inference.md``); the normal approximation of z; or
        conditional permutations. z-scores are the same analytic Gi* in every case.
    background : float, optional
        Background radius of the exact test in metres (default 10 x ``distance``).

    Returns
    -------
    Dataset
        ``count, z, p, p_adjusted, gi_class`` on ``(y, x)``; attrs hold every parameter.

    References
    ----------
    .. [1] Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics:
       distributional issues and an application. *Geographical Analysis* 27(4), 286-306.
    """
    _require_study_area(study_area)
    cell = _positive_or_none("cell", cell)
    distance = _positive_or_none("distance", distance)
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise ArgumentError("permutations", permutations, "a whole number >= 0 (999 is usual)")
    fdr = {"by": "bh_dependence"}.get(fdr, fdr)
    if fdr not in ("bh", "bh_dependence", "none"):
        raise ArgumentError("fdr", fdr, "one of by (bh_dependence), bh, none")
    if inference not in (None, "exact", "analytic", "permutation"):
        raise ArgumentError("inference", inference, "one of exact, analytic, permutation")
    background = _positive_or_none("background", background)
    x, y = _xy(offences)
    grid = study_area.grid(cell)
    counts = count_points(x, y, grid.spec, weights=values, mask=grid.mask)
    cell = grid.spec.cell
    dist = distance if distance is not None else 3 * grid.spec.cell
    ds = _gistar.gistar(counts, dist, weights=weights, permutations=int(permutations), seed=seed, fdr=fdr,
                        inference=inference, background=background)
    ds.attrs["offences"] = int(x.size)
    return ds


def emerging(offences: pd.DataFrame, study_area: StudyArea, *, cell: float = 250.0,
             step: str = "month", distance: float = 500.0, time_lag: int = 1, start: Any = None,
             end: Any = None, alpha: float = 0.1, min_steps: int = _emerging.MIN_STEPS,
             return_cube: bool = False) -> Any:
    """Emerging hot spot analysis (ArcGIS categories): space-time Gi* and Mann-Kendall per cell.

    Parameters
    ----------
    offences : DataFrame
    study_area : StudyArea
    cell : float
        Cell size in metres.
    step : {"week", "month"}
        Time step; weekly steps need timestamped offences (police.uk rows have a month only).
    distance : float
        Neighbourhood distance in metres.
    time_lag : int
        Previous steps in the space-time neighbourhood.
    start, end : date-like, optional
        Cube range (default: the offences' range).
    alpha : float
        Significance of a hot/cold bin.
    min_steps : int
        Fewest time steps accepted (Esri asks for 10); fewer is an InputError.
    return_cube : bool
        Also return the space-time cube of counts.

    Returns
    -------
    Dataset or (Dataset, DataArray)
        Per-step Gi* and per-cell ``category`` on ``(y, x)``; with ``return_cube`` the
        ``(time, y, x)`` count cube too.

    References
    ----------
    .. [1] Esri (2023). How Emerging Hot Spot Analysis works. ArcGIS Pro documentation.
    """
    _require_study_area(study_area)
    cell = _positive("cell", cell)
    distance = _positive("distance", distance)
    if step not in ("week", "month"):
        raise ArgumentError("step", step, "'week' or 'month'")
    if step == "week" and time_resolution(offences) == "month":
        raise ArgumentError("step", step, "'month': these offences carry a month only (police.uk), "
                            "so weekly steps would invent days")
    if isinstance(time_lag, bool) or not isinstance(time_lag, (int, np.integer)) or time_lag < 0:
        raise ArgumentError("time_lag", time_lag, "a whole number of steps >= 0")
    if not 0 < alpha < 1:
        raise ArgumentError("alpha", alpha, "a significance level between 0 and 1, e.g. 0.1")
    grid = study_area.grid(cell)
    off = offences.copy()
    if step == "month":  # month-only rows are placed at the first of their month
        off["occurred_at"] = when(off)
    cube = space_time_cube(off, grid.spec, step=step, start=start, end=end, mask=grid.mask)
    ds = _emerging.emerging_hotspots(cube, distance, time_lag=int(time_lag), alpha=alpha, min_steps=int(min_steps))
    ds.attrs.update({"step": step, "cell": cell, "steps": int(cube.sizes["time"]),
                     "counted": int(cube.attrs.get("counted", 0))})
    return (ds, cube) if return_cube else ds


# ---- who lives there --------------------------------------------------------------------------

def area_profile(offences: pd.DataFrame, study_area: StudyArea, *, level: str = "lsoa",
                 imd: str | Path | None = None, uc: str | Path | None = None,
                 population: str | Path | None = None, lookup: str | Path | None = None,
                 uc_month: str | None = None, by_decile: bool = False, harm: Any = None) -> Any:
    """Area profiles: offences, serious violence, knife, rates per 1,000 and per UC household, IMD.

    Parameters
    ----------
    offences : DataFrame
        From :func:`load_offences`.
    study_area : StudyArea
    level : {"lsoa", "beat", "la"}
    imd, uc, population, lookup : path, optional
        IoD2019 File 1, 2 or 7; Stat-Xplore households on UC by LSOA; population by LSOA (ONS or
        IoD2019 File 6); the LSOA 2011 -> 2021 lookup. Each is optional: left out, its columns read
        "not available" (NaN), never 0.
    uc_month : str, optional
        Month of the UC count (default: the latest in the file).
    by_decile : bool
        Also return the table by IMD decile (None without an IMD file).
    harm : array-like, optional
        Harm weight per offence (e.g. :func:`harm`): adds ``sv_harm`` beside the counts.

    Returns
    -------
    DataFrame or (DataFrame, DataFrame or None)
        One row per area (``attrs``: ``missing``, ``unplaced_offences``, ``uc_month``).
    """
    _require_study_area(study_area)
    if level not in ("lsoa", "beat", "la"):
        raise ArgumentError("level", level, "one of lsoa, beat, la")
    for name, p in (("imd", imd), ("uc", uc), ("population", population), ("lookup", lookup)):
        if p is not None and (str(p).strip() in ("", ".") or not Path(p).is_file()):
            raise ArgumentError(name, str(p), "an existing file (leave it out when you have none)")
    t_imd = read_imd(imd) if imd else None
    t_uc = read_statxplore(uc) if uc else None
    t_pop = read_population(population) if population else None
    lk = read_lsoa_lookup(lookup) if lookup else None
    prof = _profiles.area_profile(offences, study_area.areas, imd=t_imd, uc=t_uc, population=t_pop,
                                  level=level, uc_month=uc_month, lookup=lk,
                                  harm=None if harm is None else np.asarray(harm, dtype=float))
    if not by_decile:
        return prof
    dec = _profiles.by_imd_decile(offences, study_area.areas, t_imd, population=t_pop, lookup=lk) \
        if t_imd is not None else None
    return prof, dec


# ---- time profiles, forecasts ------------------------------------------------------------------

def profile(offences: pd.DataFrame, *, select: Any = None, allocate: str | None = None,
            reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Day-of-week x hour table (Mon..Sun x 0..23) of timed offences.

    Month-only rows are left out (counted in ``attrs["n_month"]``) unless ``allocate="reference"``
    spreads them by a reference profile, in which case the table is labelled MODELLED.

    Returns
    -------
    DataFrame
        7 x 24 counts; attrs: ``total, n_exact, n_month, modelled``.
    """
    if not isinstance(offences, pd.DataFrame):
        raise ArgumentError("offences", type(offences).__name__, "a DataFrame of offences")
    if allocate not in (None, "reference"):
        raise ArgumentError("allocate", allocate, "None or 'reference'")
    return _profile.day_hour_table(offences, select=select, allocate=allocate, reference=reference)


def _unit(unit: str, study_area: StudyArea) -> None:
    if unit not in ("cell", "lsoa", "beat"):
        raise ArgumentError("unit", unit, "one of cell, lsoa, beat")
    if unit != "cell":
        study_area.level(unit)


def _unit_layer(study_area: StudyArea, unit: str, cell: float, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Forecast rows joined to their unit geometry (cell squares or area polygons), EPSG:27700."""
    uni = study_area.universe(unit, cell=cell)
    pos = uni.units.get_indexer(table["unit"].astype(str))
    if unit == "cell":
        half = uni.cell / 2
        geom = [box(x - half, y - half, x + half, y + half) for x, y in zip(uni.x[pos], uni.y[pos])]
    else:
        polys = study_area.level(unit).dissolve(by=f"{unit}_code").geometry
        geom = list(polys.reindex(table["unit"].astype(str)).to_numpy())
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geom, crs="EPSG:27700")


def _monthly_or_days(offences: pd.DataFrame, study_area: StudyArea, horizon: int | str, *, unit: str,
                     cell: float, serious_only: bool) -> tuple[int, Any]:
    """``(n, None)`` for a horizon of ``n`` days on timestamped data, or ``(n, MonthlyPanel)`` for
    ``n`` whole months on month-only data (every published month present; a gap stays a gap)."""
    n, kind = parse_horizon(horizon)
    if kind != "M" and time_resolution(offences) != "month":
        return n, None
    if kind != "M":
        raise ArgumentError("horizon", horizon, "whole months such as '1M' or '2M': these offences carry a "
                            "month only (police.uk)")
    months = sorted(set(offences["month"].astype(str)))
    sel = offences[offences["serious_violence"].astype(bool)] if serious_only else offences
    return n, monthly_panel(sel, study_area.universe(unit, cell=cell), months_present=months)


def forecast(offences: pd.DataFrame, study_area: StudyArea, *, origin: Any, horizon: int | str = 7,
             unit: str = "cell", cell: float = 250.0, model: Any = None, serious_only: bool = True,
             covariates: pd.DataFrame | None = None, seed: int = 0, return_model: bool = False) -> Any:
    """Expected offences per unit from ``origin``: days for timestamped data, whole months for police.uk.

    Parameters
    ----------
    offences : DataFrame
        Geocoded offences; only those before ``origin`` are used.
    study_area : StudyArea
        Its unit universe is what the forecast ranks (never the cells where offences happened).
    origin : date-like
        First forecast day (``YYYY-MM-DD``), or first forecast month (``YYYY-MM``) for month-only
        data; a month-only forecast may start after a gap (data through June, forecast August).
    horizon : int or str
        Days (7 or 28) for timestamped data; whole months (``"1M"``, ``"2M"``) for month-only data.
    unit : {"cell", "lsoa", "beat"}
    cell : float
        Cell size in metres for ``unit="cell"``.
    model : estimator, optional
        A fitted model (timestamped data), default: train one on the data before ``origin``.

    Returns
    -------
    (GeoDataFrame, DataFrame or None[, model])
        The forecast layer (``unit, expected, q10, q90, rank``; month-only forecasts have no
        calibrated interval, so q10/q90 are empty) and the day x hour split (None for month-only
        data: it is not available in police.uk data).
    """
    _require_study_area(study_area)
    _unit(unit, study_area)
    cell = _positive("cell", cell)
    if origin is None:
        raise ArgumentError("origin", None, "the first forecast day, YYYY-MM-DD (or month YYYY-MM)")
    n, panel = _monthly_or_days(offences, study_area, horizon, unit=unit, cell=cell, serious_only=serious_only)
    if panel is not None:
        if model is not None:
            raise ArgumentError("model", type(model).__name__, "None: saved models are for timestamped data")
        table = forecast_monthly(panel, origin, f"{n}M")
        table["q10"] = np.nan
        table["q90"] = np.nan
        layer = _unit_layer(study_area, unit, cell, table[["unit", "expected", "q10", "q90", "rank"]])
        layer.attrs.update(table.attrs)
        return (layer, None, None) if return_model else (layer, None)
    return _models.forecast_next(offences, origin, horizon=n, unit=unit, cell=cell,
                                 areas=study_area.areas, universe=study_area.universe(unit, cell=cell),
                                 model=model, covariates=covariates,
                                 serious_only=serious_only, seed=seed, return_model=return_model)


def backtest(offences: pd.DataFrame, study_area: StudyArea, *, unit: str = "cell", cell: float = 250.0,
             folds: int = 26, horizon: int | str = 7, models: Sequence = _backtest.DEFAULT_MODELS,
             serious_only: bool = True, covariates: pd.DataFrame | None = None, seed: int = 0,
             client: Any = None) -> _backtest.BacktestResult:
    """Rolling-origin backtest (hit rate, PAI, PEI*, deviance, MAE) of the models over origins.

    Timestamped data: weekly origins, ``horizon`` days, the learned model against every peer on the
    study area's universe. Month-only data: every monthly origin with history, whole-month
    horizons (``"1M"``), scored on present months only (a gap is neither history nor target),
    against ranking by past counts; returns the per-origin table.
    """
    _require_study_area(study_area)
    _unit(unit, study_area)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 1:
        raise ArgumentError("folds", folds, "a whole number of origins >= 1")
    n, panel = _monthly_or_days(offences, study_area, horizon, unit=unit, cell=cell, serious_only=serious_only)
    if panel is not None:
        return _monthly.monthly_backtest(panel, horizon=f"{n}M")
    return _backtest.rolling_origin(offences, study_area.universe(unit, cell=cell), folds=int(folds),
                                    horizon=n, models=models, covariates=covariates,
                                    serious_only=serious_only, seed=seed, client=client)


# ---- publishing -------------------------------------------------------------------------------

def tasking_map(study_area: StudyArea | None = None, **layers: Any) -> Any:
    """The offline Folium tasking map (Leaflet inlined) of the given layers.

    Parameters
    ----------
    study_area : StudyArea, optional
        Draws LSOA/beat/LA outlines and the area search.
    **layers
        ``kde``, ``gistar``, ``emerging``, ``forecast``, ``top``, ``route``, ``lsoa_stats``,
        ``title``, ``tiles``, ``handling`` (see :func:`hotspot.publish.maps.tasking_map`).

    Returns
    -------
    folium.Map
    """
    if study_area is not None:
        _require_study_area(study_area)
    return _maps.tasking_map(areas=study_area.areas if study_area is not None else None, **layers)

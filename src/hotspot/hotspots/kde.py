"""Kernel density estimation (KDE) of offences on an aligned grid, and dual-KDE rate surfaces.

:func:`kde` evaluates the kernel exactly at every cell centre within the kernel's support (no
binning or FFT approximation) with the parallel Numba kernel in :mod:`hotspot.kernels.kde`.
:func:`rate_surface` divides a smoothed offence surface by a smoothed population surface with the
same kernel and bandwidth (a "dual KDE"), giving offences per ``per`` residents.

Kernels (u = distance / bandwidth), each normalised to integrate to 1 over the plane:

* ``quartic`` (default): ``3/pi (1 - u^2)^2`` for u < 1 (CrimeStat; ArcGIS Kernel Density [2]_)
* ``epanechnikov``: ``2/pi (1 - u^2)`` for u < 1
* ``uniform``: ``1/pi`` for u < 1
* ``triweight``: ``4/pi (1 - u^2)^3`` for u < 1
* ``gaussian``: ``exp(-u^2/2) / (2 pi (1 - exp(-t^2/2)))`` for u < t, t = ``truncate``
  (3 by default): truncated at ``t`` bandwidths and renormalised so its mass is still 1.

References
----------
.. [1] Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*.
   Chapman & Hall, sections 4.2-4.3.
.. [2] Esri. "How Kernel Density works" (quartic kernel; default search radius from the spatial
   variant of Silverman's rule with the standard distance and the median distance).
   https://pro.arcgis.com/en/pro-app/latest/tool-reference/spatial-analyst/how-kernel-density-works.htm
.. [3] Levine, N. (2013). *CrimeStat IV*, chapter 10 "Kernel Density Interpolation" (dual KDE,
   ratio of two surfaces with the same kernel and bandwidth).
.. [4] Chainey, S., Tompson, L., Uhlig, S. (2008). The utility of hotspot mapping for predicting
   spatial patterns of crime. *Security Journal* 21, 4-28.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

from hotspot.errors import ArgumentError
from hotspot.grid.binning import as_mask, as_weights, as_xy
from hotspot.grid.spec import GridSpec, _is_bng
from hotspot.kernels import kde as K
from hotspot.kernels.kde import KERNELS, support
from hotspot.schema import BNG

UNITS = ("per_km2", "per_cell", "density")
_UNIT_LABEL = {"per_km2": "offences per km2", "per_cell": "offences per cell",
               "density": "probability density per m2 (integrates to 1 over the plane)"}


def bandwidth_rule(x: Any, y: Any, weights: Any = None) -> tuple[float, str]:
    """Default bandwidth (search radius): the spatial Silverman rule used by ArcGIS.

    ``h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n ** -0.2`` where ``SD`` is the (weighted) standard
    distance of the points from their (weighted) mean centre, ``Dm`` the (weighted) median
    distance from the mean centre and ``n`` the number of points (the sum of the weights when
    weights are given).

    Parameters
    ----------
    x, y : array_like
        Eastings and northings in metres; non-finite pairs are ignored.
    weights : array_like, optional
        One weight per point (>= 0).

    Returns
    -------
    bandwidth : float
        Metres (> 0).
    rule : str
        Description with the numbers used.

    References
    ----------
    .. [1] Esri, "How Kernel Density works", section "Default search radius (bandwidth)".
       https://pro.arcgis.com/en/pro-app/latest/tool-reference/spatial-analyst/how-kernel-density-works.htm
    .. [2] Silverman, B. W. (1986), eq. 3.31 (rule of thumb with a robust spread estimate).
    """
    xa, ya = as_xy(x, y)
    w = as_weights(weights, xa.size)
    if w.size == 0:
        w = np.ones(xa.size)
    ok = np.isfinite(xa) & np.isfinite(ya) & (w > 0)
    xa, ya, w = xa[ok], ya[ok], w[ok]
    n = float(w.sum())
    if xa.size < 2:
        raise ArgumentError("bandwidth", None, "a bandwidth in metres (the default rule needs at "
                            "least two points with positive weight)")
    mx, my = np.average(xa, weights=w), np.average(ya, weights=w)
    d2 = (xa - mx) ** 2 + (ya - my) ** 2
    sd = math.sqrt(float(np.sum(w * d2)) / n)
    d = np.sqrt(d2)
    order = np.argsort(d)
    cw = np.cumsum(w[order])
    dm = float(d[order][np.searchsorted(cw, 0.5 * cw[-1])])
    spread = min(sd, math.sqrt(1.0 / math.log(2.0)) * dm)
    h = 0.9 * spread * n ** -0.2
    if not h > 0:
        raise ArgumentError("bandwidth", None, "a bandwidth in metres (the points are all in one "
                            "place, so the default rule gives 0)")
    rule = (f"ArcGIS spatial Silverman rule: 0.9 * min(SD {sd:,.0f} m, sqrt(1/ln2) * Dm "
            f"{math.sqrt(1.0 / math.log(2.0)) * dm:,.0f} m) * n^-0.2 (n = {n:,.0f}) = {h:,.1f} m")
    return h, rule


def _check_bandwidth(bandwidth: Any) -> float:
    try:
        h = float(bandwidth)
    except (TypeError, ValueError):
        raise ArgumentError("bandwidth", bandwidth,
                            "a bandwidth in metres > 0 (or None for the rule)") from None
    if not math.isfinite(h) or h <= 0:
        raise ArgumentError("bandwidth", bandwidth, "a finite bandwidth in metres > 0")
    return h


def density_grid(x: np.ndarray, y: np.ndarray, w: np.ndarray, spec: GridSpec, bandwidth: float,
                 kernel: str = "quartic", truncate: float = 3.0) -> tuple[np.ndarray, float, int]:
    """Exact kernel density per square metre at every cell centre, and the mass off the grid.

    Parameters
    ----------
    x, y, w : ndarray of float64
        Points and weights (``w`` empty for unit weights), as from
        :func:`hotspot.grid.binning.as_xy` / ``as_weights``.
    spec : GridSpec
    bandwidth : float
        Metres.
    kernel : str
        One of :data:`hotspot.kernels.kde.KERNELS`.
    truncate : float
        Gaussian support in bandwidths.

    Returns
    -------
    density : ndarray (ny, nx)
        ``sum_p w_p K_h(c - p)`` per square metre.
    outside : float
        Discrete kernel mass (sum over the infinite lattice of cell centres x cell area) of all
        points that falls on lattice cells outside the grid.
    n_bad : int
        Points with non-finite coordinates (ignored).
    """


    code = K.KERNELS[kernel]
    t = K.support(code, truncate)
    const = K.kernel_constant(code, truncate)
    reach = t * bandwidth
    xs, ys, ws, start, pad, _n_far, n_bad = K.sort_by_row(x, y, w, spec.y1, spec.cell, spec.ny,
                                                           spec.x0, spec.nx, reach)
    reach_rows = int(math.ceil(reach / spec.cell)) + 1
    work = K.row_work(start, pad, spec.ny, reach_rows)
    edges = K.balanced_bands(work, 8 * numba.get_num_threads())
    dens = K.density_bands(xs, ys, ws, start, pad, edges, spec.x0, spec.y1, spec.cell, spec.nx,
                           spec.ny, bandwidth, t, code, const)
    outside = K.outside_mass(x, y, w, spec.x0, spec.y1, spec.cell, spec.nx, spec.ny, bandwidth, t,
                             code, const)
    return dens, float(outside), int(n_bad)


def prepare(x: Any, y: Any, spec: GridSpec, *, bandwidth: float | None, kernel: str, units: str,
            weights: Any, mask: Any, truncate: float) -> tuple:
    """Validate the arguments of :func:`kde` and resolve points, weights, mask and bandwidth.

    Returns
    -------
    tuple
        ``(x, y, w, mask, bandwidth, bandwidth_rule, truncate)`` as NumPy arrays and floats.
    """

    if not isinstance(spec, GridSpec):
        raise ArgumentError("spec", type(spec).__name__, "a hotspot.grid.spec.GridSpec")
    if kernel not in KERNELS:
        raise ArgumentError("kernel", kernel, "one of " + ", ".join(KERNELS))
    if units not in UNITS:
        raise ArgumentError("units", units, "one of " + ", ".join(UNITS))
    try:
        tr = float(truncate)
    except (TypeError, ValueError):
        raise ArgumentError("truncate", truncate, "a number of bandwidths > 0") from None
    if not math.isfinite(tr) or tr <= 0 or tr > 20:
        raise ArgumentError("truncate", truncate, "a number of bandwidths in (0, 20]")
    xa, ya = as_xy(x, y)
    w = as_weights(weights, xa.size)
    m = as_mask(mask, spec)
    if bandwidth is None:
        h, rule = bandwidth_rule(xa, ya, w if w.size else None)
    else:
        h, rule = _check_bandwidth(bandwidth), "given"
    return xa, ya, w, m, h, rule, tr


def kde(x: Any, y: Any, spec: GridSpec, *, bandwidth: float | None = None, kernel: str = "quartic",
        units: str = "per_km2", weights: Any = None, mask: Any = None, truncate: float = 3.0):
    """Kernel density surface of points on an aligned grid (exact, no binning).

    Parameters
    ----------
    x, y : array_like
        Eastings and northings in metres (EPSG:27700). Non-finite pairs are ignored and counted
        in ``attrs["dropped"]``. Points off the grid still contribute where their kernel reaches it.
    spec : GridSpec
        Output grid (e.g. ``GridSpec.from_points(x, y, cell, buffer=bandwidth)``).
    bandwidth : float, optional
        Kernel bandwidth in metres (the search radius for the compact kernels, the standard
        deviation for the Gaussian). Default: :func:`bandwidth_rule` (ArcGIS).
    kernel : {"quartic", "gaussian", "epanechnikov", "uniform", "triweight"}
        Kernel shape (see the module docstring); quartic is the CrimeStat/ArcGIS default.
    units : {"per_km2", "per_cell", "density"}
        ``per_km2``: offences (total weight) per square kilometre; ``per_cell``: expected offences
        per cell (``per_km2 * cell area``); ``density``: probability density per square metre
        (divided by the total weight).
    weights : array_like, optional
        One weight per point (e.g. harm scores), finite and >= 0.
    mask : bool array (ny, nx), DataArray or study-area geometry/layer, optional
        Cells whose centre is outside are NaN (their kernel mass counts as edge loss).
    truncate : float
        Gaussian only: support radius in bandwidths (default 3); ignored for compact kernels.

    Returns
    -------
    xarray.DataArray
        dims ``("y", "x")`` (y descending), attrs ``crs``, ``cell``, ``bandwidth``,
        ``bandwidth_rule``, ``kernel``, ``truncate`` (Gaussian), ``support_radius`` (m),
        ``units``, ``edge_loss`` (share of the points' kernel mass falling outside the grid or
        the mask), ``kernel_mass`` (total discrete kernel mass of all points, ~ total weight),
        ``n_points``, ``total_weight``, ``dropped``.

    Notes
    -----
    Every point contributes ``w K((c - p) / h) / h^2`` to every cell centre ``c`` strictly within
    the support radius. The identity
    ``sum(cells) * cell_area (in the output's units) == kernel_mass * (1 - edge_loss)`` holds to
    rounding, where ``kernel_mass`` is the kernel summed over the infinite lattice of cell centres
    (equal to the total weight up to the discretisation error of the cell size; < 0.1% once the
    bandwidth is 4 cells or more for the quartic kernel).

    References
    ----------
    .. [1] Esri, "How Kernel Density works".
       https://pro.arcgis.com/en/pro-app/latest/tool-reference/spatial-analyst/how-kernel-density-works.htm
    .. [2] Levine, N. (2013). CrimeStat IV, ch. 10.
    """
    xa, ya, w, m, h, rule, tr = prepare(x, y, spec, bandwidth=bandwidth, kernel=kernel, units=units,
                                        weights=weights, mask=mask, truncate=truncate)
    dens, outside, n_bad = density_grid(xa, ya, w, spec, h, kernel, tr)
    return finish_surface(dens, outside, n_bad, spec, xa, ya, w, m, h=h, rule=rule, kernel=kernel,
                          truncate=tr, units=units, weighted=weights is not None)


def finish_surface(dens: np.ndarray, outside: float, n_bad: int, spec: GridSpec, xa: np.ndarray,
                   ya: np.ndarray, w: np.ndarray, m: np.ndarray | None, *, h: float, rule: str,
                   kernel: str, truncate: float, units: str, weighted: bool):
    """Mask, edge loss, units and attributes of a raw density grid (shared with tiled KDE).

    Parameters
    ----------
    dens : ndarray (ny, nx)
        Density per square metre from :func:`density_grid` (modified in place).
    outside : float
        Kernel mass off the grid; ``n_bad`` the non-finite points.
    m : bool ndarray or None
        Study-area mask (True inside).

    Returns
    -------
    xarray.DataArray
        As :func:`kde`.
    """

    tr = truncate
    area = spec.cell_area
    in_grid = float(dens.sum()) * area
    total_mass = in_grid + outside
    masked = 0.0
    if m is not None:
        masked = float(dens[~m].sum()) * area
        dens[~m] = np.nan
    edge_loss = (outside + masked) / total_mass if total_mass > 0 else 0.0
    finite = np.isfinite(xa) & np.isfinite(ya)
    total_weight = float(w[finite].sum()) if w.size else float(finite.sum())
    if units == "per_km2":
        dens *= 1e6
    elif units == "per_cell":
        dens *= area
    elif total_weight > 0:  # density
        dens /= total_weight
    attrs: dict[str, Any] = {
        "bandwidth": h, "bandwidth_rule": rule, "kernel": kernel,
        "support_radius": support(KERNELS[kernel], tr) * h, "units": units,
        "units_label": _UNIT_LABEL[units], "edge_loss": edge_loss, "kernel_mass": total_mass,
        "n_points": int(xa.size), "total_weight": total_weight, "dropped": n_bad,
        "weighted": int(weighted), "masked": int(m is not None),
    }
    if kernel == "gaussian":
        attrs["truncate"] = tr
        attrs["kernel_note"] = (f"Gaussian truncated at {tr:g} bandwidths and renormalised to mass 1")
    return spec.dataarray(dens, name="kde", attrs=attrs)


def _population_points(population: Any, spec: GridSpec, column: str) -> tuple[np.ndarray, np.ndarray,
                                                                                np.ndarray, str]:
    """(x, y, population) from a layer, an (x, y, pop) triple or a population grid."""
    if hasattr(population, "dims"):  # population counts per cell on this grid
        arr = np.asarray(population.values, dtype=float)
        if arr.shape != spec.shape:
            raise ArgumentError("population", f"a grid of shape {arr.shape}",
                                f"a grid on the output grid, shape {spec.shape}")
        xx, yy = np.meshgrid(spec.x, spec.y)
        ok = np.isfinite(arr) & (arr > 0)
        return xx[ok], yy[ok], arr[ok], "population grid (each cell's residents at its centre)"
    if hasattr(population, "geometry"):
        if column not in population.columns:
            raise ArgumentError("population", f"a layer with columns {list(population.columns)}",
                                f"a layer with a {column!r} column")

        if population.crs is not None and not _is_bng(population.crs):
            raise ArgumentError("population", f"layer in {population.crs}", f"a layer in {BNG}")
        pts = population.geometry.representative_point()
        pop = np.asarray(population[column], dtype=float)
        return (np.asarray(pts.x, dtype=float), np.asarray(pts.y, dtype=float), pop,
                "area population at each area's representative point (inside the polygon)")
    try:
        px, py, pop = population
    except (TypeError, ValueError):
        raise ArgumentError("population", type(population).__name__,
                            "a GeoDataFrame with a population column, (x, y, population) arrays "
                            "or a population DataArray on the grid") from None
    px, py = as_xy(px, py)
    return px, py, np.asarray(pop, dtype=float).ravel(), "population points"


def rate_surface(offences_xy: Any, population: Any, spec: GridSpec, *, bandwidth: float,
                 kernel: str = "quartic", per: float = 1000.0, min_population: float = 100.0,
                 population_column: str = "population", weights: Any = None, mask: Any = None,
                 truncate: float = 3.0):
    """Dual KDE: smoothed offences per ``per`` residents, NaN where too few people live.

    Parameters
    ----------
    offences_xy : (x, y) arrays, or a GeoDataFrame with ``easting``/``northing`` columns
        Offence locations (metres, EPSG:27700).
    population : GeoDataFrame, (x, y, population) arrays or DataArray
        A layer of areas (e.g. LSOAs) with a ``population_column``: each area's residents are put
        at its representative point (a point guaranteed inside the polygon, near its centroid)
        and smoothed with the same kernel and bandwidth as the offences. A population DataArray
        on ``spec`` puts each cell's residents at its centre.
    spec : GridSpec
    bandwidth : float
        Metres; the same for both surfaces (required: the ratio is only meaningful with one).
    kernel, truncate, weights, mask
        As :func:`kde`.
    per : float
        Rate base (offences per ``per`` residents; default 1,000).
    min_population : float
        Guard: cells whose smoothed population density is below this many residents per km2 are
        NaN (default 100 per km2, roughly a sparse rural parish), so tiny denominators do not
        produce spurious extreme rates.

    Returns
    -------
    xarray.DataArray
        ``rate`` (offences per ``per`` residents), attrs as :func:`kde` plus ``per``,
        ``min_population``, ``population_method``, ``guarded_cells``.

    References
    ----------
    .. [1] Levine, N. (2013). CrimeStat IV, ch. 10, "Dual kernel estimates" (ratio of two
       surfaces on the same grid with the same kernel and bandwidth).
    """
    if hasattr(offences_xy, "columns"):
        ox, oy = offences_xy["easting"].to_numpy(float), offences_xy["northing"].to_numpy(float)
    else:
        try:
            ox, oy = offences_xy
        except (TypeError, ValueError):
            raise ArgumentError("offences_xy", type(offences_xy).__name__,
                                "(x, y) arrays or a GeoDataFrame with easting/northing") from None
    h = _check_bandwidth(bandwidth)
    try:
        per_f, guard = float(per), float(min_population)
    except (TypeError, ValueError):
        raise ArgumentError("per", (per, min_population), "numbers: per > 0, min_population >= 0") from None
    if not per_f > 0:
        raise ArgumentError("per", per, "a rate base > 0 (e.g. 1000)")
    if not guard >= 0:
        raise ArgumentError("min_population", min_population, "residents per km2 >= 0")
    px, py, pop, how = _population_points(population, spec, population_column)
    if pop.size != px.size or not np.isfinite(pop).all() or (pop < 0).any():
        raise ArgumentError("population", "missing, negative or mismatched counts",
                            "one finite population >= 0 per area")
    off = kde(ox, oy, spec, bandwidth=h, kernel=kernel, units="per_km2", weights=weights, mask=mask,
              truncate=truncate)
    popd = kde(px, py, spec, bandwidth=h, kernel=kernel, units="per_km2", weights=pop, mask=mask,
               truncate=truncate)
    p = popd.values
    ok = np.isfinite(p) & (p >= guard) & (p > 0)
    rate = np.full(spec.shape, np.nan)
    rate[ok] = off.values[ok] / p[ok] * per_f
    attrs = dict(off.attrs)
    label = f"offences per {per_f:,.0f} residents"
    attrs.update(units=label, units_label=label,
                 per=per_f, min_population=guard, min_population_units="residents per km2 (smoothed)",
                 population_method=how, population_total=float(pop.sum()),
                 guarded_cells=int((np.isfinite(p) & ~ok).sum()))
    return spec.dataarray(rate, name="rate", attrs=attrs)

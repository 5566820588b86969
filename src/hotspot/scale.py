"""Scale-out on Dask (optional extra ``hotspot[dask]``): same results, more machines.

* :func:`get_client` - ``"processes"`` starts a local cluster of worker processes; a
  ``tcp://host:port`` address connects to an existing Dask cluster; ``"synchronous"`` runs in the
  calling process (debugging).
* :func:`load_offences_distributed` - one task per input file (ingest, validation and geocoding
  run where the file is read); duplicate ids across files are then quarantined exactly as the
  single-process reader does (first occurrence in input order wins).
* :func:`kde_tiled` - the grid is cut into tiles; each task receives only the points whose kernel
  reaches its tile (a halo of the support radius), in their original order, so every cell sums the
  same contributions in the same order as :func:`hotspot.hotspots.kde.kde`: results are identical.
* :func:`gistar_tiled` - window sums with :func:`dask.array.map_overlap` and a halo of the band
  radius in cells; the global mean, standard deviation and cell count are computed once, so z-scores
  are identical to :func:`hotspot.hotspots.gistar.gistar` (window sums of counts are exact).
* :func:`map_tasks` - one task per item (backtest origin, force...).

Everything here calls the same kernels as the single-process path; tests compare the two on a
``LocalCluster`` with 2 workers, with tiles small enough that many cells sit on tile boundaries.
"""

from __future__ import annotations

from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspot.errors import ArgumentError, HotspotError
from hotspot.geography.geocode import OffencesResult, _quarantine_rows, load_offences
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.gistar import gistar
from hotspot.hotspots.kde import density_grid, finish_surface, prepare
from hotspot.ingest.checks import seen_before, totals
from hotspot.kernels import kde as K
from hotspot.kernels.gistar import disk_stencil, window_sums_binary


def _require_dask():
    try:
        import dask  # noqa: F401, PLC0415 - the optional extra hotspot[dask]
        import distributed  # noqa: F401, PLC0415
    except ImportError:  # pragma: no cover - depends on the environment
        raise HotspotError("Dask is not installed: pip install 'hotspot[dask]' "
                           "(dask[distributed] and dask-geopandas)") from None


def get_client(scheduler: str = "processes", *, n_workers: int = 2, threads_per_worker: int = 1):
    """A Dask client for ``scheduler``: ``"processes"``, ``"threads"`` or a ``tcp://`` address.

    Returns
    -------
    distributed.Client or None
        None for ``"synchronous"`` (tasks then run in this process).
    """
    try:
        _require_dask()
    except HotspotError:  # a setup problem the user fixes, not an internal failure (exit code 2)
        raise ArgumentError("scheduler", scheduler, "Dask installed first: pip install 'hotspot[dask]' "
                            "(dask[distributed] and dask-geopandas)") from None
    from distributed import Client, LocalCluster  # noqa: PLC0415 - optional extra hotspot[dask]

    if scheduler == "synchronous":
        return None
    if scheduler.startswith("tcp://") or scheduler.startswith("tls://"):
        try:
            return Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ArgumentError("scheduler", scheduler, f"a reachable Dask scheduler address ({exc})") from None
    if scheduler not in ("processes", "threads"):
        raise ArgumentError("scheduler", scheduler, "'processes', 'threads', 'synchronous' or a tcp:// address")
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                           processes=scheduler == "processes", dashboard_address=None)
    return Client(cluster)


def close_client(client) -> None:
    """Close a client from :func:`get_client`, and the local cluster it started (not a remote one)."""
    if client is None:
        return
    cluster = getattr(client, "cluster", None)  # None when connected to an existing scheduler
    client.close()
    if cluster is not None:
        cluster.close()


def map_tasks(func: Callable, items: Sequence, client=None, **kwargs) -> list:
    """``[func(item, **kwargs) for item in items]``, one Dask task per item when a client is given."""
    if client is None:
        return [func(it, **kwargs) for it in items]
    futures = client.map(func, list(items), pure=False, **kwargs)
    return client.gather(futures)


# ---- ingest and geocoding ---------------------------------------------------------------

def _load_one(path: str, **kwargs):

    res = load_offences([path], **kwargs)
    return res.offences, res.quarantine, res.report


def _ids(part) -> np.ndarray:
    return part[0]["offence_id"].to_numpy(dtype=object)


def _rest(part) -> tuple:
    return part[1], part[2], part[0].iloc[:0]


def _split(part, dup: np.ndarray) -> tuple:
    """Drop the rows whose id an earlier file already had; return (kept, moved to quarantine)."""

    offences = part[0]
    moved = _quarantine_rows(offences.loc[dup], "duplicate_id", "offence id already seen in an earlier input file")
    return offences.loc[~dup].reset_index(drop=True), moved


def _first_seen(id_arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Per file, True where the id already appeared in an earlier file (first occurrence wins)."""

    seen: set = set()
    out = []
    for ids in id_arrays:
        out.append(seen_before(ids, seen))
        seen.update(ids)
    return out


def _report(reports: Sequence[dict], moved: pd.DataFrame) -> dict:
    """Per-file reports merged, cross-file duplicates moved from accepted to quarantined, totals."""

    report: dict[str, Any] = {"files": {}}
    for r in reports:
        report["files"].update(r["files"])
    for src, n in moved["source_file"].value_counts().items() if len(moved) else ():
        f = report["files"].get(str(src))
        if f is not None:
            f["accepted"] -= int(n)
            f["quarantined"] += int(n)
            f["by_reason"]["duplicate_id"] = f["by_reason"].get("duplicate_id", 0) + int(n)
    report["totals"] = totals(report["files"])
    return report


def load_offences_partitioned(inputs: Sequence[str | Path], client, **kwargs):
    """Ingest, validate and geocode one input file per Dask task, leaving the offences on the workers.

    Only the offence ids (for the cross-file duplicate check), the quarantine and the reports
    come back to the client; the accepted offences stay as a dask-geopandas GeoDataFrame with one
    partition per input file, in input order.

    Parameters
    ----------
    inputs : sequence of paths
        Offence files (each is one task and one partition).
    client : distributed.Client
        From :func:`get_client`.
    **kwargs
        As :func:`hotspot.geography.geocode.load_offences` (``areas``, ``tolerance``, ...).

    Returns
    -------
    OffencesResult
        ``offences`` is a ``dask_geopandas.GeoDataFrame`` (``.compute()`` gives the same rows as
        the single-process reader); ``quarantine`` and ``report`` are in memory. A row whose id an
        earlier file already had is quarantined as ``duplicate_id`` (first occurrence in input
        order wins, as in one process).
    """
    _require_dask()
    import dask.dataframe as dd  # noqa: PLC0415 - optional extra hotspot[dask]
    import dask_geopandas  # noqa: PLC0415


    if client is None:
        raise ArgumentError("client", None, "a Dask client (hotspot.scale.get_client)")
    paths = [str(p) for p in inputs]
    parts = client.map(_load_one, paths, pure=False, **kwargs)
    dups = _first_seen(client.gather(client.map(_ids, parts)))
    rest = client.gather(client.map(_rest, parts))
    kept, moved = [], []
    for part, dup in zip(parts, dups):
        if dup.any():
            pair = client.submit(_split, part, dup, pure=False)
            kept.append(client.submit(itemgetter(0), pair))
            moved.append(client.submit(itemgetter(1), pair))
        else:
            kept.append(client.submit(itemgetter(0), part))
    moved_rows = pd.concat(client.gather(moved), ignore_index=True) if moved else pd.DataFrame(
        columns=["source_file", "source_line", "reason", "detail"])
    quarantine = pd.concat([r[0] for r in rest] + ([moved_rows] if len(moved_rows) else []), ignore_index=True)
    report = _report([r[1] for r in rest], moved_rows)
    meta = rest[0][2]
    offences = dask_geopandas.from_dask_dataframe(dd.from_delayed(kept, meta=meta, verify_meta=False),
                                                  geometry="geometry")
    return OffencesResult(offences=offences, quarantine=quarantine, report=report)


def load_offences_distributed(inputs: Sequence[str | Path], client=None, **kwargs):
    """:func:`hotspot.geography.geocode.load_offences` with one task per input file, gathered.

    Returns
    -------
    OffencesResult
        Equal to the single-process result on the same inputs (rows, order, report totals).
        Without a client this is the single-process reader.
    """


    if client is None:
        return load_offences(list(inputs), **kwargs)
    res = load_offences_partitioned(inputs, client, **kwargs)
    offences = res.offences.compute()
    offences = gpd.GeoDataFrame(offences.reset_index(drop=True), geometry="geometry", crs=offences.crs)
    return OffencesResult(offences=offences, quarantine=res.quarantine, report=res.report)


# ---- KDE tiles --------------------------------------------------------------------------

def _kde_tile(args):

    x, y, w, spec, h, kernel, truncate = args
    return density_grid(x, y, w, spec, h, kernel, truncate)[0]


def kde_tiled(x: Any, y: Any, spec, *, bandwidth: float | None = None, kernel: str = "quartic",
              units: str = "per_km2", weights: Any = None, mask: Any = None, tile: int = 512,
              truncate: float = 3.0, client=None):
    """:func:`hotspot.hotspots.kde.kde` computed tile by tile (one task per tile).

    Parameters
    ----------
    tile : int
        Tile side in cells. Each tile task receives the points within the kernel's support radius
        of the tile (its halo), in input order.
    Other parameters
        As :func:`hotspot.hotspots.kde.kde`.

    Returns
    -------
    xarray.DataArray
        Equal to the single-process surface cell for cell, attributes included (the bandwidth
        rule and the off-grid mass are computed once on the full point set; the mass off the grid
        only visits points near the edge).
    """

    if not (isinstance(tile, int) and tile > 0):
        raise ArgumentError("tile", tile, "a tile side in cells > 0")
    xa, ya, w, m, h, rule, tr = prepare(x, y, spec, bandwidth=bandwidth, kernel=kernel, units=units,
                                        weights=weights, mask=mask, truncate=truncate)
    code = K.KERNELS[kernel]
    t = K.support(code, tr)
    radius = t * h
    ok = np.isfinite(xa) & np.isfinite(ya)
    tasks, where = [], []
    for r0 in range(0, spec.ny, tile):
        for c0 in range(0, spec.nx, tile):
            ny, nx = min(tile, spec.ny - r0), min(tile, spec.nx - c0)
            sub = GridSpec(spec.x0 + c0 * spec.cell, spec.y1 - (r0 + ny) * spec.cell, spec.cell, nx, ny)
            bx0, by0, bx1, by1 = sub.bounds
            sel = ok & (xa > bx0 - radius) & (xa < bx1 + radius) & (ya > by0 - radius) & (ya < by1 + radius)
            tasks.append((xa[sel], ya[sel], w[sel] if w.size else w, sub, h, kernel, tr))
            where.append((r0, c0, ny, nx))
    tiles = map_tasks(_kde_tile, tasks, client)
    dens = np.empty(spec.shape)
    for (r0, c0, ny, nx), part in zip(where, tiles):
        dens[r0:r0 + ny, c0:c0 + nx] = part
    outside = float(K.outside_mass(xa, ya, w, spec.x0, spec.y1, spec.cell, spec.nx, spec.ny, h, t, code,
                                   K.kernel_constant(code, tr)))
    n_bad = int((~ok).sum())
    return finish_surface(dens, outside, n_bad, spec, xa, ya, w, m, h=h, rule=rule, kernel=kernel,
                          truncate=tr, units=units, weighted=weights is not None)


# ---- Gi* tiles --------------------------------------------------------------------------

def _window_block(block: np.ndarray, dy: np.ndarray, hw: np.ndarray, what: int) -> np.ndarray:

    b = np.ascontiguousarray(block, dtype=np.float64)
    sums, counts = window_sums_binary(b, ~np.isnan(b), dy, hw)
    return sums if what == 0 else counts


def gistar_tiled(counts, distance: float, *, chunk: int = 512, fdr: str = "bh_dependence", seed: int | None = None,
                 client=None):
    """Binary-weight Gi* with window sums computed on Dask chunks with a halo of the band radius.

    Returns
    -------
    xarray.Dataset
        Same variables as :func:`hotspot.hotspots.gistar.gistar` (analytic p-values; z-scores
        identical to the single-process result).
    """
    import dask.array as da  # noqa: PLC0415 - optional extra hotspot[dask]


    cell = float(counts.attrs.get("cell") or abs(float(counts["x"][1] - counts["x"][0])))
    values = np.asarray(counts.values, dtype=np.float64)
    radius = float(distance) / cell
    dy, hw = disk_stencil(radius)
    depth = int(dy.max()) if dy.size else 0
    arr = da.from_array(values, chunks=chunk)
    parts = []
    for what in (0, 1):
        parts.append(da.map_overlap(_window_block, arr, depth=depth, boundary=np.nan, trim=True,
                                    dtype=np.float64, dy=dy, hw=hw, what=what))
    if client is None:
        swy, sw = da.compute(*parts, scheduler="synchronous")
    else:
        swy, sw = client.compute(parts, sync=True)
    return gistar(counts, distance, fdr=fdr, seed=seed, window_sums=(swy, sw))

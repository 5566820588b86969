"""Benchmark: the whole tasking cycle, and national scale on Dask.

Part 1 - the embedded data set (3.5 years, ~97,000 offences): ``hotspot demo`` in a fresh process
into a fresh folder (no stage cache), after a warm-up run that fills Numba's on-disk caches: what
an analyst's weekly run costs. Prints the time of each stage and the peak resident memory.
Goal: < 60 s, < 3 GB on 2 cores.

Part 2 - one year of national synthetic data (``hotspot synth --national``: ~6 million offences
over England and Wales, ~35,000 LSOAs, 12 monthly files) through Dask on a local cluster:
ingest + validation + geocoding with one task (and one dask-geopandas partition, left on the
workers) per file, only the coordinates collected, KDE on tiles with a halo and Gi* on
``map_overlap`` chunks over a 250 m national grid. The same steps run in a single process in the
same run give the reference time (ratio printed), and each step's task times give the Amdahl
estimate of how the time scales with more workers.

Run: ``.venv/bin/python benchmarks/bench_cycle.py [--national-offences 6000000] [--workers 2]
[--skip-national]``. The national extract is cached under ``out/bench/national``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class PeakRSS:
    """Sample the resident memory of this process and its children (Dask workers) every 50 ms."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        total = self.proc.memory_info().rss
        for c in self.proc.children(recursive=True):
            try:
                total += c.memory_info().rss
            except Exception:  # noqa: BLE001 - a worker may exit between listing and reading
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.05)

    def __enter__(self) -> PeakRSS:
        self.peak = self._rss()
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()

    @property
    def gb(self) -> float:
        return self.peak / 1e9


def _demo_process(out: str) -> float:
    """``hotspot demo --out OUT`` in a fresh process (as a user runs it); wall seconds."""
    import subprocess
    import sys

    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hotspot.cli", "demo", "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def embedded_cycle() -> None:
    import json

    print("== Part 1: full tasking cycle on the embedded data set (hotspot demo, fresh processes) ==")
    with tempfile.TemporaryDirectory() as warm:
        print(f"warm-up run (fills Numba's on-disk caches): {_demo_process(warm):.1f} s")
    with tempfile.TemporaryDirectory() as out, PeakRSS() as mem:
        total = _demo_process(out)
        manifest = json.loads(next(Path(out).glob("*/manifest.json")).read_text())
    print(f"{'stage':<10} {'seconds':>8}")
    stages = manifest["timings_s"]
    for name, t in stages.items():
        print(f"{name:<10} {t['seconds']:8.1f}")
    inside = manifest["total_seconds"]
    print(f"{'assemble':<10} {inside - sum(t['seconds'] for t in stages.values()):8.1f}")
    print(f"{'startup':<10} {total - inside:8.1f}   (interpreter, imports)")
    rec = manifest["reconciliation"]
    print(f"total {total:.1f} s (goal < 60 s); peak RSS {mem.gb:.2f} GB (goal < 3 GB); "
          f"{rec['rows_read']:,} rows read, {rec['accepted']:,} accepted, {rec['quarantined']:,} quarantined")


def _timed(label: str, func, *args, **kwargs):
    with PeakRSS() as mem:
        t = time.perf_counter()
        out = func(*args, **kwargs)
        dt = time.perf_counter() - t
    print(f"  {label:<42} {dt:7.1f} s   peak RSS {mem.gb:5.2f} GB")
    return out, dt


def national(n: int, workers: int) -> None:
    import numpy as np

    from hotspot import scale
    from hotspot.geography.areas import load_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.binning import count_points
    from hotspot.grid.spec import GridSpec
    from hotspot.hotspots.gistar import gistar
    from hotspot.hotspots.kde import kde
    from hotspot.synth.national import generate_national

    print(f"\n== Part 2: one year of national synthetic data ({n:,} offences) on Dask ==")
    folder = ROOT / "out" / "bench" / f"national-{n}"
    manifest = folder / "MANIFEST.json"
    if not manifest.exists():
        t = time.perf_counter()
        generate_national(folder, year=2019, n=n, seed=1)
        print(f"generated the national extract in {time.perf_counter() - t:.0f} s ({folder})")
    files = sorted((folder / "offences").glob("extract-*.csv.gz"))
    areas = load_areas(folder / "boundaries.gpkg")
    print(f"{len(files)} monthly files, {len(areas.lsoa):,} LSOAs")

    client = scale.get_client("processes", n_workers=workers)
    try:
        print(f"Dask LocalCluster, {workers} worker processes x 1 thread:")
        # one task per file; the areas travel with each task (as in the cycle)
        from distributed import get_task_stream

        t0 = time.perf_counter()
        with get_task_stream(client=client) as stream:  # records each task's compute time
            res, t_ingest = _timed("ingest + validate + geocode (partition per file)",
                                   scale.load_offences_partitioned, [str(f) for f in files], client, areas=areas)
        tasks = [t for t in stream.data if "_load_one" in str(t.get("key", ""))]
        file_s = [sum(e["stop"] - e["start"] for e in t["startstops"] if e["action"] == "compute") for t in tasks]
        # the offences stay on the workers; the grids need only the coordinates
        xy, t_xy = _timed("collect easting/northing for the grids", lambda: res.offences[["easting", "northing"]]
                          .compute())
        x, y = xy["easting"].to_numpy(float), xy["northing"].to_numpy(float)
        spec = GridSpec.from_bounds(tuple(areas.force.total_bounds), 250.0)
        print(f"  {len(x):,} offences accepted; grid {spec.ny} x {spec.nx} = {spec.ny * spec.nx:,} cells of 250 m")
        surf, t_kde = _timed("KDE, quartic 500 m, 512-cell tiles", scale.kde_tiled, x, y, spec,
                             bandwidth=500.0, tile=512, client=client)
        counts = count_points(x, y, spec)
        gi, t_gi = _timed("Gi*, 750 m band, map_overlap chunks", scale.gistar_tiled, counts, 750.0,
                          chunk=1024, client=client)
        t_dask = time.perf_counter() - t0
    finally:
        scale.close_client(client)

    print("Single process, same steps (reference):")
    one, s_ingest = _timed("ingest + validate + geocode (all files)", load_offences, files, areas=areas)
    s_kde_res, s_kde = _timed("KDE (one call)", kde, x, y, spec, bandwidth=500.0)
    s_gi_res, s_gi = _timed("Gi* (one call)", gistar, counts, 750.0)
    assert np.array_equal(one.offences["easting"].to_numpy(float), x)
    assert np.array_equal(one.offences["northing"].to_numpy(float), y)
    assert one.report["totals"] == res.report["totals"]
    assert np.array_equal(s_kde_res.values, surf.values, equal_nan=True)
    assert np.array_equal(s_gi_res["z"].values, gi["z"].values, equal_nan=True)
    print("  results identical (offences and reconciliation, KDE surface, Gi* z-scores)")
    print(f"Dask total {t_dask:.1f} s vs single process {s_ingest + s_kde + s_gi:.1f} s "
          f"(ratio {(s_ingest + s_kde + s_gi) / t_dask:.2f}x)")
    # Amdahl from the measured Dask run: ingest is one task per file (waves of `w` tasks), the rest
    # (duplicate check on the ids, collecting coordinates, KDE and Gi*) is serial here.
    per_file = float(np.mean(file_s)) if file_s else t_ingest * workers / len(files)
    serial = max(t_dask - (-(-len(files) // workers)) * per_file, 0.0)
    print(f"Per-file task {per_file:.1f} s (mean of {len(file_s)} Dask tasks); serial part {serial:.1f} s.")
    print("Estimated wall time with more workers (1 core each, 12 monthly files; more files per month "
          "would keep more workers busy):")
    for w in (1, 2, 4, 8, 12, 24):
        waves = -(-len(files) // w)
        print(f"  {w:>2} workers: ~{waves * per_file + serial:6.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--national-offences", type=int, default=6_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--clean", action="store_true", help="delete the cached national extract afterwards")
    args = ap.parse_args()
    if not args.skip_embedded:
        embedded_cycle()
    if not args.skip_national:
        national(args.national_offences, args.workers)
        if args.clean:
            shutil.rmtree(ROOT / "out" / "bench", ignore_errors=True)


if __name__ == "__main__":
    main()

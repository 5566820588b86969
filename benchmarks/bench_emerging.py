"""Benchmark: space-time cube + emerging hot spot analysis at force scale.

3.5 years of weekly steps (~183) on a 250 m grid over ~110 km x 110 km (440 x 440 cells) with
250,000 synthetic offences (clustered). Prints wall time and peak memory of each stage, and the
ratio to a reference implementation run in the same process:

- Gi*: ``scipy.ndimage.correlate`` with the disk footprint per step + NumPy time-window sums;
- Mann-Kendall: ``scipy.stats.kendalltau`` per cell on a sample of cells, extrapolated.

Run: ``.venv/bin/python benchmarks/bench_emerging.py [--offences 250000]``.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd


def synth(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x0, y0, side = 300_000.0, 100_000.0, 110_000.0
    centres = rng.uniform([x0, y0], [x0 + side, y0 + side], size=(60, 2))
    k = rng.integers(0, 60, n)
    clustered = centres[k] + rng.normal(0, 1500, (n, 2))
    uniform = rng.uniform([x0, y0], [x0 + side, y0 + side], size=(n, 2))
    use_c = rng.random(n) < 0.7
    xy = np.where(use_c[:, None], clustered, uniform)
    xy = np.clip(xy, [x0, y0], [x0 + side - 1, y0 + side - 1])
    t = pd.Timestamp("2021-01-04") + pd.to_timedelta(rng.uniform(0, 183 * 7 * 24, n), unit="h")
    return pd.DataFrame({"easting": xy[:, 0], "northing": xy[:, 1], "occurred_at": t})


def reference_gistar(cube: np.ndarray, dr: np.ndarray, dc: np.ndarray, lag: int) -> np.ndarray:
    from scipy import ndimage

    r = int(max(abs(dr).max(), abs(dc).max()))
    fp = np.zeros((2 * r + 1, 2 * r + 1))
    fp[dr + r, dc + r] = 1
    valid = ~np.isnan(cube[0])
    filled = np.nan_to_num(cube)
    s = np.stack([ndimage.correlate(filled[t], fp, mode="constant") for t in range(cube.shape[0])])
    w1 = ndimage.correlate(valid.astype(float), fp, mode="constant")
    cs = np.cumsum(s, axis=0)
    acc = cs.copy()
    acc[lag + 1:] -= cs[:-lag - 1]
    steps = np.minimum(np.arange(cube.shape[0]) + 1, lag + 1)[:, None, None]
    w = w1[None] * steps
    v = cube[~np.isnan(cube)]
    n, mean, sd = v.size, v.mean(), v.std()
    z = (acc - mean * w) / (sd * np.sqrt((n * w - w * w) / (n - 1)))
    z[:, ~valid] = np.nan
    return z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offences", type=int, default=250_000)
    ap.add_argument("--cell", type=float, default=250.0)
    ap.add_argument("--distance", type=float, default=500.0)
    ap.add_argument("--sample", type=int, default=2000, help="cells for the Mann-Kendall reference")
    args = ap.parse_args()

    from scipy.stats import kendalltau

    from hotspot.grid.cube import space_time_cube
    from hotspot.grid.spec import GridSpec
    from hotspot.hotspots.emerging import category_counts, emerging_hotspots
    from hotspot.kernels.emerging import disk_offsets, mann_kendall_cube, spacetime_gistar

    df = synth(args.offences)
    spec = GridSpec.from_bounds((300_000, 100_000, 410_000, 210_000), args.cell)
    # warm the JIT caches on a tiny cube so timings are steady-state
    small = space_time_cube(df.iloc[:500], GridSpec(300_000, 100_000, 10_000, 11, 11), step="week")
    emerging_hotspots(small, 15_000)

    tracemalloc.start()
    c0 = time.process_time()
    t0 = time.perf_counter()
    cube = space_time_cube(df, spec, step="week")
    t1 = time.perf_counter()
    ds = emerging_hotspots(cube, args.distance, time_lag=1)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux

    print(f"cube: {cube.sizes['time']} weeks x {spec.ny} x {spec.nx} cells, {args.offences:,} offences")
    print(f"space_time_cube     {t1 - t0:7.2f} s")
    print(f"emerging_hotspots   {t2 - t1:7.2f} s   (total {t2 - t0:.2f} s; goal < 30 s)")
    print(f"CPU time (all threads) {cpu:7.2f} s  (wall >> CPU/2 means the machine is shared)")
    print(f"peak traced memory  {peak / 2**20:7.0f} MiB; max RSS {rss:.0f} MiB")
    print("categories:", {k: v for k, v in category_counts(ds).items() if v})

    # ---- kernels vs reference -------------------------------------------------------------
    vals = np.ascontiguousarray(cube.values)
    dr, dc = disk_offsets(args.distance / args.cell)
    a = time.perf_counter()
    z = spacetime_gistar(vals, dr, dc, 1)
    b = time.perf_counter()
    zr = reference_gistar(vals, dr, dc, 1)
    c = time.perf_counter()
    print(f"Gi* kernel {b - a:.2f} s vs scipy.ndimage reference {c - b:.2f} s: "
          f"ratio {(c - b) / (b - a):.2f}x; max |dz| {np.nanmax(np.abs(z - zr)):.2e}")

    a = time.perf_counter()
    _, tz = mann_kendall_cube(z)
    b = time.perf_counter()
    rng = np.random.default_rng(1)
    cells = rng.choice(spec.size, size=min(args.sample, spec.size), replace=False)
    tt = np.arange(z.shape[0])
    c = time.perf_counter()
    taus = [kendalltau(tt, z[:, i // spec.nx, i % spec.nx])[0] for i in cells]
    d = time.perf_counter()
    ref_full = (d - c) / len(cells) * spec.size
    print(f"Mann-Kendall kernel {b - a:.2f} s vs scipy.stats.kendalltau "
          f"{ref_full:.1f} s (extrapolated from {len(cells)} cells): ratio {ref_full / (b - a):.1f}x; "
          f"sign agreement {np.mean(np.sign(taus) == np.sign(tz.ravel()[cells])):.3f}")


if __name__ == "__main__":
    main()

"""Benchmark: grid Gi* (analytic and 999 conditional permutations) against esda.G_Local.

Both sides include building the weights: ours the disk stencil (inside ``gistar_arrays``), esda's
``libpysal.weights.DistanceBand`` on the valid cell centres. Grids are Poisson counts with a
clustered hot area and ~10% masked cells, 100 m cells, a 300 m neighbourhood (29 cells).

- analytic Gi*: 100x100, 300x300, 1000x1000 (ours); esda on 100x100 and 300x300, and on
  1000x1000 only with ``--esda-1000`` (otherwise extrapolated linearly from 300x300 and marked);
- permutations: 999 on 300x300 (ours); esda with ``n_jobs=1`` at ``--esda-perms`` permutations
  (default 99), scaled linearly to 999 and marked as scaled; 999 on 1000x1000 (ours, once; esda
  extrapolated linearly in cells);
- the default exact Poisson test (:mod:`hotspot.hotspots.inference`) on 1000x1000.

First-call time (Numba compilation, or loading its on-disk cache) is reported separately.

Run: ``.venv/bin/python benchmarks/bench_gistar.py [--esda-1000] [--esda-perms 999]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

CELL, DIST = 100.0, 300.0


def grid(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.poisson(0.5, (n, n)).astype(float)
    r = np.hypot(*np.meshgrid(np.arange(n) - n / 3, np.arange(n) - n / 2))
    y += rng.poisson(4.0 * np.exp(-(r / (n / 15)) ** 2))
    y[rng.random((n, n)) < 0.1] = np.nan
    return y


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def esda_run(values: np.ndarray, permutations: int = 0, seed: int | None = None) -> float:
    import esda
    import libpysal

    n = values.shape[0]
    xs = CELL * (np.arange(n) + 0.5)
    xx, yy = np.meshgrid(xs, xs[::-1])
    valid = ~np.isnan(values)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.DistanceBand(np.column_stack([xx[valid], yy[valid]]), threshold=DIST,
                                          binary=True, silence_warnings=True)
        esda.G_Local(values[valid], w, star=True, transform="B", permutations=permutations, seed=seed,
                     n_jobs=1, keep_simulations=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--esda-1000", action="store_true", help="also run esda on 1000x1000 (minutes)")
    ap.add_argument("--esda-perms", type=int, default=99, help="esda permutations on 300x300 (scaled to 999)")
    args = ap.parse_args()

    from hotspot.hotspots.gistar import gistar_arrays

    small = grid(20)
    t = time.perf_counter()
    gistar_arrays(small, CELL, DIST)
    t_first_an = time.perf_counter() - t
    t = time.perf_counter()
    gistar_arrays(small, CELL, DIST, permutations=9, seed=0)
    t_first_perm = time.perf_counter() - t
    print(f"first call (Numba compile or cache load): analytic {t_first_an:.2f} s, "
          f"permutations {t_first_perm:.2f} s")

    print(f"\nanalytic Gi*, {CELL:g} m cells, {DIST:g} m binary band, ~10% masked")
    print(f"{'grid':>10} {'cells':>10} {'ours s':>9} {'esda s':>9} {'esda/ours':>10}")
    t300_esda = None
    for n in (100, 300, 1000):
        v = grid(n)
        ours = best(lambda v=v: gistar_arrays(v, CELL, DIST), repeat=3)
        note = ""
        if n < 1000 or args.esda_1000:
            ref = esda_run(v)
            if n == 300:
                t300_esda = ref
        else:
            ref = t300_esda * (n * n) / (300 * 300)
            note = "  (esda extrapolated linearly from 300x300)"
        print(f"{n:>4}x{n:<5} {n * n:>10,} {ours:>9.3f} {ref:>9.2f} {ref / ours:>9.0f}x{note}")

    v = grid(300)
    print("\n999 conditional permutations, 300x300")
    ours = best(lambda: gistar_arrays(v, CELL, DIST, permutations=999, seed=1), repeat=2)
    esda_run(grid(20), permutations=9, seed=1)  # compile esda's Numba kernel outside the timing
    k = args.esda_perms
    ref = esda_run(v, permutations=k, seed=1)
    analytic = esda_run(v)
    ref999 = analytic + (ref - analytic) * 999 / k
    scaled = "" if k == 999 else f"  (esda ran {k} permutations in {ref:.1f} s; permutation part scaled x{999 / k:.2f})"
    print(f"ours {ours:.2f} s   esda n_jobs=1 {ref999:.1f} s   esda/ours {ref999 / ours:.0f}x{scaled}")
    print("\nthe default inference (exact conditional Poisson test against a 3 km background disk, "
          "plus analytic z), 1000x1000")
    from hotspot.hotspots.inference import local_test

    big = grid(1000)
    t_exact = best(lambda: local_test(big, CELL, DIST), repeat=2)
    t_an = best(lambda: gistar_arrays(big, CELL, DIST), repeat=2)
    print(f"exact test {t_exact:.2f} s; analytic Gi* {t_an:.3f} s; exact/analytic {t_exact / t_an:.0f}x")
    print("\n999 conditional permutations, 1000x1000 (1,000,000 cells), once")
    t = time.perf_counter()
    gistar_arrays(big, CELL, DIST, permutations=999, seed=1)
    t_perm = time.perf_counter() - t
    ref_1m = ref999 * (1000 * 1000) / (300 * 300)
    print(f"ours {t_perm:.1f} s (goal < 60 s on 2 cores)   esda n_jobs=1 extrapolated {ref_1m:.0f} s   "
          f"esda/ours {ref_1m / t_perm:.0f}x")
    print("\ngoals: analytic 1,000,000 cells < 0.5 s; 999 permutations on 90,000 cells < 10 s, "
          "on 1,000,000 cells < 60 s")


if __name__ == "__main__":
    main()

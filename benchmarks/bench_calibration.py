"""Benchmark: calibration of the default hot spot inference (false hot share, power).

Prints, for homogeneous null worlds at several densities (20 x 20 km, 100 m cells, 300 m Gi*
neighbourhood) and an inhomogeneous null (two towns on a rural floor), the mean number of hot cells
per world, the share of worlds with any hot cell (the FDR of a complete null) and the share of
false hot cells among all cells, for the default exact test and for the analytic normal p-values
(ArcGIS/esda). Then the power to find planted clusters, the hot cells far from them, and the
emerging hot spot results on null and planted space-time cubes.

Run once: ``.venv/bin/python benchmarks/bench_calibration.py [--worlds 20]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from hotspot.grid.binning import count_points
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.emerging import emerging_hotspots
from hotspot.hotspots.gistar import gistar

X0, Y0, SIDE, CELL, DIST = 350_000.0, 160_000.0, 20_000.0, 100.0, 300.0


def grid(x, y):
    return count_points(x, y, GridSpec.from_bounds((X0, Y0, X0 + SIDE, Y0 + SIDE), CELL))


def uniform(rng, n):
    return rng.uniform(X0, X0 + SIDE, n), rng.uniform(Y0, Y0 + SIDE, n)


def population(rng, n):
    k = rng.multinomial(n, [0.55, 0.25, 0.20])
    x = np.concatenate([rng.normal(X0 + 7_000, 4_000, k[0]), rng.normal(X0 + 15_000, 2_500, k[1]),
                        rng.uniform(X0, X0 + SIDE, k[2])])
    y = np.concatenate([rng.normal(Y0 + 12_000, 4_000, k[0]), rng.normal(Y0 + 5_000, 2_500, k[1]),
                        rng.uniform(Y0, Y0 + SIDE, k[2])])
    ok = (x > X0) & (x < X0 + SIDE) & (y > Y0) & (y < Y0 + SIDE)
    return x[ok], y[ok]


def null_row(label, make, worlds):
    out = {}
    for inf in ("exact", "analytic"):
        hot = []
        for s in range(worlds):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = gistar(grid(*make(np.random.default_rng(s))), DIST, inference=inf,
                            fdr="bh_dependence" if inf == "exact" else "bh")
            hot.append(int((ds["gi_class"].values > 0).sum()))
        out[inf] = (np.mean(hot), np.mean(np.array(hot) > 0), np.mean(hot) / (SIDE / CELL) ** 2, max(hot))
    e, a = out["exact"], out["analytic"]
    print(f"{label:<28} {e[0]:>7.2f} {e[3]:>5} {e[1]:>7.2f} {e[2]:>9.1e}   {a[0]:>8.1f} {a[1]:>7.2f} {a[2]:>9.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=20)
    args = ap.parse_args()
    w = args.worlds
    t0 = time.perf_counter()
    print(f"null worlds ({w} each): hot cells per world (mean, max), share of worlds with any hot "
          "cell, false hot share of cells")
    print(f"{'world':<28} {'exact':>7} {'max':>5} {'P(any)':>7} {'share':>9}   {'analytic':>8} "
          f"{'P(any)':>7} {'share':>9}")
    for n in (300, 1_000, 5_000, 20_000):
        null_row(f"uniform {n:,} offences", lambda rng, n=n: uniform(rng, n), w)
    for n in (2_000, 20_000):
        null_row(f"population {n:,} offences", lambda rng, n=n: population(rng, n), w)
    print("(nominal: the 90% class is an FDR of 0.10; under a complete null FDR = P(any))")

    print("\nplanted clusters on 1,000 uniform offences (3 clusters per world): share found "
          "(hot cell within max(300 m, 2 sd)), max hot cells > 300 m beyond that")
    for size, sd in ((6, 50.0), (8, 50.0), (12, 100.0), (25, 150.0), (50, 300.0), (40, 500.0)):
        found = total = far_max = 0
        for s in range(w):
            rng = np.random.default_rng(500 + s)
            x, y = uniform(rng, 1_000)
            c = np.column_stack([rng.uniform(X0 + 2e3, X0 + SIDE - 2e3, 3), rng.uniform(Y0 + 2e3, Y0 + SIDE - 2e3, 3)])
            x = np.concatenate([x] + [rng.normal(cx, sd, size) for cx, _ in c])
            y = np.concatenate([y] + [rng.normal(cy, sd, size) for _, cy in c])
            ds = gistar(grid(x, y), DIST)
            hot = ds["gi_class"].values > 0
            xx, yy = np.meshgrid(ds["x"].values, ds["y"].values)
            near = max(300.0, 2 * sd)
            d = [np.hypot(xx - a, yy - b) for a, b in c]
            found += sum(bool((hot & (di <= near)).any()) for di in d)
            total += 3
            far_max = max(far_max, int((hot & (np.min(d, axis=0) > near + DIST)).sum()))
        print(f"  {size:>3} offences, sd {sd:>4.0f} m: power {found / total:.2f}   far hot cells max {far_max}")

    print("\nemerging hot spots, 80 x 80 cells of 250 m, 30 weekly steps, 500 m neighbourhood")
    nt, ng = 30, 80

    def cube(v):
        return xr.DataArray(v, dims=("time", "y", "x"), coords={
            "time": pd.date_range("2024-01-01", periods=nt, freq="W-MON"),
            "y": 2e5 - (np.arange(ng) + 0.5) * 250, "x": 3e5 + (np.arange(ng) + 0.5) * 250},
            attrs={"cell": 250.0, "crs": "EPSG:27700"})

    for n in (1_000, 6_000, 30_000):
        cats, new = [], {6: 0, 12: 0, 20: 0}
        for s in range(max(3, w // 4)):
            rng = np.random.default_rng(900 + s)
            v = np.zeros((nt, ng, ng))
            np.add.at(v, (rng.integers(0, nt, n), rng.integers(0, ng, n), rng.integers(0, ng, n)), 1.0)
            ds = emerging_hotspots(cube(v), 500.0)
            cats.append(int((ds["category"].values != "no pattern detected").sum()))
            for amp in new:
                v2 = v.copy()
                v2[-1, 40, 40] += amp // 2
                v2[-1, 41, 40] += amp - amp // 2
                new[amp] += str(emerging_hotspots(cube(v2), 500.0)["category"].values[40, 40]) == "new hot spot"
        k = max(3, w // 4)
        print(f"  {n:>6,} offences: null cube cells in a category max {max(cats)}; planted final-step "
              "hot spot called 'new': " + ", ".join(f"{a} offences {c}/{k}" for a, c in new.items()))
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: exact grid KDE (hotspot.hotspots.kde) against scikit-learn, SciPy and KDEpy.

Grid: 1000 x 800 cells of 100 m (800,000 cells, 100 km x 80 km), bandwidth 250 m, clustered
synthetic points (200 Gaussian clusters, sd 800 m) kept 2 km inside the grid so KDEpy accepts
them. For each of 20,000 / 200,000 / 2,000,000 points it prints:

* ours, quartic (the default) and Gaussian (truncated at 3 and at 5 bandwidths), best of 3;
  the first call in the process (Numba compilation into a fresh cache dir) is timed separately;
* scikit-learn ``KernelDensity(kernel="gaussian").score_samples`` on the cell centres and SciPy
  ``gaussian_kde`` (covariance set to h^2 I): both are O(points x cells), so they run on a random
  subset of points and cells and the time is scaled linearly to the full problem (stated);
* KDEpy ``FFTKDE`` (Gaussian, and biweight = quartic with the same 250 m radius) evaluated on
  the same 1000 x 800 cell centres (an equidistant, sorted grid as KDEpy requires; linear binning
  + FFT convolution, so its error includes the binning approximation);

with the ratio of their time to ours (same kernel; Gaussian truncated at 3 for ours) and the max
abs difference from the exact answer (a direct NumPy sum over every point at 200 random cell
centres; per km2). Run: ``python benchmarks/bench_kde.py [--sizes 20000,200000]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time

# a fresh Numba cache so the first call really includes compilation
os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="bench_kde_numba_"))

import numpy as np  # noqa: E402

from hotspot.grid.spec import GridSpec  # noqa: E402
from hotspot.hotspots.kde import kde  # noqa: E402

H = 250.0
GRID = GridSpec(x0=300_000, y0=100_000, cell=100, nx=1000, ny=800)


def points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lo = np.array([GRID.x0 + 5_000, GRID.y0 + 5_000])
    hi = np.array([GRID.x1 - 5_000, GRID.y1 - 5_000])
    centres = rng.uniform(lo, hi, (200, 2))
    k = rng.integers(0, 200, n)
    xy = centres[k] + rng.normal(0, 800, (n, 2))
    xy = np.clip(xy, [GRID.x0 + 2_000, GRID.y0 + 2_000], [GRID.x1 - 2_000, GRID.y1 - 2_000])
    return xy[:, 0].copy(), xy[:, 1].copy()


def exact(x, y, cx, cy, kernel: str, w: float = 1.0) -> np.ndarray:
    """Direct sum over every point at the given cell centres, per km2 (Gaussian untruncated)."""
    out = np.empty(cx.size)
    for i in range(cx.size):
        u2 = ((x - cx[i]) ** 2 + (y - cy[i]) ** 2) / (H * H)
        if kernel == "quartic":
            v = np.where(u2 < 1, 3 / math.pi * (1 - u2) ** 2, 0.0)
        else:
            v = np.exp(-0.5 * u2) / (2 * math.pi)
        out[i] = w * v.sum() / (H * H) * 1e6
    return out


def best(f, repeat=3):
    ts, r = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        r = f()
        ts.append(time.perf_counter() - t)
    return min(ts), r


def sample_cells(m, seed=1):
    rng = np.random.default_rng(seed)
    # uniformly random cells (rows, columns) of the grid
    ii = rng.integers(0, GRID.ny, m)
    jj = rng.integers(0, GRID.nx, m)
    return ii, jj


def run(n: int, first: bool) -> None:
    x, y = points(n)
    ii, jj = sample_cells(200)
    cx, cy = GRID.x[jj], GRID.y[ii]
    print(f"\n=== {n:,} points, grid {GRID.nx} x {GRID.ny} ({GRID.size:,} cells) of {GRID.cell:g} m, h = {H:g} m")
    if first:
        for kern in ("quartic", "gaussian"):
            t = time.perf_counter()
            kde(x[:1000], y[:1000], GRID, bandwidth=H, kernel=kern)
            print(f"  ours first call (Numba compile, {kern}):        {time.perf_counter() - t:8.3f} s")
    ex_q = exact(x, y, cx, cy, "quartic")
    ex_g = exact(x, y, cx, cy, "gaussian")
    t_q, d_q = best(lambda: kde(x, y, GRID, bandwidth=H, kernel="quartic"))
    print(f"  ours quartic (exact):                         {t_q:8.3f} s   max|diff| {np.abs(d_q.values[ii, jj] - ex_q).max():.2e} "
          f"(max value {ex_q.max():.3g} /km2)")
    t_g, d_g = best(lambda: kde(x, y, GRID, bandwidth=H, kernel="gaussian", truncate=3.0))
    print(f"  ours gaussian truncate 3:                     {t_g:8.3f} s   max|diff| {np.abs(d_g.values[ii, jj] - ex_g).max():.2e} "
          f"(max value {ex_g.max():.3g} /km2)")
    t_g5, d_g5 = best(lambda: kde(x, y, GRID, bandwidth=H, kernel="gaussian", truncate=5.0))
    print(f"  ours gaussian truncate 5:                     {t_g5:8.3f} s   max|diff| {np.abs(d_g5.values[ii, jj] - ex_g).max():.2e}")

    # KDEpy FFTKDE on the same cell centres (sorted: x slowest, then y ascending)
    try:
        from KDEpy import FFTKDE

        ys = GRID.y[::-1]
        gx, gy = np.meshgrid(GRID.x, ys, indexing="ij")
        grid_pts = np.column_stack([gx.ravel(), gy.ravel()])
        data = np.column_stack([x, y])

        from KDEpy.kernel_funcs import _kernel_functions

        def _kdepy(kernel, bw):
            v = FFTKDE(kernel=kernel, bw=bw).fit(data).evaluate(grid_pts)
            return v.reshape(GRID.nx, GRID.ny).T[::-1] * n * 1e6

        t_k, d_k = best(lambda: _kdepy("gaussian", H))
        print(f"  KDEpy FFTKDE gaussian (binned + FFT):         {t_k:8.3f} s   max|diff| {np.abs(d_k[ii, jj] - ex_g).max():.2e}"
              f"   time ratio KDEpy/ours(gaussian t3) {t_k / t_g:6.2f}")
        # KDEpy's biweight is the quartic; its bw is a scale with support radius = support * bw
        bw_q = H / _kernel_functions["biweight"].support
        t_kq, d_kq = best(lambda: _kdepy("biweight", bw_q))
        print(f"  KDEpy FFTKDE biweight (= quartic, radius {H:g}): {t_kq:8.3f} s   max|diff| {np.abs(d_kq[ii, jj] - ex_q).max():.2e}"
              f"   time ratio KDEpy/ours(quartic) {t_kq / t_q:6.2f}")
    except Exception as exc:  # pragma: no cover - report and continue
        print(f"  KDEpy FFTKDE failed: {exc}")

    # scikit-learn KernelDensity (tree, exact tolerance) on subsets
    from sklearn.neighbors import KernelDensity

    rng = np.random.default_rng(2)
    n_sub = min(n, 20_000)
    m_sub = 200
    sel = rng.choice(n, n_sub, replace=False) if n_sub < n else np.arange(n)
    xs, ys_ = x[sel], y[sel]
    ex_sub = exact(xs, ys_, cx[:m_sub], cy[:m_sub], "gaussian")
    t0 = time.perf_counter()
    kd = KernelDensity(kernel="gaussian", bandwidth=H).fit(np.column_stack([xs, ys_]))
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    s = kd.score_samples(np.column_stack([cx[:m_sub], cy[:m_sub]]))
    t_q_sk = time.perf_counter() - t0
    v = np.exp(s) * n_sub * 1e6
    scaled = t_fit * (n / n_sub) + t_q_sk * (GRID.size / m_sub) * (n / n_sub)
    print(f"  sklearn KernelDensity gaussian (scaled*):     {scaled:8.1f} s   max|diff| {np.abs(v - ex_sub).max():.2e}"
          f"   time ratio sklearn/ours {scaled / t_g:8.0f}")
    print(f"    * measured on {n_sub:,} points x {m_sub} cells (fit {t_fit:.3f} s, score {t_q_sk:.3f} s), "
          f"scaled linearly to {n:,} points x {GRID.size:,} cells")

    # SciPy gaussian_kde with an isotropic covariance h^2 I
    from scipy.stats import gaussian_kde

    class IsoKDE(gaussian_kde):
        def _compute_covariance(self):
            self.factor = 1.0
            self.covariance = np.eye(2) * H * H
            self.cho_cov = np.eye(2) * H
            self.log_det = 2 * np.log(np.diag(self.cho_cov * np.sqrt(2 * np.pi))).sum()

    m_sc = 2000
    ii2, jj2 = sample_cells(m_sc, seed=3)
    cx2, cy2 = GRID.x[jj2], GRID.y[ii2]
    gk = IsoKDE(np.vstack([xs, ys_]))
    t0 = time.perf_counter()
    v2 = gk(np.vstack([cx2, cy2])) * n_sub * 1e6
    t_sc = time.perf_counter() - t0
    ex2 = exact(xs, ys_, cx2[:200], cy2[:200], "gaussian")
    scaled2 = t_sc * (GRID.size / m_sc) * (n / n_sub)
    print(f"  SciPy gaussian_kde isotropic (scaled*):       {scaled2:8.1f} s   max|diff| {np.abs(v2[:200] - ex2).max():.2e}"
          f"   time ratio scipy/ours {scaled2 / t_g:8.0f}")
    print(f"    * measured on {n_sub:,} points x {m_sc} cells ({t_sc:.3f} s), scaled linearly")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="20000,200000,2000000", help="comma-separated point counts")
    a = p.parse_args(argv)
    import numba

    print(f"numba threads {numba.get_num_threads()}, cpus {os.cpu_count()}, cache {os.environ['NUMBA_CACHE_DIR']}")
    for i, n in enumerate(int(s) for s in a.sizes.split(",")):
        run(n, first=(i == 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())

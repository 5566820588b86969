"""A synthetic world whose micro hot spots DRIFT: each has its own life course.

A smooth static background (a few broad Gaussian bumps over a floor, ~60% of events) plus ~40
micro hot spots (Gaussian, sd 100-200 m), each with a birth date, a lifetime (3-18 months), a
gamma-shaped intensity that ramps up and decays, and (for about half) a centre that random-walks a
few hundred metres over its life. About 7% of events are then re-placed as near repeats: within
~50 m and 0.5-5 days after a randomly chosen earlier event. Weekly seasonality.

The frame has exactly the columns and dtypes of :func:`synthworld.synthetic_offences`. The world
keeps its true intensity, so :meth:`DriftWorld.expected` gives the expected count per cell over a
horizon (background + hot spots; the near-repeat relocation is not modelled in it, so it is an
oracle of the generating intensity, not of the conditional self-exciting part).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import gamma as gamma_dist
from synthworld import CELL, X0, Y0, offences_frame

DOW = np.array([0.85, 0.8, 0.85, 0.9, 1.15, 1.35, 1.1])


@dataclass
class DriftWorld:
    days: pd.DatetimeIndex
    nx: int
    ny: int
    bg_w: np.ndarray          # (nx*ny,) background cell weights, sum 1, order x-major (ix*ny + iy)
    bg_rate: np.ndarray       # (D,) expected background events per day
    hs_rate: np.ndarray       # (H, D) expected events per day of each hot spot
    hs_centre: np.ndarray     # (H, D, 2) centre of each hot spot per day (metres)
    hs_sd: np.ndarray         # (H,)
    offences: pd.DataFrame

    def expected(self, origin, horizon: int, units) -> np.ndarray:
        """True expected count per unit (ids ``"<x0>_<y0>"``) on days ``[origin, origin + horizon)``."""
        o = pd.Timestamp(origin)
        d = np.nonzero((self.days >= o) & (self.days < o + pd.Timedelta(days=horizon)))[0]
        lam = self.bg_rate[d].sum() * self.bg_w.reshape(self.nx, self.ny)
        ex = X0 + np.arange(self.nx + 1) * CELL
        ey = Y0 + np.arange(self.ny + 1) * CELL
        for h in range(self.hs_rate.shape[0]):
            for k in d:
                r = self.hs_rate[h, k]
                if r <= 0:
                    continue
                cx, cy = self.hs_centre[h, k]
                px = np.diff(ndtr((ex - cx) / self.hs_sd[h]))
                py = np.diff(ndtr((ey - cy) / self.hs_sd[h]))
                lam = lam + r * np.outer(px, py)
        ids = [f"{X0 + a * CELL:.0f}_{Y0 + b * CELL:.0f}" for a in range(self.nx) for b in range(self.ny)]
        return pd.Series(lam.ravel(), index=ids).reindex(pd.Index(units), fill_value=0.0).to_numpy()


def drift_world(*, nx: int = 120, ny: int = 100, start: str = "2021-01-01", end: str = "2023-12-31",
                total: float = 60_000.0, n_hotspots: int = 40, hotspot_share: float = 0.4,
                repeat_share: float = 0.07, seed: int = 0) -> DriftWorld:
    """Draw a drifting-hot-spot world (default 30 x 25 km of 250 m cells, 3 years, ~60,000 events)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    D = len(days)
    dow = DOW[days.dayofweek.to_numpy()]
    W, Hh = nx * CELL, ny * CELL
    # background: broad bumps (sd 2-5 km) over a floor, piecewise constant on cells
    gx, gy = np.meshgrid(X0 + (np.arange(nx) + 0.5) * CELL, Y0 + (np.arange(ny) + 0.5) * CELL, indexing="ij")
    bg = np.full(gx.shape, 0.2)
    for _ in range(6):
        cx, cy = X0 + rng.uniform(0.1, 0.9) * W, Y0 + rng.uniform(0.1, 0.9) * Hh
        s = rng.uniform(2000, 5000)
        bg += rng.uniform(0.5, 2.0) * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * s * s))
    bg_w = (bg / bg.sum()).ravel()
    bg_rate = (1 - hotspot_share) * total * dow / dow.sum()
    # hot spots: birth, lifetime, gamma-shaped intensity, drifting centre
    H = n_hotspots
    birth = rng.integers(-180, D - 60, H)
    life = rng.integers(90, 548, H)
    shape = rng.uniform(2.0, 4.0, H)
    peak = rng.gamma(2.0, 1.0, H)          # relative intensities
    sd = rng.uniform(100, 200, H)
    hs_rate = np.zeros((H, D))
    hs_centre = np.zeros((H, D, 2))
    t = np.arange(D)
    for h in range(H):
        age = t - birth[h]
        alive = (age >= 0) & (age < life[h])
        # gamma pdf over the life: support [0, life), most mass inside it
        scale = life[h] / (shape[h] + 3 * np.sqrt(shape[h]))
        prof = np.where(alive, gamma_dist.pdf(age, shape[h], scale=scale), 0.0)
        hs_rate[h] = peak[h] * prof / max(prof.max(), 1e-12)
        c0 = np.array([X0 + rng.uniform(0.05, 0.95) * W, Y0 + rng.uniform(0.05, 0.95) * Hh])
        step = (rng.uniform(150, 500) / np.sqrt(life[h])) if rng.random() < 0.5 else 0.0
        walk = np.cumsum(rng.normal(0, step, (D, 2)), axis=0) if step else np.zeros((D, 2))
        walk -= walk[np.clip(birth[h], 0, D - 1)]
        hs_centre[h] = c0 + walk
    hs_rate *= dow[None, :]
    hs_rate *= hotspot_share * total / hs_rate.sum()
    # draw events
    nb = rng.poisson(bg_rate)
    d_bg = np.repeat(t, nb)
    c_bg = rng.choice(nx * ny, d_bg.size, p=bg_w)
    e_bg = X0 + (c_bg // ny) * CELL + rng.uniform(0, CELL, d_bg.size)
    n_bg = Y0 + (c_bg % ny) * CELL + rng.uniform(0, CELL, d_bg.size)
    nh = rng.poisson(hs_rate)                              # (H, D)
    hi, di = np.nonzero(nh)
    reps = nh[hi, di]
    hi, di = np.repeat(hi, reps), np.repeat(di, reps)
    e_h = hs_centre[hi, di, 0] + rng.normal(0, 1, hi.size) * sd[hi]
    n_h = hs_centre[hi, di, 1] + rng.normal(0, 1, hi.size) * sd[hi]
    d_all = np.concatenate([d_bg, di]).astype(float) + rng.uniform(0, 1, d_bg.size + di.size)
    e = np.concatenate([e_bg, e_h])
    nth = np.concatenate([n_bg, n_h])
    n = e.size
    # near repeats: re-place a share of events close to (and just after) a random earlier event
    order = np.argsort(d_all)
    d_all, e, nth = d_all[order], e[order], nth[order]
    rep = np.nonzero(rng.random(n) < repeat_share)[0]
    rep = rep[rep > 0]
    parent = (rng.random(rep.size) * rep).astype(int)      # an event earlier in time order
    d_all[rep] = np.minimum(d_all[parent] + rng.uniform(0.5, 5.0, rep.size), D - 1e-6)
    e[rep] = e[parent] + rng.normal(0, 30, rep.size)
    nth[rep] = nth[parent] + rng.normal(0, 30, rep.size)
    e = np.clip(e, X0 + 1, X0 + W - 1)
    nth = np.clip(nth, Y0 + 1, Y0 + Hh - 1)
    order = np.argsort(d_all)
    d_all, e, nth = d_all[order], e[order], nth[order]
    tt = days[0] + pd.to_timedelta(np.round(d_all * 1440), "min")
    cx, cy = ((e - X0) // CELL).astype(int), ((nth - Y0) // CELL).astype(int)
    df = offences_frame(tt, e, nth, cx, cy, rng)
    return DriftWorld(days=days, nx=nx, ny=ny, bg_w=bg_w, bg_rate=bg_rate, hs_rate=hs_rate,
                      hs_centre=hs_centre, hs_sd=sd, offences=df)

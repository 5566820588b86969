"""The forecasting models on a world whose micro hot spots DRIFT (own life courses, near repeats),
against plain counting and against an oracle that knows the true intensity.

World: tests/forecast/drift_world.py (30 x 25 km of 250 m cells, 3 years, ~60,000 events, 60%
smooth background, 40 micro hot spots with birth / gamma-shaped life / drifting centres, ~7% near
repeats). Scored by :func:`hotspot.forecast.backtest.rolling_origin` (serious violence, every cell,
7-day horizon, the last ``--folds`` weekly origins), default models, no tuning. The oracle is the
world's expected count per cell over each horizon (background + each hot spot's Gaussian
integrated over the cell and the horizon days), passed as an estimator so it is scored by exactly
the same code.

Run: ``.venv/bin/python benchmarks/bench_forecast_drift.py [--seeds 1,2] [--folds 12]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("gbm", "counting", "counting_kde", "kde_exp", "last4", "kde", "prospective", "sepp")
KEYS = ("0.5", "1", "5")


class Oracle:
    """Expected counts of the generating intensity (knows the future; the ceiling)."""

    def __init__(self, world):
        self.world = world

    def fit(self, panel, until=None):
        self.units = panel.units
        return self

    def predict(self, origin, horizon):
        return self.world.expected(origin, horizon, self.units)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--folds", type=int, default=12)
    a = ap.parse_args()

    sys.path.insert(0, str(ROOT / "tests" / "forecast"))
    from drift_world import drift_world
    from synthworld import world_universe

    from hotspot.forecast.backtest import rolling_origin

    t_all = time.perf_counter()
    for seed in (int(s) for s in a.seeds.split(",")):
        t0 = time.perf_counter()
        world = drift_world(seed=seed)
        off = world.offences
        universe = world_universe("cell", nx=world.nx, ny=world.ny)
        res = rolling_origin(off, universe, folds=a.folds, horizon=7, models=(Oracle(world), *MODELS))
        s = res.summary["models"]
        s = {("oracle" if k == "Oracle" else k): v for k, v in s.items()}
        meta = res.summary["meta"]
        print(f"\nworld seed {seed}: {len(off):,} offences ({int(off.serious_violence.sum()):,} serious), "
              f"{meta['n_units']:,} cells, {a.folds} origins {meta['first_origin']} .. {meta['last_origin']}, "
              f"{time.perf_counter() - t0:.0f} s")
        print(f"  {'model':<14}" + "".join(f"{'PAI' + k + '%':>14}" for k in KEYS) + f"{'PEI*5%':>8}"
              + "".join(f"{'/cnt ' + k + '%':>10}" for k in KEYS))
        base = {k: s["counting"]["pai"][k]["mean"] for k in KEYS}
        for name in ("oracle", *MODELS):
            d = s[name]
            cells = [f"{d['pai'][k]['mean']:6.2f} ({d['pai'][k]['ci_high'] - d['pai'][k]['mean']:4.2f})"
                     for k in KEYS]
            print(f"  {name:<14}" + "".join(f"{c:>14}" for c in cells) + f"{d['pei']['5']['mean']:>8.3f}"
                  + "".join(f"{d['pai'][k]['mean'] / base[k]:>10.3f}" for k in KEYS))
        piv = res.folds.pivot(index="origin", columns="model", values="pai_1")
        dd = piv["gbm"] - piv["counting"]
        print(f"  gbm - counting at PAI 1%: mean {dd.mean():+.2f}, ahead {int((dd > 0).sum())}, "
              f"behind {int((dd < 0).sum())} of {len(dd)}; blends "
              f"{res.folds[res.folds.model == 'gbm']['blend'].value_counts().to_dict()}")
    print(f"\nwall {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()

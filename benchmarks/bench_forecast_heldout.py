"""A candidate change to the learned model judged on the scored world AND on held-out generator
worlds: the all-history quartic KDE with its bandwidth chosen by temporal cross-validation inside
the training window (``counting_kde``), alone and as an extra blend peer of the boosting.

Worlds: the embedded data (26 weekly origins, as in the README backtest) and fresh draws of the
generator with other seeds and volumes (geography rebuilt from the seed, offences at ``scale``
times the embedded volume; the last ``--heldout-folds`` weekly origins), never used for any
choice. Every world: serious violence, every 250 m cell of the force polygon, 7-day horizon, the
scorer of :mod:`hotspot.forecast.metrics`. ``gbm_before`` is the learned model with the blend peers
it had before (plain counting and the exponential-time KDE); ``gbm`` is the SAME fitted booster
with the default peers (``counting_kde`` added; the blend is re-chosen on the same held-out weeks),
so the comparison isolates the change. The default was changed because ``gbm`` led
``gbm_before`` at PAI 1% and 5% on the embedded world and on both held-out worlds.

Run: ``.venv/bin/python benchmarks/bench_forecast_heldout.py [--worlds embedded,7:0.6,11:1.4]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = ("counting", "kde_exp")  # the blend peers before counting_kde was added


def _world(spec: str):
    import numpy as np

    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.universe import Universe, study_universe
    from hotspot.synth import offences as O
    from hotspot.synth.world import build_world

    if spec == "embedded":
        areas = embedded_areas()
        off = load_offences([ROOT / "data" / "offences_extract.csv.gz"], areas=areas).offences
        return off, study_universe(areas, "cell", 250.0)
    seed, scale = spec.split(":")
    rng = np.random.default_rng(int(seed))
    world = build_world(rng)
    ev = O.generate_offences(world, rng, scale=float(scale))
    off = ev[["occurred_at", "easting", "northing"]].assign(serious_violence=ev["sv_flag"].to_numpy())
    return off, Universe.from_polygon(world.force, 250.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", default="embedded,7:0.6,11:1.4",
                    help="'embedded' and/or seed:scale of generator worlds")
    ap.add_argument("--folds", type=int, default=26, help="origins on the embedded world")
    ap.add_argument("--heldout-folds", type=int, default=10, help="origins on each generated world")
    a = ap.parse_args()

    import pandas as pd

    from hotspot.forecast.backtest import _ci
    from hotspot.forecast.baselines import make
    from hotspot.forecast.features import build_panel
    from hotspot.forecast.metrics import all_scores
    from hotspot.forecast.models import PoissonGBM

    t_all = time.perf_counter()
    for spec in a.worlds.split(","):
        t0 = time.perf_counter()
        off, universe = _world(spec)
        panel = build_panel(off, universe)
        folds = a.folds if spec == "embedded" else a.heldout_folds
        last = panel.end - pd.Timedelta(days=7)
        origins = [last - pd.Timedelta(weeks=k) for k in range(folds)][::-1]
        rows = []
        bw = []
        for o in origins:
            y = panel.target(o, 7)
            preds = {n: make(n).fit(panel).predict(o, 7) for n in ("counting", "kde_exp")}
            ck = make("counting_kde").fit(panel)
            preds["counting_kde"] = ck.predict(o, 7)
            bw.append(ck.bandwidth_)
            m = PoissonGBM(horizon=7, intervals="negbin", seed=0, train_weeks=52,
                           blend_peers=BEFORE).fit(panel, until=o)
            preds["gbm_before"] = m.predict(o, 7)
            blend_a = f"{m.blend_['peer']}@{m.blend_['weight']:g}"
            calib = [pd.Timestamp(c) for c in m.calibration_["held_out_origins"]]
            m.blend_peers = PoissonGBM().blend_peers
            m.alpha_, m.calibration_ = m._held_out_alpha(panel, calib, None)
            preds["gbm"] = m.predict(o, 7)
            blend_b = f"{m.blend_['peer']}@{m.blend_['weight']:g}"
            for n, f in preds.items():
                sc = all_scores(f, y, area=panel.area, total_area=panel.total_area_m2)
                rows.append({"origin": o, "model": n, **sc,
                             "blend": blend_a if n == "gbm_before" else blend_b if n == "gbm" else ""})
        t = pd.DataFrame(rows)
        print(f"\nworld {spec}: {int(panel.cum[-1].sum()):,} serious-violence offences, {len(universe):,} cells, "
              f"{folds} origins {origins[0].date()} .. {origins[-1].date()} ({time.perf_counter() - t0:.0f} s); "
              f"counting_kde bandwidths chosen: {pd.Series(bw).value_counts().sort_index().to_dict()}")
        print(f"  {'model':<14}" + "".join(f"{'PAI' + k + '%':>16}" for k in ("0.5", "1", "5", "10"))
              + f"{'PEI*5%':>8}")
        for n, g in t.groupby("model", sort=False):
            cells = []
            for k in ("0.5", "1", "5", "10"):
                c = _ci(g[f"pai_{k}"].to_numpy())
                cells.append(f"{c['mean']:7.2f} ({c['ci_high'] - c['mean']:4.2f})")
            print(f"  {n:<14}" + "".join(f"{s:>16}" for s in cells) + f"{g['pei_5'].mean():>8.3f}")
        piv = {k: t.pivot(index="origin", columns="model", values=f"pai_{k}") for k in ("1", "5")}
        for k, p in piv.items():
            d = p["gbm"] - p["gbm_before"]
            print(f"  gbm - gbm_before at {k}%: mean {d.mean():+.3f}, ahead {int((d > 0).sum())}, "
                  f"level {int((d == 0).sum())}, behind {int((d < 0).sum())} of {len(d)}; "
                  f"blends chosen {t[t.model == 'gbm']['blend'].value_counts().to_dict()}")
    print(f"\nwall {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()

"""Ceiling of the forecasting backtest on the embedded world: the generator's own intensity,
scored like every model.

The embedded data set is drawn from a known intensity (:mod:`hotspot.synth.offences`). This
benchmark rebuilds the generator's world from its seed, writes that intensity down per 250 m cell
(``tests/forecast/synth_oracle.py``: exact expectations, not Monte Carlo) and scores two oracle
forecasts in the same 26-fold rolling-origin backtest as the learned model and its peers (serious
violence, every cell of the force polygon, 7-day horizon, the scorer of
:mod:`hotspot.forecast.metrics`):

- ``oracle``: the true expected count per cell over the horizon, unconditional on the past;
- ``oracle_static``: the whole period's average spatial density (no restriction regimes, season
  or weekday mix of the components): what the timing is worth;
- ``oracle+NR``: the true intensity plus the near repeats that the offences before the origin imply (7% of
  events are re-placed within ~40 m and ~3 days of an earlier one).

PAI on the realised counts carries the week's Poisson noise; so the benchmark also scores every
ranking against the oracle+NR intensity itself ("expected PAI": expected hits in the selected cells
over all expected offences, divided by the area share), which is noise-free and is the quantity no
forecast can beat in expectation. Prints per model the mean (95% CI over origins) of PAI at 0.25,
0.5, 1, 5, 10% and PEI* at 1 and 5%, then the ratios oracle / best peer and model / best peer.

Run: ``.venv/bin/python benchmarks/bench_forecast_ceiling.py [--folds 26] [--models gbm,counting]
[--world embedded | 7:0.6] [--out models/forecast_ceiling.json]``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ("last4", "seasonal_naive", "kde", "prospective", "counting", "kde_exp", "sepp")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=26)
    ap.add_argument("--models", default="gbm,counting_kde," + ",".join(PEERS),
                    help="comma-separated: gbm and baselines of hotspot.forecast.baselines (all but "
                         "counting_kde, the model's own all-history KDE, count as peers)")
    ap.add_argument("--world", default="embedded",
                    help="'embedded' (the data set) or seed:scale, a fresh generator world never used "
                         "for any choice (e.g. 7:0.6)")
    ap.add_argument("--out", default=None, help="write per-fold scores and the summary as JSON")
    a = ap.parse_args()

    import numpy as np
    import pandas as pd

    from hotspot.forecast.backtest import _ci, _make_model
    from hotspot.forecast.features import build_panel
    from hotspot.forecast.metrics import AREA_PERCENTS, all_scores, hotspot_scores, pct_key
    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences
    from hotspot.grid.universe import Universe, study_universe
    from hotspot.synth import SEED
    from hotspot.synth import offences as O
    from hotspot.synth.world import build_world

    sys.path.insert(0, str(ROOT))
    from tests.forecast.synth_oracle import (
        Oracle,
        OracleNearRepeat,
        OracleStatic,
        SynthIntensity,
        near_repeat_share_of_horizon,
    )

    t0 = time.perf_counter()
    if a.world == "embedded":
        data = ROOT / "data" / "offences_extract.csv.gz"
        areas = embedded_areas()
        off = load_offences([data], areas=areas).offences
        universe = study_universe(areas, "cell", 250.0)
        world = build_world(np.random.default_rng(SEED))  # the generator's first draws: its geography
        if abs(world.force.geometry.iat[0].area - universe.total_area_m2) > 1.0:
            raise SystemExit("the rebuilt world's force outline differs from data/boundaries.gpkg: "
                             "regenerate the data (python -m hotspot.synth --out data)")
        targets = None
    else:  # a fresh generator world: geography from the seed, offences at scale x the volume
        seed, scale = a.world.split(":")
        rng = np.random.default_rng(int(seed))
        world = build_world(rng)
        ev = O.generate_offences(world, rng, scale=float(scale))
        off = ev[["occurred_at", "easting", "northing"]].assign(serious_violence=ev["sv_flag"].to_numpy())
        universe = Universe.from_polygon(world.force, 250.0)
        targets = {y: int(round(v * float(scale))) for y, v in O.SV_TARGETS.items()}
    panel = build_panel(off, universe)
    sv = off[off["serious_violence"].astype(bool)]
    intensity = SynthIntensity.build(world, universe, targets)
    t_setup = time.perf_counter() - t0
    print(f"setup (load {len(sv):,} serious-violence offences, rebuild the world, exact intensity on "
          f"{len(universe):,} cells): {t_setup:.1f} s")

    last = panel.end - pd.Timedelta(days=7)
    origins = [last - pd.Timedelta(weeks=k) for k in range(a.folds)][::-1]
    names = [m for m in a.models.split(",") if m]
    models = {n: (lambda n=n: _make_model(n, 7, 0, 52)) for n in names}
    models["oracle"] = lambda: Oracle(intensity)
    models["oracle_static"] = lambda: OracleStatic(intensity)
    models["oracle+NR"] = lambda: OracleNearRepeat(intensity, sv)
    shares = tuple(p / 100 for p in AREA_PERCENTS)
    rows = []
    t_model = {n: 0.0 for n in models}
    calib = []
    nr_share = []
    for o in origins:
        y = panel.target(o, 7)
        preds = {}
        for n, make in models.items():
            t = time.perf_counter()
            preds[n] = np.asarray(make().fit(panel, until=o).predict(o, 7), float)
            t_model[n] += time.perf_counter() - t
        lam = preds["oracle+NR"]
        calib.append((float(y.sum()), float(lam.sum())))
        nr_share.append(near_repeat_share_of_horizon(intensity, o, 7))
        for n, f in preds.items():
            sc = all_scores(f, y, area=panel.area, total_area=panel.total_area_m2)
            ex = hotspot_scores(f, lam, area=panel.area, total_area=panel.total_area_m2, shares=shares)
            rows.append({"origin": str(o.date()), "model": n, **sc,
                         **{f"epai_{pct_key(p)}": ex["pai"][p / 100] for p in AREA_PERCENTS}})
    table = pd.DataFrame(rows)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    obs, exp = np.array(calib).T
    print(f"{a.folds} weekly origins {origins[0].date()} .. {origins[-1].date()}, 7-day horizon; "
          f"observed / oracle expected offences per week {obs.mean():.1f} / {exp.mean():.1f} "
          f"(ratio {obs.sum() / exp.sum():.3f}); near repeats of parents before the origin are "
          f"{100 * np.mean(nr_share):.1f}% of the horizon's expected offences")
    keys = [pct_key(p) for p in AREA_PERCENTS]
    summary: dict = {}
    for n, g in table.groupby("model", sort=False):
        summary[n] = {"pai": {k: _ci(g[f"pai_{k}"].to_numpy()) for k in keys},
                      "pei": {k: _ci(g[f"pei_{k}"].to_numpy()) for k in keys},
                      "expected_pai": {k: _ci(g[f"epai_{k}"].to_numpy()) for k in keys},
                      "seconds": round(t_model[n], 2)}
    print(f"\n{'model':<16}" + "".join(f"{'PAI' + k + '%':>9}" for k in keys)
          + f"{'PEI*1%':>8}{'PEI*5%':>8}" + "".join(f"{'ePAI' + k + '%':>10}" for k in ("1", "5"))
          + f"{'s':>7}")
    for n, d in summary.items():
        print(f"{n:<16}" + "".join(f"{d['pai'][k]['mean']:>9.2f}" for k in keys)
              + f"{d['pei']['1']['mean']:>8.3f}{d['pei']['5']['mean']:>8.3f}"
              + "".join(f"{d['expected_pai'][k]['mean']:>10.2f}" for k in ("1", "5"))
              + f"{d['seconds']:>7.1f}")
    ours = ("oracle", "oracle_static", "oracle+NR", "gbm", "counting_kde")  # counting_kde: one of the model's blend peers
    peers = [n for n in names if n not in ours]
    ratios: dict = {}
    for k in keys:
        best = max(peers, key=lambda n: summary[n]["pai"][k]["mean"]) if peers else None
        if best is None:
            continue
        b = summary[best]["pai"][k]["mean"]
        eb = summary[best]["expected_pai"][k]["mean"]
        r = {"best_peer": best, "best_peer_pai": b}
        for n in ours:
            if n in summary:
                r[f"{n}_over_best"] = summary[n]["pai"][k]["mean"] / b
                r[f"{n}_over_best_expected"] = summary[n]["expected_pai"][k]["mean"] / eb
        ratios[k] = r
    print("\nratio to the best peer at each area share (realised PAI; expected PAI in brackets):")
    for k, r in ratios.items():
        parts = [f"{n} {r[n + '_over_best']:.3f} ({r[n + '_over_best_expected']:.3f})"
                 for n in ours if n + "_over_best" in r]
        print(f"  {k:>5}%: best peer {r['best_peer']} {r['best_peer_pai']:.2f}; " + ", ".join(parts))
    for n in ("oracle", "oracle+NR"):
        wins = {k: int((table[table.model == n].set_index("origin")[f"pai_{k}"]
                        > table[table.model == ratios[k]["best_peer"]].set_index("origin")[f"pai_{k}"]).sum())
                for k in ("1", "5")}
        print(f"  {n} ahead of the best peer at {wins['1']}/{a.folds} origins (1%), {wins['5']}/{a.folds} (5%)")
    print(f"\nwall {wall:.1f} s (setup {t_setup:.1f} s), peak RSS {peak:.0f} MB")
    if a.out:
        Path(a.out).write_text(json.dumps({"meta": {"folds": a.folds, "first_origin": str(origins[0].date()),
                                                    "last_origin": str(origins[-1].date()),
                                                    "n_units": len(universe), "unit": "cell 250 m", "world": a.world,
                                                    "offences": "serious violence", "horizon_days": 7,
                                                    "observed_over_expected": obs.sum() / exp.sum(),
                                                    "near_repeat_share": float(np.mean(nr_share))},
                                           "models": summary, "ratios": ratios,
                                           "folds": table.to_dict(orient="records")}, indent=1))
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()

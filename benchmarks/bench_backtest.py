"""Full 26-fold rolling-origin backtest (the learned model and all 8 peers, 250 m cells of the
force polygon, 7-day horizon).

Runs on the embedded data set (``data/offences_extract.csv.gz``, serious violence, every cell of
the embedded force boundary) when it exists, else on a synthetic ~70,000-offence world of the
same shape (tests/forecast/synthworld.py, all of its cells).
Prints wall time, peak RSS, per-fold time, and, as a reference in the same run, the time of a
plain pandas implementation of the last-4-weeks baseline (filter + groupby per origin) against
our cumulative-sum panel for the same forecasts (ratio > 1: ours is faster). Goal: < 3 min on
2 cores. Writes the backtest JSON and chart with ``--out`` (README table, shipped model card).

Run: ``.venv/bin/python benchmarks/bench_backtest.py [--folds 26] [--unit cell] [--synthetic]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _offences(synthetic: bool):
    data = ROOT / "data" / "offences_extract.csv.gz"
    if data.exists() and not synthetic:
        from hotspot.geography.areas import embedded_areas
        from hotspot.geography.geocode import load_offences

        t = time.perf_counter()
        off = load_offences([data], areas=embedded_areas()).offences
        print(f"loaded {len(off):,} offences from {data.name} in {time.perf_counter() - t:.1f} s")
        return off, "embedded"
    sys.path.insert(0, str(ROOT / "tests" / "forecast"))
    from synthworld import synthetic_offences

    off = synthetic_offences(nx=120, ny=100, total=70_000.0, seed=0)
    print(f"synthetic world: {len(off):,} offences")
    return off, "synthetic"


def _reference_last4(off, origins, unit_index, cell):
    """Plain pandas: filter the last 4 weeks and count per cell, per origin."""
    import numpy as np
    import pandas as pd

    sv = off[off["serious_violence"].astype(bool)]
    key = ((np.floor(sv["easting"] / cell) * cell).map("{:.0f}".format) + "_"
           + (np.floor(sv["northing"] / cell) * cell).map("{:.0f}".format))
    sv = sv.assign(unit=key.to_numpy())
    out = []
    for o in origins:
        m = (sv["occurred_at"] >= o - pd.Timedelta(weeks=4)) & (sv["occurred_at"] < o)
        out.append(sv[m].groupby("unit").size().reindex(unit_index, fill_value=0).to_numpy() / 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=26)
    ap.add_argument("--unit", default="cell")
    ap.add_argument("--cell", type=float, default=250.0)
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic world")
    ap.add_argument("--out", default=None, help="write the backtest JSON here (and a .png chart)")
    a = ap.parse_args()

    import numpy as np
    import pandas as pd

    from hotspot.forecast.backtest import DEFAULT_MODELS, rolling_origin
    from hotspot.forecast.baselines import LastWeeks
    from hotspot.forecast.features import build_panel

    off, source = _offences(a.synthetic)
    if source == "embedded":
        from hotspot.geography.areas import embedded_areas
        from hotspot.grid.universe import study_universe
        universe = study_universe(embedded_areas(), a.unit, a.cell)
    else:
        from synthworld import world_universe
        universe = world_universe(a.unit, nx=120, ny=100)
    t0 = time.perf_counter()
    res = rolling_origin(off, universe, folds=a.folds, horizon=7)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{source}: {a.folds}-fold backtest, unit={a.unit}, {res.summary['meta']['n_units']:,} units, "
          f"{len(DEFAULT_MODELS)} models: {wall:.1f} s ({wall / a.folds:.2f} s/fold), peak RSS {peak:.0f} MB "
          f"(goal < 120 s): {'OK' if wall < 120 else 'SLOW'}")
    print(f"{'model':<16}" + "".join(f"{'PAI' + k + '%':>10}" for k in ("0.25", "0.5", "1", "5", "10"))
          + f"{'PEI*5%':>8}{'dev':>8}{'cov80':>7}")
    for name, d in res.summary["models"].items():
        cov = d.get("coverage_80", {}).get("mean")
        print(f"{name:<16}" + "".join(f"{d['pai'][k]['mean']:>10.2f}" for k in ("0.25", "0.5", "1", "5", "10"))
              + f"{d['pei']['5']['mean']:>8.3f}{d['deviance']['mean']:>8.4f}"
              + (f"{cov:>7.3f}" if cov is not None else f"{'':>7}"))
    if a.out:
        res.to_json(a.out)
        res.chart(Path(a.out).with_suffix(".png"))
        print(f"wrote {a.out}")

    if a.unit == "cell":
        panel = build_panel(off, universe)
        origins = [pd.Timestamp(o) for o in res.folds["origin"].unique()]
        t = time.perf_counter()
        ref = _reference_last4(off, origins, panel.units, a.cell)
        t_ref = time.perf_counter() - t
        t = time.perf_counter()
        m = LastWeeks(4).fit(panel)
        ours = [m.predict(o, 7) for o in origins]
        t_ours = time.perf_counter() - t
        assert all(np.allclose(r, o) for r, o in zip(ref, ours)), "reference and panel disagree"
        print(f"last-4-weeks over {len(origins)} origins: pandas filter+groupby {t_ref * 1000:.1f} ms, "
              f"panel {t_ours * 1000:.1f} ms, ratio {t_ref / max(t_ours, 1e-9):.1f}x (same values)")


if __name__ == "__main__":
    main()

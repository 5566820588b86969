"""Re-train the shipped default model and write its card from a backtest JSON.

Run from the repository root, after ``benchmarks/bench_backtest.py --out models/backtest_cell250_7d.json``:

    .venv/bin/python models/train.py [--backtest models/backtest_cell250_7d.json]

Trains ``PoissonGBM`` (250 m cells of the embedded force boundary, 7-day horizon, serious
violence) on every offence before 2021-07-01 and saves it with
:func:`hotspot.forecast.persist.save_model`; the card records the gbm rows of the backtest
(PAI/PEI* at 0.25-10%, deviance, interval coverage nominal against actual) and how the
dispersion and the blend were fitted on held-out weeks.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backtest", default=str(ROOT / "models" / "backtest_cell250_7d.json"))
    a = ap.parse_args()

    from hotspot.forecast.models import forecast_next
    from hotspot.forecast.persist import save_model
    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences

    areas = embedded_areas()
    off = load_offences([ROOT / "data" / "offences_extract.csv.gz"], areas=areas).offences
    _, _, model = forecast_next(off, "2021-07-01", horizon=7, unit="cell", cell=250.0, areas=areas,
                                return_model=True)
    bt = json.loads(Path(a.backtest).read_text())
    gbm = bt["models"]["gbm"]
    extra = {
        "unit": "cell", "cell_m": 250.0, "universe": "every 250 m cell whose centre lies in the force "
        "polygon (data/boundaries.gpkg layer force); PAI on the force area",
        "calibration": model.calibration_, "blend": model.blend_,
        "interval_coverage_backtest": {
            "nominal": 0.8,
            "actual_all_units": gbm.get("coverage_80"),
            "actual_units_expecting_ge1": gbm.get("coverage_80_expected_ge1"),
            "randomised_pit": gbm.get("pit_coverage_80"),
        },
        "backtest_meta": bt["meta"],
    }
    path, card = save_model(model, ROOT / "models" / "forecast_cell250_7d.skops", name="forecast_cell250_7d",
                            scores=gbm, extra=extra)
    print(f"wrote {path} and {card}; alpha {model.alpha_:.3f}, blend {model.blend_}")


if __name__ == "__main__":
    main()

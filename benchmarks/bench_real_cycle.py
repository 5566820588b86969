"""Benchmark: the tasking cycle on the real police.uk files in ../shared/real (issue: < 30 s warm).

``hotspot run --offences ../shared/real/police --boundaries <ONS GeoPackage> --imd <File 1>
--lookup <lookup>`` in a fresh process into a fresh folder (no stage cache), after one warm-up run
that fills Numba's on-disk caches: what an analyst's monthly run costs. The reference in the same
run is the embedded demo's cycle on the same machine (``hotspot demo``), so the ratio shows what the
real data cost against the synthetic world; both print per-stage times.

Run: ``.venv/bin/python benchmarks/bench_real_cycle.py`` (skips with a message when ../shared/real is
absent).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "real"
HOTSPOT = Path(sys.executable).parent / "hotspot"
GOAL_S = 30.0


def _real_args(out: Path) -> list[str]:
    return [str(HOTSPOT), "run", "--offences", str(REAL / "police"),
            "--boundaries", str(REAL / "boundaries" / "avon_somerset_ons_boundaries_27700.gpkg"),
            "--imd", str(REAL / "imd" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation_avon_somerset.csv"),
            "--lookup", str(REAL / "boundaries" / "lsoa11_to_lsoa21_DERIVED_by_area_overlap_avon_somerset.csv"),
            "--out", str(out)]


def _timed(args: list[str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    out = Path(args[args.index("--out") + 1])
    manifest = next(out.rglob("manifest.json"))
    return seconds, json.loads(manifest.read_text())["timings_s"]


def main() -> int:
    if not (REAL / "police").is_dir():
        print(f"skipped: {REAL} not found (the real data live beside the project)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        _timed(_real_args(tmp_path / "warm"))  # fills Numba's on-disk caches
        real_s, real_stages = _timed(_real_args(tmp_path / "real"))
        demo_s, demo_stages = _timed([str(HOTSPOT), "demo", "--out", str(tmp_path / "demo")])
    print(f"real police.uk cycle (79,775 rows, 5 months): {real_s:6.1f} s  (goal < {GOAL_S:.0f} s: "
          f"{'met' if real_s < GOAL_S else 'NOT met'})")
    for name, t in real_stages.items():
        print(f"  {name:<10}{t['seconds']:7.1f} s")
    print(f"reference: embedded demo cycle (~97,000 rows, 3.5 years): {demo_s:6.1f} s")
    for name, t in demo_stages.items():
        print(f"  {name:<10}{t['seconds']:7.1f} s")
    print(f"ratio real / demo: {real_s / demo_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

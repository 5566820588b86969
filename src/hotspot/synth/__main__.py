"""``python -m hotspot.synth --out data``: regenerate the embedded data set."""

from __future__ import annotations

import argparse
import json
import sys

from hotspot.synth import SEED, generate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hotspot.synth",
                                description="Regenerate the embedded synthetic Avon and Somerset data set.")
    p.add_argument("--out", default="data", help="output folder (default: data)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the committed data's seed)")
    args = p.parse_args(argv)

    summary = generate(args.out, seed=SEED if args.seed is None else args.seed)
    print(json.dumps({k: v for k, v in summary.items() if k != "sha256"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

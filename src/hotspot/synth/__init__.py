"""The embedded synthetic Avon and Somerset data set (``data/``), generated deterministically.

``python -m hotspot.synth --out data`` (or ``make data``) regenerates every file byte for byte from
the seed. Everything is synthetic: see ``data/README.md`` for what is calibrated to which reference
figure. Sub-modules: :mod:`places` (hand-made geography), :mod:`geography` (polygons),
:mod:`world` (layers), :mod:`offences` (the point process), :mod:`covariates`, :mod:`writers`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from hotspot.covariates.universal_credit import write_statxplore
from hotspot.io import sha256_file, write_csv, write_json
from hotspot.progress import bar
from hotspot.synth import covariates as C
from hotspot.synth import offences as O
from hotspot.synth import writers as W
from hotspot.synth.world import build_world

SEED = 20210630

#: Files written, relative to the output folder.
FILES = [
    "boundaries.gpkg", "offences_extract.csv.gz", "policeuk/avon-and-somerset-street.zip", "postcodes.csv",
    "covariates/imd2019_file7.csv", "covariates/uc_households_lsoa.csv", "covariates/uc_households_la.csv",
    "covariates/population_lsoa.csv",
]


def generate(out: str | Path, seed: int = SEED, *, progress: bool = True) -> dict:
    """Generate the embedded data set into ``out``.

    Parameters
    ----------
    out : str or Path
        Folder to write (created if missing). Existing files are replaced atomically.
    seed : int
        Seed of the one random generator every draw comes from.
    progress : bool
        Show a progress bar over the generation steps.

    Returns
    -------
    dict
        Summary written to ``out/MANIFEST.json``: counts and SHA-256 of every file.
    """

    out = Path(out)
    (out / "policeuk").mkdir(parents=True, exist_ok=True)
    (out / "covariates").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with bar(total=8, desc="synthetic world", unit="step") as pb:
        world = build_world(rng)
        pb.update(1)
        ev = O.generate_offences(world, rng)
        pb.update(1)
        streets = O.street_points(world, rng)
        snap_idx = O.snap(ev, streets)
        pcs = O.postcodes(world, rng)
        _, pc_idx = cKDTree(pcs[["x", "y"]].to_numpy()).query(ev[["easting", "northing"]].to_numpy())
        pb.update(1)
        clean = W.extract_frame(ev, streets, snap_idx, pcs, pc_idx)
        extract, kinds = W.messy_rows(clean, rng)
        W.write_gz(out / "offences_extract.csv.gz", W.csv_bytes(extract))
        pb.update(1)
        W.write_policeuk_zip(out / "policeuk" / "avon-and-somerset-street.zip",
                             W.policeuk_frames(ev, world, streets, snap_idx, rng))
        pb.update(1)
        W.write_boundaries(out / "boundaries.gpkg", world)
        write_csv(out / "postcodes.csv", W.postcode_frame(pcs, world), index=False, lineterminator="\n")
        pb.update(1)
        imd = C.imd_table(world, rng)
        write_csv(out / "covariates" / "imd2019_file7.csv", imd, index=False, lineterminator="\n")
        uc_lsoa, uc_la = C.uc_tables(world, imd, rng)
        write_statxplore(uc_lsoa, out / "covariates" / "uc_households_lsoa.csv",
                         "Households on Universal Credit by Lower Layer Super Output Area (synthetic)",
                         "Households on Universal Credit")
        write_statxplore(uc_la, out / "covariates" / "uc_households_la.csv",
                         "Households on Universal Credit by Local Authority (synthetic)",
                         "Households on Universal Credit")
        pb.update(1)
        write_csv(out / "covariates" / "population_lsoa.csv", C.population_table(world), index=False,
                  lineterminator="\n")
        pb.update(1)
    sv = ev[ev["sv_flag"]]
    summary = {
        "seed": seed,
        "synthetic": True,
        "lsoas": int(len(world.lsoa)), "beats": int(len(world.beat)), "local_authorities": int(len(world.la)),
        "offences": int(len(ev)), "extract_rows": int(len(extract)), "messy_rows": kinds,
        "serious_violence_by_year": {str(k): int(v) for k, v in sv.groupby(sv["occurred_at"].dt.year).size().items()},
        "knife_serious_violence_by_year": {str(k): int(v) for k, v in
                                           sv.groupby(sv["occurred_at"].dt.year)["knife"].sum().items()},
        "sha256": {f: sha256_file(out / f) for f in FILES},
    }
    write_json(out / "MANIFEST.json", summary)
    return summary

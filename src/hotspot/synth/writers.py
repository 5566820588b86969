"""Write the synthetic world as files, byte-for-byte reproducibly.

* ``offences_extract.csv.gz``: the internal timestamped extract, with a small share of realistically
  messy rows (see :func:`messy_rows`) so that quarantine is exercised on the embedded data.
* ``policeuk/avon-and-somerset-street.zip``: the same offences as police.uk street-level monthly CSVs
  (month only; locations snapped to anonymised street points; the exact published columns).
* ``postcodes.csv``: ONSPD-shaped lookup. ``boundaries.gpkg``: layers ``lsoa``, ``beat``, ``la``,
  ``force``. ``covariates/``: IMD File 7, Stat-Xplore UC exports, population.

Reproducibility: gzip and zip timestamps are fixed, GeoPackage timestamps are fixed through GDAL's
``OGR_CURRENT_DATE``, and every random draw comes from one seeded generator.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from hotspot.crs import to_wgs84
from hotspot.geography.geocode import locate
from hotspot.io import atomic_path, write_bytes
from hotspot.schema import POLICEUK_COLUMNS
from hotspot.synth.world import World

FIXED_TIME = (2021, 7, 1, 0, 0, 0)
FORCE = "Avon and Somerset Constabulary"

OUTCOMES = [
    ("Investigation complete; no suspect identified", 0.30), ("Unable to prosecute suspect", 0.32),
    ("Under investigation", 0.05), ("Status update unavailable", 0.05), ("Awaiting court outcome", 0.04),
    ("Court result unavailable", 0.05), ("Local resolution", 0.05), ("Offender given a caution", 0.03),
    ("Formal action is not in the public interest", 0.03),
    ("Further investigation is not in the public interest", 0.03),
    ("Action to be taken by another organisation", 0.02),
    ("Suspect charged as part of another case", 0.01), ("Offender sent to prison", 0.02),
]


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_gz(path: Path, data: bytes) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    write_bytes(path, buf.getvalue())


def extract_frame(ev: pd.DataFrame, streets: pd.DataFrame, snap_idx: np.ndarray, pcs: pd.DataFrame,
                  pc_idx: np.ndarray) -> pd.DataFrame:
    """The clean extract: one row per offence."""
    return pd.DataFrame({
        "id": ev["id"],
        "occurred_at": ev["occurred_at"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "easting": ev["easting"].astype(np.int64).astype(str),
        "northing": ev["northing"].astype(np.int64).astype(str),
        "postcode": pcs["pcds"].to_numpy()[pc_idx],
        "crime_type": ev["crime_type"],
        "offence_subtype": ev["offence_subtype"],
        "ho_code": ev["offence_code"],
        "sv_flag": np.where(ev["sv_flag"], "Y", "N"),
        "knife_flag": np.where(ev["knife"], "Y", "N"),
        "domestic_flag": np.where(ev["domestic"], "Y", "N"),
        "location": "On or near " + streets["name"].to_numpy()[snap_idx].astype(object),
    })


def messy_rows(clean: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, int]]:
    """Corrupt copies and blanked coordinates: what real extracts contain.

    Returns the extract with extra bad rows inserted at random positions, and the number of rows of
    each kind (``postcode_only`` rows are good: they are placed at the postcode centroid).
    """
    df = clean.copy()
    n = len(df)
    kinds: dict[str, int] = {}

    def pick(k):
        return rng.choice(n, size=k, replace=False)

    # good rows whose coordinates are missing but whose postcode is known
    i = pick(150)
    df.loc[df.index[i], ["easting", "northing"]] = ""
    kinds["postcode_only"] = 150
    extra = []

    def corrupt(k, name, fn):
        rows = clean.iloc[pick(k)].copy()
        rows = fn(rows)
        extra.append(rows)
        kinds[name] = k

    def suffix(rows):  # bad copies are new records: give them new ids
        rows["id"] = rows["id"].str.replace("AS", "AX", regex=False)
        return rows

    corrupt(30, "missing_coordinates", lambda r: suffix(r.assign(easting="", northing="", postcode="")))
    corrupt(20, "unknown_postcode", lambda r: suffix(r.assign(easting="", northing="", postcode="ZZ99 9ZZ")))
    corrupt(40, "unparseable_coordinates", lambda r: suffix(r.assign(easting="n/a", northing=r["northing"])))
    corrupt(30, "outside_study_area", lambda r: suffix(r.assign(easting="262000", northing="092500")))
    corrupt(40, "unparseable_date", lambda r: suffix(r.assign(occurred_at="31/02/2019 25:61")))
    corrupt(20, "missing_date", lambda r: suffix(r.assign(occurred_at="")))
    corrupt(15, "future_date", lambda r: suffix(r.assign(occurred_at="2031-01-01T21:00:00")))
    corrupt(40, "duplicate_id", lambda r: r)
    corrupt(25, "unknown_offence_type", lambda r: suffix(r.assign(crime_type="Violence agaisnt the person")))
    corrupt(10, "missing_id", lambda r: r.assign(id=""))
    bad = pd.concat(extra)
    pos = np.sort(rng.choice(n + len(bad), size=len(bad), replace=False))
    out = np.empty(n + len(bad), dtype=object)
    mask = np.zeros(n + len(bad), dtype=bool)
    mask[pos] = True
    order = np.empty(n + len(bad), dtype=np.int64)
    order[~mask] = np.arange(n)
    order[mask] = n + np.arange(len(bad))
    del out
    full = pd.concat([df, bad], ignore_index=True).iloc[order].reset_index(drop=True)
    return full, kinds


def policeuk_frames(ev: pd.DataFrame, world: World, streets: pd.DataFrame, snap_idx: np.ndarray,
                    rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Monthly police.uk street-level tables keyed ``YYYY-MM``."""
    sx = streets["x"].to_numpy()[snap_idx]
    sy = streets["y"].to_numpy()[snap_idx]
    lon, lat = to_wgs84(sx, sy)
    lsoa = world.lsoa
    li, _ = locate(sx, sy, lsoa.geometry, tolerance=200.0)
    code = np.where(li >= 0, lsoa["LSOA11CD"].to_numpy()[np.maximum(li, 0)], "")
    name = np.where(li >= 0, lsoa["LSOA11NM"].to_numpy()[np.maximum(li, 0)], "")
    n = len(ev)
    asb = ev["crime_type"].to_numpy() == "Anti-social behaviour"
    crime_id = np.array([hashlib.sha256(f"police.uk:{i}".encode()).hexdigest() for i in ev["id"]], dtype=object)
    crime_id[asb] = ""
    probs = np.array([p for _, p in OUTCOMES])
    outcome = np.array([o for o, _ in OUTCOMES], dtype=object)[rng.choice(len(OUTCOMES), n, p=probs / probs.sum())]
    outcome[asb] = ""
    loc = ("On or near " + streets["name"].to_numpy()[snap_idx].astype(object)).astype(object)
    lon_s = np.array([f"{v:.6f}" for v in lon], dtype=object)
    lat_s = np.array([f"{v:.6f}" for v in lat], dtype=object)
    # police.uk publishes some crimes with no location
    noloc = rng.random(n) < 0.008
    lon_s[noloc] = ""
    lat_s[noloc] = ""
    loc[noloc] = "No Location"
    code = code.astype(object)
    name = name.astype(object)
    code[noloc] = ""
    name[noloc] = ""
    df = pd.DataFrame({
        "Crime ID": crime_id, "Month": ev["occurred_at"].dt.strftime("%Y-%m").to_numpy(),
        "Reported by": FORCE, "Falls within": FORCE, "Longitude": lon_s, "Latitude": lat_s,
        "Location": loc, "LSOA code": code, "LSOA name": name, "Crime type": ev["crime_type"].to_numpy(),
        "Last outcome category": outcome, "Context": "",
    })[POLICEUK_COLUMNS]
    return {m: g for m, g in df.groupby("Month", sort=True)}


def write_policeuk_zip(path: Path, frames: dict[str, pd.DataFrame]) -> None:
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for month, g in frames.items():
                info = zipfile.ZipInfo(f"{month}/{month}-avon-and-somerset-street.csv", date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, csv_bytes(g))


def write_boundaries(path: Path, world: World) -> None:
    os.environ["OGR_CURRENT_DATE"] = "2021-07-01T00:00:00Z"
    with atomic_path(path) as tmp:
        for name in ("lsoa", "beat", "la", "force"):
            getattr(world, name).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")


def postcode_frame(pcs: pd.DataFrame, world: World) -> pd.DataFrame:
    lon, lat = to_wgs84(pcs["x"].to_numpy(), pcs["y"].to_numpy())
    li, _ = locate(pcs["x"].to_numpy(), pcs["y"].to_numpy(), world.lsoa.geometry, tolerance=200.0)
    return pd.DataFrame({
        "pcds": pcs["pcds"], "oseast1m": pcs["x"].astype(np.int64), "osnrth1m": pcs["y"].astype(np.int64),
        "lat": [f"{v:.6f}" for v in lat], "long": [f"{v:.6f}" for v in lon],
        "lsoa11": np.where(li >= 0, world.lsoa["LSOA11CD"].to_numpy()[np.maximum(li, 0)], ""),
    }).sort_values("pcds", kind="mergesort")

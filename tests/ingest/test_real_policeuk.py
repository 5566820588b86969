"""The police.uk files in ../shared/real/police read and audited; every expected figure is counted
here from the gzip CSVs with the csv module (or taken from the folder README), not by the code."""

from __future__ import annotations

import csv
import gzip
from collections import Counter

import pytest
from tests.realdata import BOUNDARIES_GPKG, POLICE

from hotspot.geography.areas import read_boundaries
from hotspot.geography.geocode import load_offences

SELECTED = {"Violence and sexual offences", "Robbery"}


@pytest.fixture(scope="module")
def raw_rows(real):
    rows = []
    for f in sorted(POLICE.glob("*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8-sig", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


@pytest.fixture(scope="module")
def loaded(real):
    return load_offences(POLICE, areas=read_boundaries(BOUNDARIES_GPKG), now="2025-12-31")


def test_every_row_is_accounted_for(loaded, raw_rows):
    a = loaded.audit
    assert len(raw_rows) == 79775  # README
    r = a["reconciliation"]
    assert r["rows_read"] == 79775 and r["balanced"]
    no_loc = sum(1 for x in raw_rows if x["Location"] == "No Location")
    assert no_loc == 9439 and r["no_location"] == no_loc  # README: 9,439 (11.8%)
    assert r["mapped"] + r["no_location"] + r["outside_force"] + r["duplicate"] + sum(
        r["other_quarantined"].values()) == 79775
    assert r["outside_force"] == 236  # README: 236 outside the study area
    assert a["quarantine_original_values"]["with_original_values"] == a["quarantine_original_values"]["rows"]


def test_months_and_totals(loaded, raw_rows):
    a = loaded.audit
    assert a["months"]["present"] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-06"]
    assert a["months"]["missing"] == ["2025-05"] and a["months"]["abnormal"] == []
    # one offence per Crime ID (blank ids = ASB, each its own offence)
    ids = Counter(x["Crime ID"] for x in raw_rows if x["Crime ID"])
    extra = sum(c - 1 for c in ids.values())
    assert extra == 367  # README: repeated Crime ID extra rows
    assert a["duplicates"]["extra_rows"] == 367
    assert a["force_total"]["offences"] == 79775 - 367
    by_month = Counter()
    seen = set()
    for x in raw_rows:
        if x["Crime ID"] and x["Crime ID"] in seen:
            continue
        seen.add(x["Crime ID"])
        by_month[x["Month"]] += 1
    assert {m["month"]: m["recorded"] for m in a["monthly"] if m["recorded"]} == dict(by_month)
    # the copy kept of a repeated id: the first located one, else the first (files in month order)
    kept = {}
    for x in raw_rows:
        cid = x["Crime ID"]
        if not cid:
            continue
        if cid not in kept or (kept[cid]["Location"] == "No Location" and x["Location"] != "No Location"):
            kept[cid] = x
    sel = sum(1 for x in kept.values() if x["Crime type"] in SELECTED)
    sel += sum(1 for x in raw_rows if not x["Crime ID"] and x["Crime type"] in SELECTED)  # (none: ASB)
    assert a["force_total"]["selected"] == sel
    types = {}
    for x in raw_rows:
        if x["Crime ID"]:
            types.setdefault(x["Crime ID"], set()).add(x["Crime type"])
    assert a["duplicates"]["differ_in_crime_type"] == sum(len(t) > 1 for t in types.values())
    assert sum(1 for x in raw_rows if x["Crime type"] in SELECTED) == 30628 + 998  # README VSO + robbery
    noloc_sel = sum(1 for x in kept.values() if x["Location"] == "No Location" and x["Crime type"] in SELECTED)
    assert sum(m["selected_no_location"] for m in a["monthly"]) == noloc_sel


def test_no_location_rows_are_in_totals_not_maps(loaded):
    a = loaded.audit
    assert loaded.offences.geometry.notna().all() and len(loaded.offences) == a["reconciliation"]["mapped"]
    assert sum(m["no_location"] for m in a["monthly"]) == a["no_location"]["offences"] > 9000
    assert sum(m["recorded"] for m in a["monthly"]) == a["force_total"]["offences"]


def test_published_lsoa_agreement_and_selection(loaded):
    a = loaded.audit
    assert a["published_lsoa"]["share_agree"] == pytest.approx(0.966, abs=0.001)  # issue: about 96.6%
    off = loaded.offences
    assert off["knife"].isna().all() and off["domestic"].isna().all()
    assert set(off.loc[off["serious_violence"], "crime_type"]) == SELECTED
    assert a["time"]["rows_with_time"] == 0 and not a["time"]["hour_known"]
    assert off["beat_code"].str.fullmatch(r"E05\d{6}").all()  # wards standing in for beats

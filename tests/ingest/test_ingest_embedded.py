"""The embedded synthetic data set (skipped when data/ has not been generated yet)."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot.ingest import read_offences
from hotspot.paths import data_dir

NOW = "2021-12-31"


def _need(name: str):
    p = data_dir() / name
    if not p.exists():
        pytest.skip(f"embedded data file {name} not generated yet")
    return p


@pytest.mark.slow
def test_embedded_extract_quarantine_and_classification_match_its_readme():
    p = _need("offences_extract.csv.gz")
    res = read_offences(p, now=NOW)
    # data/README.md: the bad rows ingest decides (unknown_postcode / outside_study_area are geocode's)
    assert res.report["totals"]["by_reason"] == {
        "duplicate_id": 40, "future_date": 15, "missing_coordinates": 30, "missing_date": 20, "missing_id": 10,
        "unknown_offence_type": 25, "unparseable_coordinates": 40, "unparseable_date": 40}
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    flag = raw["sv_flag"].to_numpy()[res.accepted["source_line"].to_numpy() - 2] == "Y"
    assert (res.accepted["serious_violence"].to_numpy() == flag).all()


@pytest.mark.slow
def test_embedded_policeuk_zip():
    p = _need("policeuk/avon-and-somerset-street.zip")
    res = read_offences(p, now=NOW)
    t = res.report["totals"]
    assert len(res.report["files"]) == 42 and t["rows_read"] == t["accepted"] + t["quarantined"]
    assert set(t["by_reason"]) <= {"missing_coordinates"}
    assert set(res.accepted["time_precision"]) == {"month"}
    assert not res.accepted["offence_id"].duplicated().any()

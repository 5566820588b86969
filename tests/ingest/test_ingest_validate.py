"""Quarantine reasons, future dates, duplicates across inputs, and reconciliation (property test)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_fixtures import EXTRACT_HEADER, extract_row, policeuk_row, policeuk_text, table_text

from hotspot.errors import ArgumentError
from hotspot.ingest import read_offences
from hotspot.schema import QUARANTINE_REASONS

NOW = "2021-12-31"

#: (reason, extract row overrides) - one bad row per reason the extract reader decides
EXTRACT_CASES = [
    ("missing_id", dict(id="")),
    ("missing_date", dict(occurred_at="")),
    ("unparseable_date", dict(occurred_at="31/02/2021 25:99")),
    ("future_date", dict(occurred_at="2022-01-01T00:00:00")),
    ("unparseable_coordinates", dict(easting="358k", northing="172950")),
    ("unparseable_coordinates", dict(easting="358650", northing="")),
    ("swapped_coordinates", dict(easting="1172950", northing="358650")),
    ("invalid_coordinates", dict(easting="-5", northing="172950")),
    ("invalid_coordinates", dict(easting="-2.59", northing="51.45")),
    ("missing_coordinates", dict(easting="", northing="", postcode="")),
    ("unknown_offence_type", dict(crime_type="Knife crime")),
]


@pytest.mark.parametrize("reason, bad", EXTRACT_CASES)
def test_each_extract_reason(write_extract, reason, bad):
    rows = [extract_row(id="GOOD1"), extract_row(**{"id": "BAD", **bad}), extract_row(id="GOOD2")]
    p = write_extract(rows)
    res = read_offences(p, now=NOW)
    assert list(res.accepted["offence_id"]) == ["GOOD1", "GOOD2"]
    q = res.quarantine
    assert list(q["reason"]) == [reason] and reason in QUARANTINE_REASONS
    assert q["source_line"].iloc[0] == 3 and q["source_file"].iloc[0] == str(p)
    assert q["detail"].iloc[0]
    raw = json.loads(q["raw"].iloc[0])
    assert list(raw) == [*EXTRACT_HEADER] and raw["location"] == "Park Street"
    assert res.report["files"][str(p)]["by_reason"] == {reason: 1}


def test_inverted_time_range_and_unparseable_to(write_extract):
    header = ["crime_ref", "occurred_from", "occurred_to", "easting", "northing", "crime_type"]
    rows = [["A", "2021-03-05T22:00", "2021-03-05T21:00", "358650", "172950", "Robbery"],
            ["B", "2021-03-05T22:00", "later", "358650", "172950", "Robbery"],
            ["C", "2021-03-05T22:00", "2021-03-05T23:00", "358650", "172950", "Robbery"]]
    res = read_offences(write_extract(rows, header=header), now=NOW)
    assert list(res.quarantine["reason"]) == ["inverted_time_range", "unparseable_date"]
    assert res.accepted["occurred_at"].iloc[0] == pd.Timestamp("2021-03-05 22:00")  # 'from' by default


def test_policeuk_reasons(write_policeuk):
    rows = [policeuk_row(crime_id="ok"),
            policeuk_row(crime_id="nodate", month=""),
            policeuk_row(crime_id="baddate", month="March 2021"),
            policeuk_row(crime_id="noloc", lon="", lat="", location="No location"),
            policeuk_row(crime_id="swap", lon="51.455", lat="-2.594"),
            policeuk_row(crime_id="far", lon="-40.0", lat="51.455"),
            policeuk_row(crime_id="type", crime_type="Knife crime"),
            policeuk_row(crime_id="future", month="2022-02"),
            policeuk_row(crime_id="ok")]
    res = read_offences(write_policeuk(rows), now=NOW)
    assert list(res.accepted["offence_id"]) == ["ok"]
    assert list(res.quarantine["reason"]) == [
        "missing_date", "unparseable_date", "missing_coordinates", "swapped_coordinates",
        "invalid_coordinates", "unknown_offence_type", "future_date", "duplicate_id"]
    assert list(res.quarantine["source_line"]) == list(range(3, 11))


def test_duplicates_across_inputs_first_wins(write_extract, tmp_path):
    a = write_extract([extract_row(id="X1"), extract_row(id="X2")], name="a.csv")
    b = write_extract([extract_row(id="X2"), extract_row(id="X3")], name="b.csv")
    res = read_offences([a, b], now=NOW)
    assert list(res.accepted["offence_id"]) == ["X1", "X2", "X3"]
    assert list(res.accepted["source_file"]) == [str(a), str(a), str(b)]
    assert res.quarantine[["source_file", "source_line", "reason"]].values.tolist() == [
        [str(b), 2, "duplicate_id"]]
    # a quarantined first copy does not block a later valid one
    c = write_extract([extract_row(id="Y", occurred_at="junk"), extract_row(id="Y")], name="c.csv")
    res = read_offences(c, now=NOW)
    assert list(res.accepted["source_line"]) == [3] and list(res.quarantine["reason"]) == ["unparseable_date"]


def test_now_semantics(write_extract):
    p = write_extract([extract_row(id="A", occurred_at="2021-06-30T23:59:00"),
                       extract_row(id="B", occurred_at="2021-07-01T00:00:00")])
    assert list(read_offences(p, now="2021-06-30").accepted["offence_id"]) == ["A"]
    assert list(read_offences(p, now="2021-06-30T12:00:00").accepted["offence_id"]) == []
    assert len(read_offences(p).accepted) == 2  # default: today
    with pytest.raises(ArgumentError, match="now"):
        read_offences(p, now="yesterday-ish")


def test_dayfirst_iso_and_utc_offsets(write_extract):
    p = write_extract([extract_row(id="A", occurred_at="03/04/2021 10:15"),
                       extract_row(id="B", occurred_at="2021-07-01T10:00:00+00:00"),
                       extract_row(id="C", occurred_at="2021-07-01 10:00")])
    acc = read_offences(p, now=NOW).accepted
    assert list(acc["occurred_at"]) == [pd.Timestamp("2021-04-03 10:15"), pd.Timestamp("2021-07-01 11:00"),
                                        pd.Timestamp("2021-07-01 10:00")]


def test_blank_and_multiline_rows_keep_line_numbers(tmp_path):
    text = table_text(EXTRACT_HEADER, [extract_row(id="A", location="Park\nStreet")]) + "\n" + \
        table_text(EXTRACT_HEADER, [extract_row(id="B")]).split("\n", 1)[1]
    p = tmp_path / "x.csv"
    p.write_text(text)
    res = read_offences(p, now=NOW)
    # line 2-3: A (two physical lines), line 4: blank, line 5: B
    assert list(res.accepted["source_line"]) == [2, 5]
    assert list(res.quarantine["source_line"]) == [4]
    assert res.report["totals"]["rows_read"] == 3


# ---- reconciliation property test -----------------------------------------------------------

_GOOD = dict(id=None, occurred_at="2021-03-05T22:15:00", easting="358650", northing="172950",
             crime_type="Robbery")
_MESS = [dict(), dict(id=""), dict(occurred_at=""), dict(occurred_at="soon"),
         dict(occurred_at="2030-01-01T00:00:00"), dict(easting="x"), dict(easting="", northing=""),
         dict(easting="", northing="", postcode="BS1 4DJ"), dict(easting="900000", northing="100"),
         dict(crime_type="Mugging"), dict(id="DUP"), dict(easting="1", northing="5000000")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.lists(st.integers(0, len(_MESS) - 1), min_size=0, max_size=25), min_size=1,
                      max_size=3),
       policeuk=st.lists(st.sampled_from(["ok", "asb", "noloc", "baddate", "badtype", "dup"]), max_size=15))
def test_every_line_is_accepted_or_quarantined_exactly_once(tmp_path_factory, kinds, policeuk):
    tmp = tmp_path_factory.mktemp("reco")
    paths, expected = [], []
    counter = 0
    for f, ks in enumerate(kinds):
        rows = []
        for k in ks:
            counter += 1
            over = {**_GOOD, **_MESS[k]}
            rid = over.pop("id")
            row = extract_row(id=f"R{counter}" if rid is None else rid, **over)
            rows.append(row)
        p = tmp / f"extract{f}.csv"
        p.write_text(table_text(EXTRACT_HEADER, rows))
        paths.append(p)
        expected += [(str(p), i + 2) for i in range(len(rows))]
    prow = {"ok": {}, "asb": dict(crime_id="", crime_type="Anti-social behaviour"),
            "noloc": dict(lon="", lat=""), "baddate": dict(month="2021-13"),
            "badtype": dict(crime_type="Other"), "dup": dict(crime_id="DUP")}
    rows = [policeuk_row(**{"crime_id": f"P{i}", **prow[k]}) for i, k in enumerate(policeuk)]
    folder = tmp / "2021-03"
    folder.mkdir()
    pp = folder / "2021-03-avon-and-somerset-street.csv"
    pp.write_text(policeuk_text(rows))
    paths.append(pp)
    expected += [(str(pp), i + 2) for i in range(len(rows))]

    res = read_offences(paths, now=NOW)
    seen = list(zip(res.accepted["source_file"], res.accepted["source_line"])) + \
        list(zip(res.quarantine["source_file"], res.quarantine["source_line"]))
    assert sorted(seen) == sorted(expected)
    for name, entry in res.report["files"].items():
        assert entry["rows_read"] == entry["accepted"] + entry["quarantined"]
        assert entry["quarantined"] == sum(entry["by_reason"].values())
        assert entry["accepted"] == int((res.accepted["source_file"] == name).sum())
    t = res.report["totals"]
    assert t["rows_read"] == len(expected) and t["accepted"] == len(res.accepted)
    assert set(res.quarantine["reason"]) <= set(QUARANTINE_REASONS)
    assert not res.accepted["offence_id"].duplicated().any()
    assert (res.accepted["offence_id"] != "").all()

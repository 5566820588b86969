"""The data-quality audit on small real-shaped police.uk files and on timestamped rows."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot.geography.areas import Areas
from hotspot.geography.geocode import load_offences
from hotspot.ingest.audit import apply_time_audit, audit_offences, audit_tables

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context\n")
FORCE = "Avon and Somerset Constabulary"


def _row(cid, month, lon, lat, lsoa, ctype):
    return f"{cid},{month},{FORCE},{FORCE},{lon},{lat},On or near X,{lsoa},Bristol 032B,{ctype},Under investigation,"


def _areas():
    from hotspot.crs import to_bng

    x, y = to_bng([-2.60], [51.45])
    lsoa = gpd.GeoDataFrame({"lsoa_code": ["E01014540"], "lsoa_name": ["Bristol 032B"], "beat_code": ["B1"],
                             "la_code": ["E06000023"]},
                            geometry=[box(x[0] - 2000, y[0] - 2000, x[0] + 2000, y[0] + 2000)], crs=27700)
    return Areas(lsoa=lsoa, beat=None, la=None, force=lsoa.dissolve(), source="fixture")


def _files(tmp_path):
    # Jan: 4 rows (one No Location VSO, a repeated id whose first copy has no location, one row far away);
    # Feb missing; Mar: 4 rows; Apr: 1 row (abnormal: under half the median of 4)
    jan = [_row("d1", "2025-01", "", "", "", "Violence and sexual offences"),       # No Location copy
           _row("d1", "2025-01", -2.60, 51.45, "E01014540", "Violence and sexual offences"),  # located copy
           _row("", "2025-01", -2.60, 51.45, "E01014540", "Anti-social behaviour"),
           _row("n1", "2025-01", "", "", "", "Robbery"),
           _row("o1", "2025-01", -1.80, 51.07, "E01031999", "Burglary")]                # Salisbury: outside
    mar = [_row(f"m{i}", "2025-03", -2.60, 51.45, "E01014540" if i else "E01014541", "Robbery") for i in range(4)]
    apr = [_row("a1", "2025-04", -2.60, 51.45, "E01014540", "Shoplifting")]
    out = []
    for m, rows in (("2025-01", jan), ("2025-03", mar), ("2025-04", apr)):
        p = tmp_path / f"{m}-avon-and-somerset-street.csv"
        p.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
        out.append(p)
    return out


def test_audit_of_a_small_policeuk_load(tmp_path):
    res = load_offences(_files(tmp_path), areas=_areas(), now="2025-12-31")
    a = res.audit
    r = a["reconciliation"]
    assert r == {"rows_read": 10, "mapped": 7, "no_location": 2, "outside_force": 1, "duplicate": 0,
                 "other_quarantined": {}, "balanced": True, "expected_rows": 10}
    assert a["months"]["present"] == ["2025-01", "2025-03", "2025-04"]
    assert a["months"]["missing"] == ["2025-02"] and a["months"]["abnormal"] == ["2025-04"]
    jan = a["monthly"][0]
    # d1 counts once (its located copy), n1 (No Location) and o1 (outside) count: 4 offences
    assert (jan["recorded"], jan["mapped"], jan["no_location"], jan["outside_force"]) == (4, 2, 1, 1)
    assert jan["selected"] == 2 and jan["selected_no_location"] == 1  # d1 (VSO), n1 (robbery)
    assert a["monthly"][1]["status"] == "missing" and a["monthly"][1]["recorded"] == 0
    d = a["duplicates"]
    assert d["ids"] == 1 and d["extra_rows"] == 1 and d["located_kept_over_no_location"] == 1
    assert d["table"][0]["kept"].endswith("2025-01-avon-and-somerset-street.csv:3")
    # police.uk's own LSOA: 6 of the 7 mapped rows agree (m0 was published as E01014541)
    assert a["published_lsoa"] == {"compared": 7, "agree": 6, "share_agree": round(6 / 7, 4)}
    # every quarantined row keeps its original values, geocoding rejects included
    assert a["quarantine_original_values"] == {"rows": 3, "with_original_values": 3}
    q = res.quarantine.set_index("offence_id")
    assert '"LSOA code": "E01031999"' in q.loc["o1", "raw"]
    assert a["time"]["resolution"] == "month" and "not available" in a["time"]["note"]
    assert set(audit_tables(a)) == {"monthly", "duplicates"}


def test_degenerate_timestamps_are_unknown():
    t = pd.to_datetime(["2024-03-01 00:00"] * 8 + ["2024-03-14 21:30", "2024-03-20 02:10"])
    off = pd.DataFrame({"offence_id": [f"x{i}" for i in range(10)], "month": "2024-03", "crime_type": "Robbery",
                        "occurred_at": t, "time_precision": "exact", "source_file": "x.csv",
                        "source_line": range(2, 12)})
    q = pd.DataFrame(columns=["source_file", "source_line", "reason", "offence_id", "raw"])
    a = audit_offences(off, q)
    assert a["time"]["share_midnight"] == pytest.approx(0.8) and a["time"]["share_day1"] == pytest.approx(0.8)
    assert a["time"]["resolution"] == "month" and "treated as unknown" in a["time"]["note"]
    assert (apply_time_audit(off, a)["time_precision"] == "month").all()
    # real times (spread over hours and days) stay exact
    real = off.assign(occurred_at=pd.date_range("2024-03-02 01:17", periods=10, freq="29h"))
    b = audit_offences(real, q)
    assert b["time"]["resolution"] == "exact" and apply_time_audit(real, b) is real


def test_real_offences_without_boundaries_are_refused(tmp_path):
    from hotspot.errors import InputError

    with pytest.raises(InputError, match="areas.*never used unasked"):
        load_offences(_files(tmp_path), now="2025-12-31")

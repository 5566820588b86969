"""The data-quality audit of an offence load: what the data can and cannot say, every row counted.

:func:`audit_offences` works on the accepted offences and the quarantine of one load (from
:func:`hotspot.geography.geocode.load_offences` or :func:`hotspot.ingest.read_offences`) and
returns a plain dict (JSON-ready) for the ingest report, the manifest and the briefing:

* **months**: present, missing (gaps inside the range: a gap, never a month of zero) and abnormal
  (a month under half the median of the months present);
* **time**: the share of timestamped rows at 00:00 and on day 1 of the month; when most rows sit
  there the times are *degenerate* and are treated as unknown (hour and/or day), and said so;
  police.uk rows carry a month only;
* **No Location** rows (police.uk publishes crimes without a map point): kept in the force and
  monthly totals, left out of maps only;
* rows **outside the force** (recorded by the force, happened elsewhere);
* **duplicate ids** and which copy was kept (the located copy is preferred, then the first);
* **police.uk's own LSOA** per row against our geocode (share agreeing);
* **reconciliation**: every row read is mapped, No Location, outside, a duplicate or quarantined
  for another reason, with the original values kept for every quarantined row.

The thresholds (:data:`ABNORMAL_FRACTION`, :data:`DEGENERATE_SHARE`) are stated in the output.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from hotspot.ingest.classify import POLICEUK_SELECTION

#: A month with fewer rows than this fraction of the median month is "abnormal".
ABNORMAL_FRACTION = 0.5
#: When more than this share of timestamped rows is at 00:00 (or on day 1) the hour (the day) is
#: treated as unknown. Real times put about 1/24 of offences in the midnight hour, 1/30 on day 1.
DEGENERATE_SHARE = 0.5
#: Quarantine reasons that mean "no map point" (police.uk "No Location" rows have no coordinates).
NO_LOCATION = "missing_coordinates"
OUTSIDE = "outside_study_area"
DUPLICATE = "duplicate_id"


def _raw_value(raw: pd.Series, keys: tuple[str, ...]) -> pd.Series:
    """A field of the original values (JSON text) of quarantined rows, ``""`` when absent."""
    def get(text):
        if not isinstance(text, str) or not text:
            return ""
        try:
            d = json.loads(text)
        except ValueError:
            return ""
        for k in keys:
            if k in d and d[k] is not None:
                return str(d[k]).strip()
        return ""
    return raw.map(get) if len(raw) else pd.Series(dtype=object)


def _month_range(months) -> list[str]:
    ms = sorted(m for m in set(months) if isinstance(m, str) and len(m) == 7)
    if not ms:
        return []
    return [str(p) for p in pd.period_range(ms[0], ms[-1], freq="M")]


def _rows(offences: pd.DataFrame, quarantine: pd.DataFrame) -> pd.DataFrame:
    """One row per row read: status, id, month, crime type, published and geocoded LSOA."""
    def col(name: str, fill: object = "") -> object:
        """A column of the accepted rows as text (files geocoded elsewhere may lack some)."""
        if name not in offences.columns:
            return fill if len(offences) else []
        return offences[name].fillna("").astype(str).to_numpy() if fill == "" else offences[name].to_numpy()

    acc = pd.DataFrame({
        "status": "mapped",
        "offence_id": col("offence_id"), "month": col("month"), "crime_type": col("crime_type"),
        "published_lsoa": col("published_lsoa"), "lsoa_code": col("lsoa_code"),
        "source_file": col("source_file"), "source_line": col("source_line", fill=0),
    }, index=range(len(offences)))
    q = quarantine
    if len(q):
        raw = q["raw"] if "raw" in q else pd.Series("", index=q.index)
        month = q["month"].astype("string").fillna("") if "month" in q else pd.Series("", index=q.index)
        month = month.where(month != "", _raw_value(raw, ("Month", "month")))
        ctype = q["crime_type"].astype("string").fillna("") if "crime_type" in q else pd.Series("", index=q.index)
        ctype = ctype.where(ctype != "", _raw_value(raw, ("Crime type", "crime_type")))
        reason = q["reason"].astype(str)
        qq = pd.DataFrame({
            "status": reason.map({NO_LOCATION: "no_location", OUTSIDE: "outside_force",
                                  DUPLICATE: "duplicate"}).fillna("quarantined:" + reason).to_numpy(),
            "offence_id": q["offence_id"].fillna("").astype(str).to_numpy() if "offence_id" in q else "",
            "month": month.astype(str).to_numpy(),
            "crime_type": ctype.astype(str).to_numpy(),
            "published_lsoa": _raw_value(raw, ("LSOA code",)).to_numpy(),
            "lsoa_code": "",
            "source_file": q["source_file"].astype(str).to_numpy(),
            "source_line": q["source_line"].to_numpy(),
        })
        acc = pd.concat([acc, qq], ignore_index=True)
    return acc


def audit_offences(offences: pd.DataFrame, quarantine: pd.DataFrame, *, expected_rows: int | None = None
                   ) -> dict[str, Any]:
    """Audit one load of offences (see the module docstring).

    Parameters
    ----------
    offences : DataFrame
        Accepted offences (geocoded or not): ``offence_id, month, crime_type, occurred_at,
        time_precision``; ``lsoa_code`` and ``published_lsoa`` when present.
    quarantine : DataFrame
        Every row set aside: ``source_file, source_line, reason, offence_id`` and ``raw`` (the
        original values as JSON) and/or ``month, crime_type``.
    expected_rows : int, optional
        Rows read (e.g. ``report["totals"]["rows_read"]``); the reconciliation checks against it.

    Returns
    -------
    dict
        ``reconciliation, months, monthly, time, no_location, outside_force, duplicates,
        published_lsoa, quarantine_original_values, notes`` (see the module docstring).
    """
    rows = _rows(offences, quarantine)
    n = len(rows)
    notes: list[str] = []
    counts = rows["status"].value_counts().to_dict()
    dup_rows = int(counts.get("duplicate", 0))

    # ---- duplicates: ids on more than one row. The copy kept is the mapped one when there is one
    # (the reader only lets an id through once, and a No Location copy never blocks a located one).
    ids = rows[~rows["offence_id"].str.startswith("puk:") & (rows["offence_id"] != "")]
    multi = ids[ids["offence_id"].duplicated(keep=False)]
    table = []
    if len(multi):
        for oid, g in multi.groupby("offence_id", sort=True):
            kept = g[g["status"] == "mapped"]
            k = kept.iloc[0] if len(kept) else g.iloc[0]
            table.append({"offence_id": oid, "rows": int(len(g)),
                          "kept": f"{k['source_file']}:{int(k['source_line'])}",
                          "kept_status": str(k["status"]),
                          "others": "; ".join(f"{r.source_file}:{int(r.source_line)} ({r.status})"
                                              for r in g.itertuples() if r.Index != k.name)})
    extra = int(len(multi) - multi["offence_id"].nunique()) if len(multi) else 0
    differ_type = int((multi.groupby("offence_id")["crime_type"].nunique() > 1).sum()) if len(multi) else 0
    over_noloc = sum(1 for t in table if t["kept_status"] == "mapped" and "no_location" in t["others"])
    duplicates = {"ids": len(table), "extra_rows": extra, "quarantined_as_duplicate": dup_rows,
                  "located_kept_over_no_location": over_noloc, "differ_in_crime_type": differ_type,
                  "rule": "one row per id counts; the located copy is kept, else the first in file order",
                  "table": table}

    # ---- one row per offence for totals: drop the extra copies of repeated ids
    rank = rows["status"].map({"mapped": 0, "outside_force": 1, "no_location": 2}).fillna(3)
    order = rows.assign(_r=rank.to_numpy()).sort_values(["_r"], kind="stable")
    keyed = order["offence_id"].where(order["offence_id"] != "", "row:" + order.index.astype(str))
    unique = order[~keyed.duplicated(keep="first")].sort_index()
    counted = unique[~unique["status"].str.startswith("quarantined:") & (unique["status"] != "duplicate")]
    selected = counted["crime_type"].isin(list(POLICEUK_SELECTION))

    # ---- months
    rng = _month_range(counted["month"])
    per = counted.groupby("month").size().reindex(rng, fill_value=0)
    present = [m for m in rng if per[m] > 0]
    missing = [m for m in rng if per[m] == 0]
    med = float(np.median(per[present])) if present else 0.0
    abnormal = [m for m in present if per[m] < ABNORMAL_FRACTION * med]
    if missing:
        notes.append(f"month(s) {', '.join(missing)} are missing from the data: a gap, not a month of zero")
    if abnormal:
        notes.append(f"month(s) {', '.join(abnormal)} have under {ABNORMAL_FRACTION:.0%} of the median month "
                     f"({med:.0f} rows): check the download is complete")
    monthly = []
    for m in rng:
        c = counted[counted["month"] == m]
        s = selected[counted["month"] == m]
        monthly.append({"month": m, "status": "missing" if m in missing else ("abnormal" if m in abnormal else "ok"),
                        "recorded": int(len(c)), "mapped": int((c["status"] == "mapped").sum()),
                        "no_location": int((c["status"] == "no_location").sum()),
                        "outside_force": int((c["status"] == "outside_force").sum()),
                        "selected": int(s.sum()),
                        "selected_no_location": int((s & (c["status"] == "no_location")).sum())})

    # ---- time of day / day of month
    time = _time_audit(offences)
    if time["note"]:
        notes.append(time["note"])

    # ---- No Location, outside the force
    n_noloc = int((counted["status"] == "no_location").sum())
    no_location = {"rows": int(counts.get("no_location", 0)), "offences": n_noloc,
                   "share_of_recorded": round(n_noloc / len(counted), 4) if len(counted) else None,
                   "policy": "kept in the force and monthly totals; left out of maps (no map point)"}
    if n_noloc:
        notes.append(f"{n_noloc:,} offences ({no_location['share_of_recorded']:.1%}) have no location "
                     f"(police.uk 'No Location'): counted in force and monthly totals, not on maps")
    out_rows = rows[rows["status"] == "outside_force"]
    outside = {"rows": int(len(out_rows)),
               "with_published_lsoa": int((out_rows["published_lsoa"] != "").sum()),
               "published_lsoa_names": sorted(set(out_rows["published_lsoa"]) - {""})[:20]}

    if len(out_rows):
        notes.append(f"{len(out_rows):,} rows lie outside the study area (recorded by the force, placed "
                     f"elsewhere; {outside['with_published_lsoa']:,} with a police.uk LSOA outside it): "
                     f"counted in force totals, quarantined from maps with their original values")
    if table:
        notes.append(f"{len(table):,} ids appear on more than one row ({extra:,} extra rows): one offence each; "
                     f"the located copy is kept ({over_noloc:,} over a No Location copy), else the first")

    # ---- police.uk's own LSOA against ours
    mapped = rows[(rows["status"] == "mapped") & (rows["published_lsoa"] != "") & (rows["lsoa_code"] != "")]
    agree = int((mapped["published_lsoa"] == mapped["lsoa_code"]).sum())
    published = {"compared": int(len(mapped)), "agree": agree,
                 "share_agree": round(agree / len(mapped), 4) if len(mapped) else None}
    if len(mapped):
        notes.append(f"police.uk's own LSOA agrees with our geocode for {published['share_agree']:.1%} of "
                     f"{len(mapped):,} mapped rows (police.uk snaps points to anonymised map points)")

    # ---- original values kept for every quarantined row
    q = quarantine
    kept_raw = int((q["raw"].fillna("").astype(str) != "").sum()) if ("raw" in q and len(q)) else 0

    mapped_n = int(counts.get("mapped", 0))
    other = {k.split(":", 1)[1]: int(v) for k, v in counts.items() if str(k).startswith("quarantined:")}
    recon: dict[str, Any] = {"rows_read": n, "mapped": mapped_n, "no_location": int(counts.get("no_location", 0)),
             "outside_force": int(counts.get("outside_force", 0)), "duplicate": dup_rows,
             "other_quarantined": other}
    total = recon["mapped"] + recon["no_location"] + recon["outside_force"] + dup_rows + sum(other.values())
    recon["balanced"] = bool(total == n and (expected_rows is None or expected_rows == n))
    if expected_rows is not None:
        recon["expected_rows"] = int(expected_rows)
    return {
        "reconciliation": recon,
        "force_total": {"offences": int(len(counted)), "selected": int(selected.sum()),
                        "selected_label": "Violence and sexual offences, and robbery (police.uk categories)",
                        "rule": "one per id; mapped, No Location and outside-the-force rows all count"},
        "months": {"present": present, "missing": missing, "abnormal": abnormal, "median_rows": med,
                   "abnormal_rule": f"under {ABNORMAL_FRACTION:g} x the median month"},
        "monthly": monthly, "time": time, "no_location": no_location, "outside_force": outside,
        "duplicates": duplicates, "published_lsoa": published,
        "quarantine_original_values": {"rows": int(len(q)), "with_original_values": kept_raw},
        "notes": notes,
    }


def _time_audit(offences: pd.DataFrame) -> dict[str, Any]:
    t = offences["occurred_at"] if "occurred_at" in offences else pd.Series(dtype="datetime64[ns]")
    t = pd.to_datetime(t, errors="coerce")
    has = t.notna()
    n = int(has.sum())
    out: dict[str, Any] = {"rows": int(len(offences)), "rows_with_time": n, "month_only_rows": int(len(offences) - n),
                           "share_midnight": None, "share_day1": None, "hour_known": False, "day_known": False,
                           "degenerate_rule": f"over {DEGENERATE_SHARE:.0%} of timestamps at 00:00 (on day 1)",
                           "resolution": "month", "note": ""}
    if n == 0:
        if len(offences):
            out["note"] = ("times not available: the data give the month only (police.uk), so day-of-week "
                           "and hour outputs are not available")
        return out
    tt = t[has]
    mid = float(((tt.dt.hour == 0) & (tt.dt.minute == 0)).mean())
    day1 = float((tt.dt.day == 1).mean())
    out.update(share_midnight=round(mid, 4), share_day1=round(day1, 4))
    out["hour_known"] = mid <= DEGENERATE_SHARE
    out["day_known"] = day1 <= DEGENERATE_SHARE
    out["resolution"] = "exact" if out["hour_known"] and out["day_known"] else (
        "day" if out["day_known"] else "month")
    if not out["hour_known"] or not out["day_known"]:
        what = "day and hour" if not out["day_known"] else "hour"
        out["note"] = (f"{mid:.0%} of timestamps are at 00:00 and {day1:.0%} on day 1 of the month: the "
                       f"{what} are degenerate (placeholders) and treated as unknown")
    return out


def apply_time_audit(offences: pd.DataFrame, audit: dict) -> pd.DataFrame:
    """Mark degenerate timestamps as unknown: ``time_precision`` becomes ``"month"`` (day unknown) or
    ``"day"`` (hour unknown) on the timestamped rows, so no day-of-week or hour output uses them."""
    time = audit.get("time", {})
    res = time.get("resolution")
    if res in (None, "exact") or not time.get("rows_with_time"):
        return offences
    out = offences.copy()
    has = pd.to_datetime(out["occurred_at"], errors="coerce").notna()
    out.loc[has, "time_precision"] = res
    return out


def audit_tables(audit: dict) -> dict[str, pd.DataFrame]:
    """The audit's tables for CSV output: ``monthly`` and ``duplicates``."""
    return {"monthly": pd.DataFrame(audit["monthly"]),
            "duplicates": pd.DataFrame(audit["duplicates"]["table"],
                                       columns=["offence_id", "rows", "kept", "kept_status", "others"])}

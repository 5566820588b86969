"""Real police.uk data (../shared/real): public tables of real counts pass the independent scan,
the same tables unredacted do not."""

from __future__ import annotations

import pandas as pd
from tests.realdata import IMD_FILE6, POLICE

from hotspot.ingest import read_offences
from hotspot.io import write_csv
from hotspot.publish import redact
from hotspot.publish.scan import scan_folder


def test_real_lsoa_table_public_copy_passes_the_scan(real, tmp_path):
    files = sorted(POLICE.glob("*.csv.gz"))[:2]
    res = read_offences(files, now="2025-07-01")
    assert len(res.accepted) > 10_000
    assert "implausible_date" not in res.report["totals"]["by_reason"]   # real months are plausible
    pop = pd.read_csv(IMD_FILE6, thousands=",")
    pop = pop.rename(columns={pop.columns[0]: "lsoa_code", pop.columns[1]: "name",
                              "Total population: mid 2015 (excluding prisoners)": "population"})
    # police.uk rows carry their LSOA code; robbery stands in for knife (a real small-count column)
    raw = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    raw = raw[raw["LSOA code"].notna()]
    tab = raw.groupby("LSOA code").agg(offences=("Crime type", "size"),
                                       robbery=("Crime type", lambda s: int((s == "Robbery").sum())))
    tab = tab.reset_index().rename(columns={"LSOA code": "lsoa_code", "robbery": "knife"})
    tab = tab.merge(pop[["lsoa_code", "name", "population"]], on="lsoa_code", how="inner")
    tab["offences_per_1000"] = tab["offences"] / tab["population"] * 1000
    tab["knife_per_1000"] = tab["knife"] / tab["population"] * 1000
    tab["handling"] = "OFFICIAL"
    assert ((tab["knife"] > 0) & (tab["knife"] < 5)).sum() > 50          # real small counts exist
    (tmp_path / "full").mkdir()
    write_csv(tmp_path / "full" / "areas_lsoa.csv", tab)
    found = scan_folder(tmp_path / "full")
    assert {"small_count", "recoverable"} <= {f.rule for f in found}
    (tmp_path / "public").mkdir()
    write_csv(tmp_path / "public" / "areas_lsoa.csv", redact.public_table(tab, threshold=5))
    assert scan_folder(tmp_path / "public") == []

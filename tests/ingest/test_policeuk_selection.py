"""police.uk rows: the analysed set is "Violence and sexual offences" + "Robbery", named so; knife and
domestic are NA ("not available"), never False. Timestamped extracts keep the serious-violence rules."""

from __future__ import annotations

import pandas as pd

from hotspot.ingest.classify import (
    POLICEUK_SELECTION_LABEL,
    SERIOUS_VIOLENCE_LABEL,
    classify,
    flag_known,
    selection_label,
)
from hotspot.ingest.validate import read_offences

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context\n")


def _policeuk(tmp_path):
    rows = [
        "a1,2025-06,Avon and Somerset Constabulary,Avon and Somerset Constabulary,-2.59,51.45,On or near X,"
        "E01014540,Bristol 032B,Violence and sexual offences,Under investigation,",
        "a2,2025-06,Avon and Somerset Constabulary,Avon and Somerset Constabulary,-2.59,51.45,On or near X,"
        "E01014540,Bristol 032B,Robbery,Under investigation,",
        "a3,2025-06,Avon and Somerset Constabulary,Avon and Somerset Constabulary,-2.59,51.45,On or near X,"
        "E01014540,Bristol 032B,Shoplifting,Under investigation,",
    ]
    p = tmp_path / "2025-06-avon-and-somerset-street.csv"
    p.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def test_policeuk_rows_analysed_as_vso_and_robbery(tmp_path):
    res = read_offences(_policeuk(tmp_path), now="2025-12-31")
    acc = res.accepted.set_index("offence_id")
    assert acc["serious_violence"].to_dict() == {"a1": True, "a2": True, "a3": False}
    assert acc.loc["a1", "sv_category"] == "violence_and_sexual_offences"
    assert acc.loc["a2", "sv_category"] == "robbery"
    assert "vap_injury" not in set(acc["sv_category"])
    assert acc["knife"].isna().all() and acc["domestic"].isna().all()
    assert not flag_known(res.accepted, "knife")
    assert selection_label(res.accepted) == POLICEUK_SELECTION_LABEL
    assert POLICEUK_SELECTION_LABEL == "Violence and sexual offences, and robbery (police.uk categories)"


def test_timestamped_rows_keep_the_rules():
    df = pd.DataFrame({"crime_type": ["Violence and sexual offences"] * 2 + ["Robbery"],
                       "offence_subtype": ["Assault with injury", "Assault without injury", ""],
                       "knife": pd.array([False, False, True], dtype="boolean"),
                       "domestic": pd.array([False, False, False], dtype="boolean"),
                       "time_precision": "exact"})
    out = classify(df)
    assert out["sv_category"].tolist() == ["vap_injury", "", "vap_knife"]
    assert selection_label(out) == SERIOUS_VIOLENCE_LABEL and flag_known(out, "knife")


def test_unknown_knife_flag_never_matches_a_knife_rule():
    df = pd.DataFrame({"crime_type": ["Robbery"], "offence_subtype": [""],
                       "knife": pd.array([None], dtype="boolean"), "domestic": pd.array([None], dtype="boolean")})
    assert classify(df)["sv_category"].tolist() == ["robbery"]

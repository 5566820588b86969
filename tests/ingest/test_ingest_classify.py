"""Serious-violence rules: defaults, precedence, overrides and rule validation."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot.errors import ConfigError
from hotspot.ingest.classify import DEFAULT_RULES, classify, load_rules
from hotspot.schema import SV_CATEGORIES

VSO = "Violence and sexual offences"


def _df(rows):
    return pd.DataFrame(rows, columns=["crime_type", "offence_subtype", "knife", "domestic"])


def test_defaults():
    df = _df([
        (VSO, "Murder", False, False),
        (VSO, "Attempted murder", False, False),
        (VSO, "Assault with injury", False, False),
        (VSO, "Assault without injury", False, False),
        (VSO, "Wounding with intent to do GBH", False, False),
        (VSO, "Actual bodily harm", False, False),
        (VSO, "Rape of a female aged 16 and over", False, False),
        (VSO, "Sexual assault on a female", False, False),
        (VSO, "Harassment", True, False),
        ("Robbery", "", False, False),
        ("Robbery", "", True, False),
        (VSO, "", False, False),
        ("Possession of weapons", "Possession of article with blade or point", True, False),
        ("Burglary", "", False, False),
        (VSO, "Assault with injury", False, True),
        ("Robbery", "", False, True),
        (VSO, "Assault without injury", False, True),
    ])
    out = classify(df)
    assert list(out["sv_category"]) == [
        "homicide", "", "vap_injury", "", "vap_injury", "vap_injury", "sexual", "sexual", "vap_knife",
        "robbery", "vap_knife", "", "", "", "domestic_serious", "domestic_serious", ""]
    assert list(out["serious_violence"]) == [c != "" for c in out["sv_category"]]
    assert set(out["sv_category"]) - {""} <= set(SV_CATEGORIES)
    assert "serious_violence" not in df.columns  # input untouched


def test_override_from_toml(tmp_path):
    toml = tmp_path / "rules.toml"
    toml.write_text('''
domestic_takes_precedence = false
order = ["homicide", "sexual", "vap_knife", "robbery", "vap_injury"]
[categories.vap_knife]
crime_types = ["Violence and sexual offences", "Robbery", "Possession of weapons"]
[categories.vap_injury]
subtype_pattern = ""
exclude_pattern = ""
''')
    df = _df([("Possession of weapons", "", True, False), (VSO, "", False, False),
              (VSO, "Assault with injury", False, True)])
    out = classify(df, toml)
    assert list(out["sv_category"]) == ["vap_knife", "vap_injury", "vap_injury"]
    # dict override, category disabled
    out = classify(df, {"categories": {"vap_injury": {"enabled": False}}})
    assert list(out["sv_category"]) == ["", "", ""]
    assert DEFAULT_RULES["categories"]["vap_injury"].get("enabled", True)  # defaults not mutated


@pytest.mark.parametrize("rules, key", [
    ({"categories": {"knife": {}}}, "categories.knife"),
    ({"categories": {"robbery": {"crime_types": ["Mugging"]}}}, "categories.robbery.crime_types"),
    ({"categories": {"sexual": {"subtype_pattern": "(unclosed"}}}, "categories.sexual.subtype_pattern"),
    ({"categories": {"sexual": {"colour": "red"}}}, "categories.sexual.colour"),
    ({"order": ["robbery", "robbery"]}, "order"),
    ({"domestic_takes_precedence": "yes"}, "domestic_takes_precedence"),
    ({"severity": 3}, "severity"),
])
def test_bad_rules_name_the_key(rules, key):
    with pytest.raises(ConfigError, match=key):
        load_rules(rules)

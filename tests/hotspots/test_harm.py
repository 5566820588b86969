"""Harm index tables: reading, matching by offence code and police.uk type, overrides, rankings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot.errors import InputError
from hotspot.grid.binning import count_points
from hotspot.grid.spec import GridSpec
from hotspot.hotspots.gistar import gistar
from hotspot.hotspots.harm import load_harm_index, rank_count_and_harm
from hotspot.hotspots.kde import kde


def _table(tmp_path):
    p = tmp_path / "harm.csv"
    # values are test inputs (made up for the test), not a published index
    p.write_text("key,weight,source\n008/01,100,test table\n8/6,40,test table\n"
                 "Robbery,30,test table\nViolence and sexual offences,10,test table\n")
    return p


def test_codes_then_types_then_default(tmp_path):
    idx = load_harm_index(_table(tmp_path))
    assert idx.by_code == {"008/01": 100.0, "008/06": 40.0}
    off = pd.DataFrame({
        "crime_type": ["Violence and sexual offences", "Violence and sexual offences", "Robbery",
                       "Burglary", "Violence and sexual offences"],
        "offence_subtype": ["008/01 GBH with intent", "8/6 ABH", "", "", "Common assault"],
    })
    np.testing.assert_array_equal(idx.weights(off), [100, 40, 30, 1, 10])
    assert idx.unmatched(off) == {"Burglary": 1}
    assert np.isnan(idx.lookup(off)[3])
    assert idx.source == "test table"


def test_toml_override_replaces_entries(tmp_path):
    over = tmp_path / "over.toml"
    over.write_text('source = "local review"\n[weights]\nRobbery = 55\n"Possession of weapons" = 20\n')
    idx = load_harm_index(_table(tmp_path), override=over)
    assert idx.by_type["Robbery"] == 55 and idx.by_type["Possession of weapons"] == 20
    assert "local review" in idx.source


@pytest.mark.parametrize("text,match", [("key,weight\nRobbery,abc\n", "not a number"),
                                        ("key,weight\nRobbery,-1\n", ">= 0"),
                                        ("name,value\nRobbery,1\n", "'key'")])
def test_bad_tables_name_the_problem(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=match):
        load_harm_index(p)


def test_kde_and_gistar_take_harm_weights():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5000, 400)
    y = rng.uniform(0, 5000, 400)
    w = np.where(np.arange(400) < 20, 50.0, 1.0)  # 20 high-harm offences
    x[:20] = rng.normal(2500, 60, 20)
    y[:20] = rng.normal(2500, 60, 20)
    spec = GridSpec.from_bounds((0, 0, 5000, 5000), 100)
    surf = kde(x, y, spec, bandwidth=300, weights=w)
    assert surf.attrs["total_weight"] == pytest.approx(w.sum())
    harm = count_points(x, y, spec, weights=w)
    ds = gistar(harm, 300)
    # the harm cluster is significant on the harm grid ...
    assert ds["gi_class"].values[25, 25] == 3
    # ... and the scale of harm values does not change the test (harm / phi is what is tested)
    ds10 = gistar(count_points(x, y, spec, weights=10 * w), 300)
    np.testing.assert_array_equal(ds["gi_class"].values, ds10["gi_class"].values)


def test_rank_count_and_harm_side_by_side():
    places = pd.DataFrame({"place": list("abcd"), "count": [10, 8, 3, 1], "harm": [20, 80, 90, 1]})
    r = rank_count_and_harm(places, top=2)
    assert list(r["place"]) == ["c", "b", "a"]
    assert r.set_index("place")["rank_count"].to_dict() == {"c": 3, "b": 2, "a": 1}
    assert r.set_index("place")["in_both"].to_dict() == {"c": False, "b": True, "a": False}


def test_shipped_ons_css_table_matches_classification_codes():
    """The shipped ONS CSS table keys codes as the recorded crime tables print them (8N, 105A)."""
    idx = load_harm_index("ons-css")
    off = pd.DataFrame({
        "crime_type": ["Violence and sexual offences"] * 4 + ["Robbery", "Robbery"],
        "offence_code": ["8N", "08n", "4.10", "1", "34B", ""],
    })
    w = idx.lookup(off)
    # published weights (ONS CSS 'List of weights', the shipped edition): assault with injury
    # 189.15, homicide (key "1, 4.1/2/10") 7,973.39, robbery of personal property 799.63
    np.testing.assert_allclose(w, [189.1538871, 189.1538871, 7973.393423, 7973.393423,
                                   799.6288702, 799.6288702], rtol=1e-9)
    # robbery's two codes weigh the same, so a police.uk robbery row (no code) has that weight;
    # violence and sexual offences' codes do not, so such a row has none, and the range says why
    assert idx.by_type["Robbery"] == pytest.approx(799.6288702)
    lo, hi = idx.ranges["Violence and sexual offences"]
    assert lo == pytest.approx(7.543806, rel=1e-6) and hi == pytest.approx(7973.393423)


def test_policeuk_violence_has_no_weight_and_the_reason_names_the_range():
    idx = load_harm_index("ons-css")
    off = pd.DataFrame({"crime_type": ["Violence and sexual offences", "Robbery"], "offence_code": ["", ""]})
    w = idx.lookup(off)
    assert np.isnan(w[0]) and w[1] == pytest.approx(799.6288702)
    why = idx.why_unmatched(idx.unmatched(off, w))
    assert "1 Violence and sexual offences" in why and "7.5 to 7,973.4" in why and "harm_override" in why


def test_override_gives_a_policeuk_category_a_weight(tmp_path):
    over = tmp_path / "local.csv"
    over.write_text("key,weight,source\nViolence and sexual offences,120,local derivation\n")
    idx = load_harm_index("ons-css", override=over)
    off = pd.DataFrame({"crime_type": ["Violence and sexual offences"], "offence_code": [""]})
    assert idx.lookup(off)[0] == 120 and "local derivation" in idx.source

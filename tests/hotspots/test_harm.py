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
    assert idx.unmatched == {"Burglary": 1}
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

import pytest

from hotspot import config
from hotspot.errors import ConfigError


def test_defaults_are_the_commented_example():
    c = config.load(None)
    assert c.hotspots["kernel"] == "quartic" and c.forecast["horizon_days"] == 7
    assert c.routes["start"] == [51.4545, -2.5879]


@pytest.mark.parametrize("raw, key, words", [
    ({"hotspot": {}}, "hotspot", "unknown section"),
    ({"hotspots": {"cell": 100}}, "hotspots.cell", "unknown key"),
    ({"hotspots": {"cell_m": "100"}}, "hotspots.cell_m", "must be a number"),
    ({"hotspots": {"cell_m": -5}}, "hotspots.cell_m", "greater than 0"),
    ({"hotspots": {"permutations": 9.5}}, "hotspots.permutations", "whole number"),
    ({"hotspots": {"serious_only": 1}}, "hotspots.serious_only", "true/false"),
    ({"hotspots": {"kernel": "box"}}, "hotspots.kernel", "choose one of"),
    ({"forecast": {"horizon_days": 14}}, "forecast.horizon_days", "choose one of"),
    ({"cycle": {"end": "30/06/2021"}}, "cycle.end", "YYYY-MM-DD"),
    ({"routes": {"start": [2.5, 51.4]}}, "routes.start", "latitude, longitude"),
    ({"inputs": {"offences": [1, 2]}}, "inputs.offences", "list of file"),
    ({"inputs": {"tolerance_m": -1}}, "inputs.tolerance_m", "0 or more"),
    ({"outputs": "yes"}, "outputs", "[section] table"),
])
def test_each_kind_of_bad_key_names_the_key_and_the_fix(raw, key, words):
    with pytest.raises(ConfigError) as err:
        config.validate(raw)
    assert f"'{key}'" in str(err.value) and words in str(err.value)


def test_ints_are_accepted_where_numbers_are_wanted():
    assert config.validate({"hotspots": {"cell_m": 50}}).hotspots["cell_m"] == 50.0


def test_files(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(config.EXAMPLE.replace('id = "auto"', 'id = "wk26"'))
    c = config.load(p)
    assert c.cycle["id"] == "wk26" and c.base_dir == tmp_path
    assert c.path("x/y.csv") == tmp_path / "x" / "y.csv" and c.path("") is None
    p.write_text("[cycle\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(p)
    with pytest.raises(ConfigError, match="hotspot init"):
        config.load(tmp_path / "missing.toml")

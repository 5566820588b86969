"""The oracle intensity (synth_oracle.py) against fresh draws of the generator it describes.

The expected values come from the generator itself (a new realisation with another seed), never
from the oracle code: if the oracle mis-states a weight, a place, the restriction factors or the
near-repeat share, the realised counts leave its predictions by many standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.forecast.synth_oracle import Oracle, SynthIntensity

from hotspot.forecast.baselines import Counting
from hotspot.forecast.features import build_panel
from hotspot.forecast.metrics import hotspot_scores
from hotspot.grid.universe import Universe
from hotspot.synth import SEED
from hotspot.synth import offences as O
from hotspot.synth.world import build_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def drawn():
    """The embedded world's geography, a NEW draw of its offences (seed 1) and the oracle."""
    world = build_world(np.random.default_rng(SEED))
    ev = O.generate_offences(world, np.random.default_rng(1))
    sv = ev[ev["sv_flag"]].rename(columns={"sv_flag": "serious_violence"})
    universe = Universe.from_polygon(world.force, 250.0)
    return sv, universe, SynthIntensity.build(world, universe)


def _weekly_bins(sv, universe, intensity, weeks):
    """Observed and oracle-expected counts per (week, cell group); groups: the cells where NTE
    centres, other places and the background put most of their mass."""
    panel = build_panel(sv, universe, start=O.START, end=O.END)
    nte = sum(v for k, v in intensity.pmf.items() if k[1] == "nte")
    place = sum(v for k, v in intensity.pmf.items() if k[1] == "place")
    bg = sum(v for k, v in intensity.pmf.items() if k[1] == "background")
    group = np.argmax(np.vstack([nte, place, bg]), axis=0)
    group[(nte + place + bg) == 0] = -1
    obs, exp = [], []
    for o in weeks:
        y = panel.target(o, 7)
        lam = intensity.intensity(o, 7)
        for g in range(3):
            obs.append(y[group == g].sum())
            exp.append(lam[group == g].sum())
    return np.array(obs), np.array(exp)


def test_oracle_matches_a_fresh_draw_week_by_week(drawn):
    sv, universe, intensity = drawn
    # every fourth week of 2018-2021, lockdowns and reopenings included
    weeks = pd.date_range("2018-01-08", "2021-06-14", freq="28D")
    obs, exp = _weekly_bins(sv, universe, intensity, weeks)
    z = (obs - exp) / np.sqrt(exp)
    assert np.all(exp > 5)
    assert abs(obs.sum() / exp.sum() - 1) < 0.02
    assert np.max(np.abs(z)) < 4.5, z.round(1)
    assert 0.6 < np.mean(z ** 2) < 1.5, np.mean(z ** 2)


def test_oracle_spatial_ranking_matches_a_fresh_draw(drawn):
    sv, universe, intensity = drawn
    panel = build_panel(sv, universe, start=O.START, end=O.END)
    y = panel.cum_row(panel.n_days)
    lam = sum(intensity.intensity(o, 28) for o in pd.date_range(O.START, "2021-06-02", freq="28D"))
    order = np.argsort(-lam, kind="stable")
    for a, b in [(0, 50), (50, 200), (200, 800), (800, 4000), (4000, 20000)]:
        e, o = lam[order[a:b]].sum(), y[order[a:b]].sum()
        assert abs(o - e) < 4.5 * np.sqrt(e), (a, b, o, e)


def test_oracle_captures_more_than_counting_on_a_fresh_draw(drawn):
    """On a world it was not tuned to, the true intensity puts more of the next weeks' offences in
    the top 5% of the area than ranking by all past counts does (summed over 10 weekly origins)."""
    sv, universe, intensity = drawn
    panel = build_panel(sv, universe, start=O.START, end=O.END)
    oracle, counting = Oracle(intensity).fit(panel), Counting().fit(panel)
    hits = {"oracle": 0.0, "counting": 0.0}
    for o in pd.date_range("2021-04-15", periods=10, freq="7D"):
        y = panel.target(o, 7)
        for name, m in (("oracle", oracle), ("counting", counting)):
            sc = hotspot_scores(m.predict(o, 7), y, area=panel.area, total_area=panel.total_area_m2,
                                shares=(0.05,))
            hits[name] += sc["hit_rate"][0.05]
    assert hits["oracle"] > hits["counting"]


def test_near_repeat_oracle_matches_the_excess_near_recent_offences(drawn):
    """Cells holding an offence of the last 3 days before an origin receive more offences in the
    horizon than the unconditional intensity says (the generator's near repeats); the oracle that
    reads the history accounts for that excess."""
    sv, universe, intensity = drawn
    panel = build_panel(sv, universe, start=O.START, end=O.END)
    obs = plain = cond = 0.0
    for o in pd.date_range("2019-01-03", "2021-06-17", freq="14D"):
        recent = panel.window(o - pd.Timedelta(days=3), o) > 0
        obs += panel.target(o, 7)[recent].sum()
        plain += intensity.intensity(o, 7)[recent].sum()
        cond += intensity.near_repeat_intensity(o, 7, sv)[recent].sum()
    assert abs(obs - cond) < 4 * np.sqrt(cond), (obs, cond, plain)
    assert obs - plain > 4 * np.sqrt(plain), (obs, cond, plain)

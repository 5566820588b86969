"""The embedded generator's own expected serious-violence counts per unit: an oracle forecast.

The embedded world (:mod:`hotspot.synth.offences`) is a marked point process whose intensity is
known: per local authority (LA), three components (night-time-economy centres, other named places,
residential background) with a daily expected count each, times a fixed spatial density per
component; then 7% of events are re-placed as near repeats of a uniformly chosen earlier event of
the same LA (time + Exp(3 days), place + N(0, 40 m)). This module writes that intensity down
exactly (not by Monte Carlo) for the serious-violence family, on the cells of a
:class:`~hotspot.grid.universe.Universe`:

- **time**: the generator draws each LA-year's count (exact, largest remainder) as one multinomial
  over (component, day) with probabilities ``lam / lam.sum()``; the expected count of a component
  on a day is ``n_la * lam[c, d] / lam.sum()`` (the generator's own weight functions are called);
- **space**: background events pick a 125 m density cell with weight ``density * exp(0.55 *
  deprivation)`` among the LA's cells and fall uniformly within +-60 m of its centre (so wholly
  inside one BNG-aligned 250 m cell); place and NTE events are a Gaussian (300 m / 200 m) around a
  place chosen with weight 3 for city/town centres, 1 otherwise, truncated to the force outline
  (the generator re-draws points outside it): integrated by the midpoint rule on a 12.5 m sub-grid;
- **near repeats**: a base event becomes a child with probability 0.07 (so 93% of the base
  intensity stays where it was drawn) and each base event is a parent of 0.07 children on average,
  placed at its own (pre-move) time plus the lag and its place plus N(0, 40 m) (background: the
  uniform square convolved with the Gaussian, in closed form; places: Gaussian of sd
  ``sqrt(sd^2 + 40^2)``; truncation of the 40 m jitter to the outline is ignored).

Three forecasts are built on it:

- :class:`Oracle`: the true intensity unconditional on the past (children of parents before the
  origin spread as the parents' expected density);
- :class:`OracleStatic`: the whole period's average spatial density (what the oracle knows
  without the timing of the components);
- :class:`OracleNearRepeat`: the true intensity, but children of parents before the origin are placed
  around the OBSERVED offences before the origin (each contributes ``0.07 * P(lag lands in the
  horizon)`` spread N(0, 40 m) around it), which is what the history tells about the horizon
  beyond the intensity. It approximates the true conditional intensity: 7% of observed offences
  are themselves children (their parent position is not theirs), and it ignores that the yearly
  totals are fixed (knowing the year-to-date count shifts an LA's remaining expectation by about
  1-2%).

It needs the generator (:mod:`hotspot.synth`), so it lives with the tests and benchmarks: the
library's forecasting layer must not import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.special import ndtr

from hotspot.grid.universe import Universe
from hotspot.synth import offences as O
from hotspot.synth import places as P
from hotspot.synth.world import World, allocate, deprivation_field, la_reference

#: Near-repeat parameters of :func:`hotspot.synth.offences._events` (serious violence).
NEAR_REPEAT_SHARE = 0.07
NEAR_REPEAT_LAG_DAYS = 3.0
NEAR_REPEAT_SD = 40.0
#: Scatter of the named places and NTE centres, half-width of a background point around its
#: 125 m density cell, and the deprivation exponent of the background weight.
PLACE_SD = {"place": 300.0, "nte": 200.0}
BACKGROUND_HALF = 60.0
DEPRIVATION_EXPONENT = 0.55
COMPONENTS = ("background", "place", "nte")


def component_days(targets: dict[int, int] | None = None) -> tuple[pd.DatetimeIndex, dict]:
    """Expected base events (before near-repeat moves) per (LA, component) and day.

    Returns
    -------
    days : DatetimeIndex
        Every day of the generator's period.
    expected : dict of (la, component) -> ndarray
        Expected count per day (sums to the LA-year totals of ``targets``).
    """
    targets = O.SV_TARGETS if targets is None else targets
    days = pd.date_range(O.START, O.END, freq="D")
    regime = O.regime_by_day(days)
    kidx = O.knife_index(days)
    ref = O.reference_day_hour()
    nte = O.nte_day_hour(ref)
    la_ref = la_reference()
    sv_rate = la_ref["serious_violence_per_1000_annual_2yr"] * la_ref["population"]
    la_names = [name for _, name, _ in P.LA_TABLE]
    la_share = sv_rate.loc[la_names].to_numpy()
    year_of_day = days.year.to_numpy()
    normal = year_of_day == 2019
    weights = {la: O._daily_weights(days, la, regime, kidx, ref, nte) for la in la_names}
    out: dict[tuple[str, str], np.ndarray] = {}
    for year, total in targets.items():
        n_la = allocate(total, la_share)
        ymask = year_of_day == year
        for li, la in enumerate(la_names):
            w = weights[la]
            s_nte, s_place = O.COMPONENT_SHARES[la]
            shares = {"nte": s_nte, "place": s_place, "background": 1.0 - s_nte - s_place}
            comps = [c for c in ("background", "place", "nte") if shares[c] > 0]
            lam = np.concatenate([shares[c] * w[c][ymask] / w[c][normal].mean() for c in comps])
            p = lam / lam.sum()
            nd = int(ymask.sum())
            for ci, c in enumerate(comps):
                out.setdefault((la, c), np.zeros(len(days)))[ymask] = n_la[li] * p[ci * nd:(ci + 1) * nd]
    return days, out


def hour_tables() -> dict[str, np.ndarray]:
    """Hour-of-day probabilities per component and weekday, shape (7, 24) (the generator's)."""
    ref = O.reference_day_hour()
    nte = O.nte_day_hour(ref)
    r = ref / ref.sum(axis=1, keepdims=True)
    return {"background": r, "place": r, "nte": nte / nte.sum(axis=1, keepdims=True)}


def _cell_of(universe: Universe, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Universe index of the cell holding each point (-1 outside the universe)."""
    c = universe.cell
    x0 = np.floor(np.asarray(x, float) / c) * c
    y0 = np.floor(np.asarray(y, float) / c) * c
    keys = pd.Index([f"{a:.0f}_{b:.0f}" for a, b in zip(x0, y0)])
    return universe.units.get_indexer(keys)


def _vector(universe: Universe, idx: np.ndarray, p: np.ndarray) -> np.ndarray:
    ok = idx >= 0
    return np.bincount(idx[ok], weights=p[ok], minlength=len(universe))


def _gaussian_pmf(universe: Universe, force, cx: float, cy: float, sd: float,
                  step: float = 12.5) -> np.ndarray:
    """Mass per universe cell of N((cx, cy), sd^2 I) truncated to ``force`` (midpoint rule)."""
    c = universe.cell
    r = 6.0 * sd
    xs = np.arange(np.floor((cx - r) / c) * c + step / 2, cx + r, step)
    ys = np.arange(np.floor((cy - r) / c) * c + step / 2, cy + r, step)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    w = np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sd * sd))
    w = w * shapely.contains_xy(force, gx, gy)
    w /= w.sum()
    return _vector(universe, _cell_of(universe, gx, gy), w)


def _phi_int(z: np.ndarray) -> np.ndarray:
    """Antiderivative of the normal CDF: ``z Phi(z) + phi(z)``."""
    return z * ndtr(z) + np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def _uniform_plus_normal_cdf(a: np.ndarray, centre: np.ndarray, half: float, sd: float) -> np.ndarray:
    """P(U + N <= a) for U uniform on [centre - half, centre + half] and N ~ N(0, sd^2)."""
    return sd / (2 * half) * (_phi_int((a - centre + half) / sd) - _phi_int((a - centre - half) / sd))


def _spread_1d(centre: np.ndarray, half: float, sd: float, cell: float):
    """Probabilities of landing one cell below, in, and one cell above the cell holding ``centre``
    (a uniform of half-width ``half`` plus N(0, sd^2); ``half = 0``: a point plus the Gaussian)."""
    lo = np.floor(centre / cell) * cell
    if half > 0:
        f_lo = _uniform_plus_normal_cdf(lo, centre, half, sd)
        f_hi = _uniform_plus_normal_cdf(lo + cell, centre, half, sd)
    else:
        f_lo, f_hi = ndtr((lo - centre) / sd), ndtr((lo + cell - centre) / sd)
    return np.stack([f_lo, f_hi - f_lo, 1.0 - f_hi]), lo


def _spread_2d(universe: Universe, x: np.ndarray, y: np.ndarray, w: np.ndarray, half: float,
               sd: float) -> np.ndarray:
    """Mass per universe cell of weights ``w`` at points (or 2*half squares) blurred by N(0, sd^2)."""
    c = universe.cell
    px, x0 = _spread_1d(np.asarray(x, float), half, sd, c)
    py, y0 = _spread_1d(np.asarray(y, float), half, sd, c)
    out = np.zeros(len(universe))
    for i, dx in enumerate((-1, 0, 1)):
        for j, dy in enumerate((-1, 0, 1)):
            out += _vector(universe, _cell_of(universe, x0 + dx * c + c / 2, y0 + dy * c + c / 2),
                           w * px[i] * py[j])
    return out


@dataclass
class SynthIntensity:
    """The generator's serious-violence intensity on a universe's cells.

    Attributes
    ----------
    days : DatetimeIndex
    expected : dict of (la, component) -> ndarray
        Expected base events per day.
    pmf, pmf_child : dict of (la, component) -> ndarray
        Share of the component's base events, and of their near-repeat children, per universe
        cell (sums to at most 1: mass in cells outside the universe is lost, as in the panel).
    hours : dict of component -> (7, 24) hour probabilities
    """

    universe: Universe
    days: pd.DatetimeIndex
    expected: dict
    pmf: dict
    pmf_child: dict
    hours: dict

    @classmethod
    def build(cls, world: World, universe: Universe, targets: dict[int, int] | None = None) -> SynthIntensity:
        """Spatial densities from the world's layers and daily expectations from the generator."""
        if universe.kind != "cell":
            raise ValueError("the oracle is written for grid cells")
        days, expected = component_days(targets)
        force = world.force.geometry.iat[0]
        shapely.prepare(force)
        gx, gy, dens = world.density
        cell_w = dens * np.exp(DEPRIVATION_EXPONENT * deprivation_field(gx, gy))
        la_of_cell = np.full(gx.size, -1)
        for i, g in enumerate(world.la.geometry.values):
            la_of_cell[shapely.contains_xy(g, gx, gy)] = i
        places = O.hotspot_places()
        pmf: dict = {}
        child: dict = {}
        for li, (_, la, _) in enumerate(P.LA_TABLE):
            m = la_of_cell == li
            w = cell_w[m] / cell_w[m].sum()
            pmf[(la, "background")] = _vector(universe, _cell_of(universe, gx[m], gy[m]), w)
            child[(la, "background")] = _spread_2d(universe, gx[m], gy[m], w, BACKGROUND_HALF,
                                                   NEAR_REPEAT_SD)
            for comp, sd in PLACE_SD.items():
                cand = places[(places["la"] == la) & (places["component"] == comp)]
                if len(cand) == 0:
                    continue
                pw = np.where(cand["place"].str.contains("city centre|town centre"), 3.0, 1.0)
                pw = pw / pw.sum()
                sd_c = float(np.hypot(sd, NEAR_REPEAT_SD))
                pmf[(la, comp)] = sum(p * _gaussian_pmf(universe, force, x, y, sd)
                                      for p, x, y in zip(pw, cand["x"], cand["y"]))
                child[(la, comp)] = sum(p * _gaussian_pmf(universe, force, x, y, sd_c)
                                        for p, x, y in zip(pw, cand["x"], cand["y"]))
        expected = {k: v for k, v in expected.items() if k in pmf}
        return cls(universe, days, expected, pmf, child, hour_tables())

    # ---- time ---------------------------------------------------------------------------

    def _day_slice(self, origin, horizon: int) -> slice:
        i0 = (pd.Timestamp(origin).normalize() - self.days[0]).days
        return slice(i0, i0 + horizon)

    def _lag_prob(self, comp: str, origin, horizon: int, upto) -> np.ndarray:
        """P(a child of a base event of ``comp`` on each day lands in the horizon), for parent
        days before ``upto`` (origin + horizon for all parents)."""
        o = pd.Timestamp(origin).normalize()
        n = (pd.Timestamp(upto).normalize() - self.days[0]).days
        d = self.days[:n]
        # parent time of day: hour from the component's table, minute 0 (30%) or uniform 0-59
        tod = (np.arange(24) + (0.7 * 29.5) / 60.0) / 24.0  # days
        ph = self.hours[comp][d.dayofweek.to_numpy()]  # (n, 24)
        start = ((o - d).days.to_numpy()[:, None] - tod[None, :])  # origin - parent time, days
        end = start + horizon
        mu = NEAR_REPEAT_LAG_DAYS
        cdf = lambda v: np.where(v > 0, 1.0 - np.exp(-np.maximum(v, 0) / mu), 0.0)  # noqa: E731
        return np.sum(ph * (cdf(end) - cdf(start)), axis=1)

    def base(self, origin, horizon: int = 7) -> np.ndarray:
        """Expected base events (before near-repeat moves) per cell over the horizon."""
        s = self._day_slice(origin, horizon)
        return sum(self.expected[k][s].sum() * self.pmf[k] for k in self.expected)

    def children(self, origin, horizon: int = 7, *, parents_from=None) -> np.ndarray:
        """Expected near-repeat children per cell over the horizon, of parents on or after
        ``parents_from`` (default: every parent)."""
        out = np.zeros(len(self.universe))
        end = pd.Timestamp(origin) + pd.Timedelta(days=horizon)
        i0 = 0 if parents_from is None else (pd.Timestamp(parents_from).normalize() - self.days[0]).days
        for comp in COMPONENTS:
            keys = [k for k in self.expected if k[1] == comp]
            if not keys:
                continue
            lp = self._lag_prob(comp, origin, horizon, end)
            for k in keys:
                e = self.expected[k][: len(lp)]
                out += NEAR_REPEAT_SHARE * float(np.sum(e[i0:] * lp[i0:])) * self.pmf_child[k]
        return out

    def intensity(self, origin, horizon: int = 7) -> np.ndarray:
        """The true expected count per cell over ``[origin, origin + horizon)``, unconditional on
        the past: 93% of the base intensity plus every parent's expected children."""
        return (1 - NEAR_REPEAT_SHARE) * self.base(origin, horizon) + self.children(origin, horizon)

    def near_repeat_intensity(self, origin, horizon: int, events: pd.DataFrame) -> np.ndarray:
        """Expected count per cell given the offences before ``origin`` (``events``: rows with
        ``occurred_at``, ``easting``, ``northing``; later rows are ignored): children of parents
        before the origin are placed around those offences."""
        o = pd.Timestamp(origin).normalize()
        t = pd.to_datetime(events["occurred_at"])
        keep = (t < o) & (t >= o - pd.Timedelta(days=120))
        ev = events[keep.to_numpy()]
        age = (o - pd.to_datetime(ev["occurred_at"])).dt.total_seconds().to_numpy() / 86400.0
        mu = NEAR_REPEAT_LAG_DAYS
        w = NEAR_REPEAT_SHARE * (np.exp(-age / mu) - np.exp(-(age + horizon) / mu))
        observed = _spread_2d(self.universe, ev["easting"].to_numpy(float),
                              ev["northing"].to_numpy(float), w, 0.0, NEAR_REPEAT_SD)
        return ((1 - NEAR_REPEAT_SHARE) * self.base(origin, horizon)
                + self.children(origin, horizon, parents_from=o) + observed)


class Oracle:
    """Backtest forecaster (``fit(panel, until)`` / ``predict(origin, horizon)``) returning the
    generator's true intensity (:meth:`SynthIntensity.intensity`); it reads no offence."""

    def __init__(self, intensity: SynthIntensity) -> None:
        self.intensity = intensity

    def fit(self, panel, until=None) -> Oracle:
        if not panel.units.equals(self.intensity.universe.units):
            raise ValueError("the panel's units differ from the oracle's universe")
        return self

    def predict(self, origin, horizon: int = 7) -> np.ndarray:
        return self.intensity.intensity(origin, horizon)


class OracleStatic(Oracle):
    """The true spatial density averaged over the whole period (no restriction regimes, season or
    weekday mix): how much of the oracle's lead comes from knowing WHEN each component is busy."""

    def predict(self, origin, horizon: int = 7) -> np.ndarray:
        si = self.intensity
        return sum(si.expected[k].sum() * si.pmf[k] for k in si.expected) * horizon / len(si.days)


class OracleNearRepeat(Oracle):
    """The true intensity plus the near repeats the history before the origin implies
    (:meth:`SynthIntensity.near_repeat_intensity`); ``events``: the serious-violence offences
    (only rows before each origin are read)."""

    def __init__(self, intensity: SynthIntensity, events: pd.DataFrame) -> None:
        super().__init__(intensity)
        self.events = events

    def predict(self, origin, horizon: int = 7) -> np.ndarray:
        return self.intensity.near_repeat_intensity(origin, horizon, self.events)


def near_repeat_share_of_horizon(intensity: SynthIntensity, origin, horizon: int = 7) -> float:
    """Share of the horizon's expected events that are near repeats of parents before the origin
    (the part of the intensity only the history can tell)."""
    o = pd.Timestamp(origin)
    total = intensity.intensity(o, horizon).sum()
    before = intensity.children(o, horizon).sum() - intensity.children(o, horizon, parents_from=o).sum()
    return float(before / total)


__all__ = ["SynthIntensity", "Oracle", "OracleStatic", "OracleNearRepeat", "component_days", "near_repeat_share_of_horizon"]

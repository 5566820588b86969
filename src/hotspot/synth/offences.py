"""Synthetic offences for the embedded Avon and Somerset world, calibrated to the VRU's figures.

The generator is a marked point process, built in four steps, every one seeded:

1. **How many, where at force level.** Serious-violence totals per year equal
   ``serious_violence_annual.csv`` (17,499 in 2018, 17,822 in 2019, 15,767 in 2020; 2021 January-June
   is extrapolated as 7,900). They are split over local authorities by the reference rates
   (serious violence per 1,000 residents x population, ``local_authorities.csv``).
2. **When.** Each local authority has three components: night-time-economy (NTE) centres, the other
   named hotspot places of ``hotspot_places.csv``, and a residential background weighted by
   population density and deprivation. Each component has a daily intensity: day-of-week share of the
   reference day x hour table (``serious_violence_day_hour.csv``; NTE centres use the same table with
   Friday and Saturday nights boosted), a summer peak, bank holidays, and the restriction regime of
   ``restrictions_timeline_england.csv``. From March to November 2020 the background follows the
   monthly knife-incident index of the area (``knife_incidents_monthly_by_area.csv``, normalised to
   August 2019 - February 2020), so the lockdown dips and the summer 2020 rebound have the reference
   shape. Counts per (component, day) are one multinomial draw, so yearly totals are exact.
3. **Hour and place.** Hours follow the component's day x hour table; NTE and place events scatter
   around the place (Gaussian, 200-300 m); background events fall in 125 m density cells.
4. **Near repeats.** 7% of serious-violence events are re-placed within about 50 m and a few days of
   an earlier event in the same area (Johnson et al. 2007: repeat and near-repeat victimisation).

Non-serious offences (common assault, public order, anti-social behaviour, ...) use the same process at
0.65 times the serious-violence volume so that every police.uk crime type exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from hotspot.crs import to_bng
from hotspot.paths import reference_dir
from hotspot.synth import places as P
from hotspot.synth.world import World, allocate, deprivation_field, la_reference

START = pd.Timestamp("2018-01-01")
END = pd.Timestamp("2021-06-30")
SV_TARGETS = {2018: 17499, 2019: 17822, 2020: 15767, 2021: 7900}
KNIFE_TARGETS = {2018: 507, 2019: 518, 2020: 457, 2021: 235}
NON_SV_RATIO = 0.65

#: Bank holidays in England and Wales, 2018 - June 2021.
BANK_HOLIDAYS = pd.to_datetime([
    "2018-01-01", "2018-03-30", "2018-04-02", "2018-05-07", "2018-05-28", "2018-08-27", "2018-12-25",
    "2018-12-26", "2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26",
    "2019-12-25", "2019-12-26", "2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25",
    "2020-08-31", "2020-12-25", "2020-12-28", "2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03",
    "2021-05-31",
])

#: Share of each LA's serious violence at NTE centres and at the other named places.
COMPONENT_SHARES = {
    "Bristol, City of": (0.17, 0.28), "Bath and North East Somerset": (0.15, 0.20),
    "North Somerset": (0.20, 0.15), "Somerset": (0.06, 0.10), "South Gloucestershire": (0.0, 0.15),
}

#: Restriction regime -> multiplier on (background, NTE centres).
REGIME_FACTOR = {
    "open": (1.0, 1.0), "advised_against": (0.92, 0.6), "closed": (0.84, 0.22),
    "open_restricted": (1.0, 1.0), "curfew_22": (0.95, 0.62), "curfew_23": (0.96, 0.72),
    "outdoor_only": (0.93, 0.55),
}
#: Reopening surges on NTE centres: (start, end, multiplier) - the national August 2020 spike.
REOPENING_SURGE = [("2020-07-04", "2020-08-31", 1.25), ("2021-05-17", "2021-06-30", 1.2)]

#: Serious-violence sub-types: (share, crime type, subtype, sv kind, knife weight).
SV_TYPES = [
    (0.515, "Violence and sexual offences", "Assault occasioning actual bodily harm", "injury", 1.0),
    (0.090, "Violence and sexual offences", "Inflicting grievous bodily harm without intent (s20)", "injury", 2.5),
    (0.055, "Violence and sexual offences", "Wounding with intent to do grievous bodily harm (s18)", "injury", 7.0),
    (0.118, "Robbery", "Robbery of personal property", "robbery", 3.0),
    (0.012, "Robbery", "Robbery of business property", "robbery", 3.0),
    (0.075, "Violence and sexual offences", "Rape of a female aged 16 and over", "sexual", 0.1),
    (0.015, "Violence and sexual offences", "Rape of a female child under 16", "sexual", 0.0),
    (0.008, "Violence and sexual offences", "Rape of a male aged 16 and over", "sexual", 0.0),
    (0.090, "Violence and sexual offences", "Sexual assault on a female aged 13 and over", "sexual", 0.1),
    (0.021, "Violence and sexual offences", "Sexual assault on a male aged 13 and over", "sexual", 0.0),
    (0.0008, "Violence and sexual offences", "Murder", "homicide", 4.0),
]
#: Other offences: (share, crime type, subtype, knife).
OTHER_TYPES = [
    (0.20, "Violence and sexual offences", "Common assault", False),
    (0.07, "Violence and sexual offences", "Harassment", False),
    (0.05, "Violence and sexual offences", "Malicious communications", False),
    (0.02, "Violence and sexual offences", "Stalking", False),
    (0.10, "Public order", "Public fear, alarm or distress", False),
    (0.14, "Anti-social behaviour", "Anti-social behaviour", False),
    (0.08, "Criminal damage and arson", "Criminal damage to a vehicle", False),
    (0.07, "Shoplifting", "Shoplifting", False),
    (0.05, "Other theft", "Other theft", False),
    (0.02, "Theft from the person", "Theft from the person", False),
    (0.05, "Drugs", "Possession of cannabis", False),
    (0.04, "Possession of weapons", "Possession of article with blade or point", True),
    (0.03, "Burglary", "Burglary - residential", False),
    (0.03, "Vehicle crime", "Theft from a motor vehicle", False),
    (0.01, "Bicycle theft", "Bicycle theft", False),
    (0.01, "Other crime", "Other criminal offences", False),
]

#: Home Office offence classification code of each subtype (the codes the ONS Crime Severity Score
#: and the police recorded crime tables use; "" for anti-social behaviour, which is not a crime).
HO_CODES = {
    "Assault occasioning actual bodily harm": "8N", "Inflicting grievous bodily harm without intent (s20)": "8N",
    "Wounding with intent to do grievous bodily harm (s18)": "5D", "Robbery of personal property": "34B",
    "Robbery of business property": "34A", "Rape of a female aged 16 and over": "19C",
    "Rape of a female child under 16": "19D", "Rape of a male aged 16 and over": "19F",
    "Sexual assault on a female aged 13 and over": "20A", "Sexual assault on a male aged 13 and over": "17A",
    "Murder": "1", "Common assault": "105A", "Harassment": "8L", "Malicious communications": "8R",
    "Stalking": "8Q", "Public fear, alarm or distress": "9A", "Anti-social behaviour": "",
    "Criminal damage to a vehicle": "58C", "Shoplifting": "46", "Other theft": "49",
    "Theft from the person": "39", "Possession of cannabis": "92E",
    "Possession of article with blade or point": "10D", "Burglary - residential": "28E",
    "Theft from a motor vehicle": "45", "Bicycle theft": "44", "Other criminal offences": "99",
}


def reference_day_hour() -> np.ndarray:
    """The reference day x hour counts as a (7, 24) array, Monday first."""
    ref = pd.read_csv(reference_dir() / "serious_violence_day_hour.csv", dtype={"day": str})
    order = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    ref = ref.set_index("day").loc[order]
    return ref[[f"{h:02d}" for h in range(24)]].to_numpy(dtype=float)


def nte_day_hour(ref: np.ndarray) -> np.ndarray:
    """Day x hour weights at NTE centres: the reference with Friday and Saturday nights boosted."""
    m = ref.copy()
    m *= 0.35  # quieter by day than the force as a whole
    # (day, hours, multiplier); day 4 = Friday, 5 = Saturday, 6 = Sunday (early hours of Sat night)
    for d, hours, k in [(4, range(22, 24), 9.0), (5, range(0, 3), 8.0), (5, range(18, 24), 6.0),
                        (6, range(0, 3), 7.0), (3, range(22, 24), 2.5), (4, range(0, 2), 2.0),
                        (4, range(18, 22), 2.5), (6, range(3, 4), 3.0), (5, range(3, 4), 3.0)]:
        for h in hours:
            m[d, h] = ref[d, h] * k
    return m


def regime_by_day(days: pd.DatetimeIndex) -> pd.Series:
    """Night-time-economy status per day from the restrictions timeline (``open`` before it starts)."""
    tl = pd.read_csv(reference_dir() / "restrictions_timeline_england.csv", parse_dates=["date"])
    s = pd.Series(tl["night_time_economy"].to_numpy(), index=tl["date"])
    out = s.reindex(days.union(s.index)).ffill().reindex(days).fillna("open")
    return out


def knife_index(days: pd.DatetimeIndex) -> pd.DataFrame:
    """Monthly knife-incident index per LA (Mar-Nov 2020 relative to Aug 2019 - Feb 2020), per day."""
    kn = pd.read_csv(reference_dir() / "knife_incidents_monthly_by_area.csv")
    kn = kn[kn["area"] != "Avon and Somerset"].copy()
    kn["la"] = kn["area"].map(P.AREA_LA)
    months = [c for c in kn.columns if c[:2] == "20"]
    la = kn.groupby("la")[months].sum()
    base = la[[m for m in months if m <= "2020-02"]].mean(axis=1)
    idx = la.div(base, axis=0)
    month_of_day = days.strftime("%Y-%m")
    out = pd.DataFrame(1.0, index=days, columns=idx.index)
    use = (month_of_day >= "2020-03") & (month_of_day <= "2020-11")
    for la_name in idx.index:
        out.loc[use, la_name] = idx.loc[la_name, month_of_day[use]].to_numpy()
    return out


def hotspot_places() -> pd.DataFrame:
    """``hotspot_places.csv`` with BNG coordinates, LA and component (``nte`` or ``place``)."""
    hp = pd.read_csv(reference_dir() / "hotspot_places.csv").fillna({"note": ""})
    hp["x"], hp["y"] = to_bng(hp["lon"].to_numpy(), hp["lat"].to_numpy())
    hp["la"] = hp["area"].map(P.AREA_LA)
    hp["component"] = np.where(hp["note"].str.contains("night-time economy"), "nte", "place")
    return hp


def _daily_weights(days: pd.DatetimeIndex, la: str, regime: pd.Series, kidx: pd.DataFrame,
                   ref: np.ndarray, nte: np.ndarray) -> dict[str, np.ndarray]:
    dow = days.dayofweek.to_numpy()
    doy = days.dayofyear.to_numpy()
    season = 1.0 + 0.10 * np.sin(2 * np.pi * (doy - 110) / 365.25)
    bank = np.where(days.isin(BANK_HOLIDAYS), 1.25, 1.0)
    f_bg = regime.map(lambda r: REGIME_FACTOR.get(r, (1.0, 1.0))[0]).to_numpy(dtype=float)
    f_nte = regime.map(lambda r: REGIME_FACTOR.get(r, (1.0, 1.0))[1]).to_numpy(dtype=float).copy()
    for a, b, k in REOPENING_SURGE:
        f_nte[(days >= a) & (days <= b)] *= k
    in_window = (days >= "2020-03-01") & (days <= "2020-11-30")
    f_bg = np.where(in_window, kidx[la].to_numpy(), f_bg)
    ref_dow = ref.sum(axis=1) / ref.sum() * 7
    nte_dow = nte.sum(axis=1) / nte.sum() * 7
    w_bg = ref_dow[dow] * season * bank * f_bg
    w_nte = nte_dow[dow] * season * bank * f_nte
    w_place = ref_dow[dow] * season * bank * np.sqrt(f_bg * np.minimum(f_nte, 1.0) ** 0.5)
    return {"background": w_bg, "nte": w_nte, "place": w_place}


def _inside(world: World, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(world.force.geometry.iat[0], x, y)


def _scatter(world: World, cx: np.ndarray, cy: np.ndarray, sd: float, rng: np.random.Generator):
    """Gaussian scatter around centres, re-drawn until inside the force outline."""
    x = cx + rng.normal(0, sd, cx.size)
    y = cy + rng.normal(0, sd, cy.size)
    for _ in range(50):
        bad = ~_inside(world, x, y)
        if not bad.any():
            break
        x[bad] = cx[bad] + rng.normal(0, sd, bad.sum())
        y[bad] = cy[bad] + rng.normal(0, sd, bad.sum())
    bad = ~_inside(world, x, y)
    x[bad], y[bad] = cx[bad], cy[bad]
    return x, y


def _events(world: World, targets: dict[int, int], rng: np.random.Generator, *, sv: bool) -> pd.DataFrame:
    """Draw event times, places and components for one offence family."""
    days = pd.date_range(START, END, freq="D")
    regime = regime_by_day(days)
    kidx = knife_index(days)
    ref = reference_day_hour()
    nte = nte_day_hour(ref)
    places = hotspot_places()
    la_ref = la_reference()
    sv_rate = la_ref["serious_violence_per_1000_annual_2yr"] * la_ref["population"]
    la_names = [name for _, name, _ in P.LA_TABLE]
    la_share = sv_rate.loc[la_names].to_numpy()

    gx, gy, dens = world.density
    dep = deprivation_field(gx, gy)
    cell_w = dens * np.exp(0.55 * dep)
    la_of_cell = np.full(gx.size, -1)
    for i, g in enumerate(world.la.geometry.values):
        la_of_cell[shapely.contains_xy(g, gx, gy)] = i

    hour_p = {"background": ref / ref.sum(axis=1, keepdims=True), "place": ref / ref.sum(axis=1, keepdims=True),
              "nte": nte / nte.sum(axis=1, keepdims=True)}
    year_of_day = days.year.to_numpy()
    normal = year_of_day == 2019
    frames = []
    for year, total in targets.items():
        n_la = allocate(total, la_share)
        ymask = year_of_day == year
        for li, la in enumerate(la_names):
            w = _daily_weights(days, la, regime, kidx, ref, nte)
            s_nte, s_place = COMPONENT_SHARES[la]
            shares = {"nte": s_nte, "place": s_place, "background": 1.0 - s_nte - s_place}
            comps = [c for c in ("background", "place", "nte") if shares[c] > 0]
            lam = np.concatenate([shares[c] * w[c][ymask] / w[c][normal].mean() for c in comps])
            counts = rng.multinomial(n_la[li], lam / lam.sum())
            ndays = int(ymask.sum())
            for ci, c in enumerate(comps):
                k = counts[ci * ndays:(ci + 1) * ndays]
                if k.sum() == 0:
                    continue
                d = np.repeat(days[ymask].to_numpy(), k)
                frames.append(pd.DataFrame({"day": d, "la": la, "component": c}))
    ev = pd.concat(frames, ignore_index=True)
    n = len(ev)
    # hour from the component's day x hour table
    dow = pd.DatetimeIndex(ev["day"]).dayofweek.to_numpy()
    hour = np.empty(n, dtype=np.int64)
    for c, hp in hour_p.items():
        for wd in range(7):
            m = (ev["component"].to_numpy() == c) & (dow == wd)
            if m.any():
                hour[m] = rng.choice(24, size=int(m.sum()), p=hp[wd])
    minute = np.where(rng.random(n) < 0.3, 0, rng.integers(0, 60, n))
    ev["occurred_at"] = ev["day"] + pd.to_timedelta(hour, unit="h") + pd.to_timedelta(minute, unit="m")

    # place
    x = np.empty(n)
    y = np.empty(n)
    comp = ev["component"].to_numpy()
    la_arr = ev["la"].to_numpy()
    for li, la in enumerate(la_names):
        m = (comp == "background") & (la_arr == la)
        if m.any():
            cells = np.flatnonzero(la_of_cell == li)
            pw = cell_w[cells] / cell_w[cells].sum()
            pick = cells[rng.choice(cells.size, size=int(m.sum()), p=pw)]
            x[m] = gx[pick] + rng.uniform(-60, 60, m.sum())
            y[m] = gy[pick] + rng.uniform(-60, 60, m.sum())
        for c, sd in (("place", 300.0), ("nte", 200.0)):
            m = (comp == c) & (la_arr == la)
            if not m.any():
                continue
            cand = places[(places["la"] == la) & (places["component"] == c)]
            pw = np.where(cand["place"].str.contains("city centre|town centre"), 3.0, 1.0)
            pick = rng.choice(len(cand), size=int(m.sum()), p=pw / pw.sum())
            x[m], y[m] = _scatter(world, cand["x"].to_numpy()[pick], cand["y"].to_numpy()[pick], sd, rng)
    ev["easting"], ev["northing"] = x, y

    if sv:  # near repeats: re-place 7% of events close to an earlier event of the same LA
        child = np.flatnonzero(rng.random(n) < 0.07)
        parent = np.empty(child.size, dtype=np.int64)
        for la in la_names:
            same = np.flatnonzero(la_arr == la)
            m = la_arr[child] == la
            parent[m] = same[rng.integers(0, same.size, int(m.sum()))]
        t = ev["occurred_at"].to_numpy()
        lag = pd.to_timedelta(np.round(rng.exponential(3.0 * 24 * 60, child.size)), unit="m").to_numpy()
        new_t = t[parent] + lag
        ok = new_t < (END + pd.Timedelta(days=1)).to_datetime64()
        child, parent, new_t = child[ok], parent[ok], new_t[ok]
        t = t.copy()
        t[child] = new_t
        ev["occurred_at"] = t
        x[child], y[child] = _scatter(world, x[parent], y[parent], 40.0, rng)
        ev["easting"], ev["northing"] = x, y
    # keep yearly totals exact after near-repeat moves
    ev = ev[(ev["occurred_at"] >= START) & (ev["occurred_at"] < END + pd.Timedelta(days=1))]
    return ev.reset_index(drop=True)


def _types(ev: pd.DataFrame, rng: np.random.Generator, *, sv: bool) -> pd.DataFrame:
    n = len(ev)
    table = SV_TYPES if sv else OTHER_TYPES
    share = np.array([t[0] for t in table])
    k = rng.choice(len(table), size=n, p=share / share.sum())
    ev["crime_type"] = [table[i][1] for i in k]
    ev["offence_subtype"] = [table[i][2] for i in k]
    ev["offence_code"] = [HO_CODES[table[i][2]] for i in k]
    if sv:
        kind = np.array([table[i][3] for i in k])
        ev["sv_kind"] = kind
        # domestic: residential violence and sexual offences, almost never at NTE centres
        p_dom = np.where(kind == "injury", 0.38, np.where(kind == "sexual", 0.3, np.where(kind == "homicide", 0.3, 0.0)))
        p_dom = np.where(ev["component"].to_numpy() == "nte", p_dom * 0.1, p_dom)
        ev["domestic"] = rng.random(n) < p_dom
        knife = np.zeros(n, dtype=bool)
        kw = np.array([table[i][4] for i in k]) * np.where(ev["component"].to_numpy() == "background", 1.0, 1.3)
        kw = kw * np.where(ev["domestic"].to_numpy(), 0.5, 1.0)
        years = ev["occurred_at"].dt.year.to_numpy()
        for year, target in KNIFE_TARGETS.items():
            idx = np.flatnonzero(years == year)
            p = kw[idx] / kw[idx].sum()
            knife[rng.choice(idx, size=min(target, int((p > 0).sum())), replace=False, p=p)] = True
        ev["knife"] = knife
    else:
        ev["sv_kind"] = ""
        ev["domestic"] = (ev["offence_subtype"].isin(["Common assault", "Harassment", "Stalking",
                                                      "Malicious communications"])
                          & (rng.random(n) < 0.35))
        ev["knife"] = np.array([table[i][3] for i in k]) & (rng.random(n) < 0.8)
    return ev


def generate_offences(world: World, rng: np.random.Generator, *, scale: float = 1.0) -> pd.DataFrame:
    """All offences of the world, sorted by time, with ids and exact coordinates.

    Returns
    -------
    DataFrame
        ``id, occurred_at, easting, northing, crime_type, offence_subtype, sv_flag, sv_kind, knife,
        domestic, la, component``.
    """
    sv_t = {y: int(round(v * scale)) for y, v in SV_TARGETS.items()}
    other_t = {y: int(round(v * scale * NON_SV_RATIO)) for y, v in SV_TARGETS.items()}
    sv = _types(_events(world, sv_t, rng, sv=True), rng, sv=True)
    sv["sv_flag"] = True
    ot = _types(_events(world, other_t, rng, sv=False), rng, sv=False)
    ot["sv_flag"] = False
    ev = pd.concat([sv, ot], ignore_index=True)
    ev = ev.sort_values(["occurred_at", "easting", "northing"], kind="mergesort").reset_index(drop=True)
    yy = ev["occurred_at"].dt.strftime("%y").to_numpy()
    seq = ev.groupby(yy).cumcount().to_numpy() + 1
    ev["id"] = [f"AS{a}{b:07d}" for a, b in zip(yy, seq)]
    ev["easting"] = ev["easting"].round(0)
    ev["northing"] = ev["northing"].round(0)
    return ev


def street_points(world: World, rng: np.random.Generator, n: int = 30000) -> pd.DataFrame:
    """Anonymised street points (police.uk snaps every offence to one): ``x, y, name``."""
    gx, gy, dens = world.density
    w = dens ** 0.8
    pick = rng.choice(gx.size, size=n, p=w / w.sum())
    x = np.round(gx[pick] + rng.uniform(-60, 60, n))
    y = np.round(gy[pick] + rng.uniform(-60, 60, n))
    first = rng.integers(0, len(P.STREET_FIRST), n)
    second = rng.integers(0, len(P.STREET_SECOND), n)
    names = np.array([f"{P.STREET_FIRST[a]} {P.STREET_SECOND[b]}" for a, b in zip(first, second)], dtype=object)
    hp = hotspot_places()
    near_nte = np.zeros(n, dtype=bool)
    for _, r in hp[hp["component"] == "nte"].iterrows():
        near_nte |= np.hypot(x - r["x"], y - r["y"]) < 500
    poi = rng.random(n) < np.where(near_nte, 0.3, 0.1)
    poi_pick = np.where(near_nte, rng.integers(0, len(P.NTE_POI_NAMES), n), rng.integers(0, len(P.POI_NAMES), n))
    poi_names = np.where(near_nte, np.array(P.NTE_POI_NAMES, dtype=object)[poi_pick % len(P.NTE_POI_NAMES)],
                         np.array(P.POI_NAMES, dtype=object)[poi_pick % len(P.POI_NAMES)])
    names = np.where(poi, poi_names, names)
    df = pd.DataFrame({"x": x, "y": y, "name": names}).drop_duplicates(["x", "y"]).reset_index(drop=True)
    return df


def snap(ev: pd.DataFrame, streets: pd.DataFrame) -> np.ndarray:
    """Index of the nearest street point to each offence."""
    _, i = cKDTree(streets[["x", "y"]].to_numpy()).query(ev[["easting", "northing"]].to_numpy())
    return i


def postcodes(world: World, rng: np.random.Generator, n: int = 5000) -> pd.DataFrame:
    """ONSPD-shaped synthetic postcode units: ``pcds, x, y`` (districts are real names, units are not)."""
    gx, gy, dens = world.density
    pick = rng.choice(gx.size, size=n, p=dens / dens.sum())
    x = np.round(gx[pick] + rng.uniform(-60, 60, n))
    y = np.round(gy[pick] + rng.uniform(-60, 60, n))
    anchors = np.array([(a, b) for _, a, b in P.POSTCODE_DISTRICTS], dtype=float)
    _, d = cKDTree(anchors).query(np.column_stack([x, y]))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    seen: set[str] = set()
    rows = []
    for i in range(n):
        for _ in range(20):
            pc = (f"{P.POSTCODE_DISTRICTS[d[i]][0]} {rng.integers(0, 10)}"
                  f"{letters[rng.integers(0, 20)]}{letters[rng.integers(0, 20)]}")
            if pc not in seen:
                seen.add(pc)
                rows.append((pc, x[i], y[i]))
                break
    return pd.DataFrame(rows, columns=["pcds", "x", "y"])

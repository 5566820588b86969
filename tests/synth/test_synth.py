"""The embedded data set: reproducible byte for byte, and calibrated to the reference figures."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from hotspot.io import sha256_file
from hotspot.paths import data_dir, reference_dir
from hotspot.synth import FILES

DATA = data_dir()


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return pd.read_csv(DATA / "offences_extract.csv.gz", dtype=str, keep_default_na=False)


@pytest.mark.slow
def test_regeneration_reproduces_committed_files(tmp_path):
    from hotspot.synth import generate

    summary = generate(tmp_path)
    committed = json.loads((DATA / "MANIFEST.json").read_text())
    for f in FILES:
        assert sha256_file(tmp_path / f) == sha256_file(DATA / f), f
        assert summary["sha256"][f] == committed["sha256"][f]


def test_manifest_matches_files():
    committed = json.loads((DATA / "MANIFEST.json").read_text())
    for f in FILES:
        assert sha256_file(DATA / f) == committed["sha256"][f], f"{f} changed: run `make data`"


def test_boundaries_nest_and_match_reference_populations():
    lsoa = gpd.read_file(DATA / "boundaries.gpkg", layer="lsoa")
    la = gpd.read_file(DATA / "boundaries.gpkg", layer="la")
    beat = gpd.read_file(DATA / "boundaries.gpkg", layer="beat")
    assert str(lsoa.crs).endswith("27700") and 950 <= len(lsoa) <= 1050 and 100 <= len(beat) <= 140
    assert lsoa["LSOA11CD"].str.fullmatch(r"X01\d{6}").all() and lsoa["LSOA11CD"].is_unique
    ref = pd.read_csv(reference_dir() / "local_authorities.csv")
    pop = lsoa.groupby("LAD19NM")["population"].sum()
    names = {"Bristol": "Bristol, City of"}
    for _, r in ref.iterrows():
        assert pop[names.get(r["local_authority"], r["local_authority"])] == r["population"]
    # LSOAs tile the LAs: areas add up and every LSOA lies in its LA
    assert abs(lsoa.area.sum() - la.area.sum()) / la.area.sum() < 1e-5
    rp = lsoa.representative_point()
    joined = gpd.sjoin(gpd.GeoDataFrame(lsoa[["LAD19CD"]], geometry=rp, crs=lsoa.crs), la[["LAD19CD", "geometry"]],
                       predicate="within")
    assert (joined["LAD19CD_left"] == joined["LAD19CD_right"]).all()
    # smaller LSOAs where people are dense: Bristol median LSOA far smaller than Somerset's
    med = lsoa.assign(a=lsoa.area).groupby("LAD19NM")["a"].median()
    assert med["Bristol, City of"] * 10 < med["Somerset"]


def test_serious_violence_volume_and_knife_match_reference(extract):
    ref = pd.read_csv(reference_dir() / "serious_violence_annual.csv").set_index("measure")
    good = extract[extract["id"].str.startswith("AS")].drop_duplicates("id")
    year = good["occurred_at"].str[:4]
    sv = good["sv_flag"] == "Y"
    for y in ("2018", "2019", "2020"):
        n = int((sv & (year == y)).sum())
        target = ref.loc["serious_violence_offences_vap_robbery_sexual", y]
        assert abs(n - target) / target < 0.01, (y, n, target)
        k = int((sv & (year == y) & (good["knife_flag"] == "Y")).sum())
        assert k == ref.loc["knife_enabled_serious_violent_crime", y]


def test_day_hour_shape_follows_reference(extract):
    good = extract[extract["id"].str.startswith("AS") & (extract["sv_flag"] == "Y")]
    t = pd.to_datetime(good["occurred_at"], errors="coerce").dropna()
    table = pd.crosstab(t.dt.dayofweek, t.dt.hour).to_numpy(float)
    ref = pd.read_csv(reference_dir() / "serious_violence_day_hour.csv").iloc[:, 1:25].to_numpy(float)
    r = np.corrcoef(table.ravel(), ref.ravel())[0, 1]
    assert r > 0.9, r


def test_lockdown_dip_and_reopening_spike(extract):
    good = extract[extract["id"].str.startswith("AS") & (extract["sv_flag"] == "Y")]
    month = good["occurred_at"].str[:7].value_counts()
    pre = month[["2019-10", "2019-11", "2020-01", "2020-02"]].mean()
    assert month["2020-04"] < 0.8 * pre
    assert month["2020-08"] > pre


def test_most_deprived_lsoas_have_reference_ranks():
    imd = pd.read_csv(DATA / "covariates" / "imd2019_file7.csv")
    rank = imd["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"]
    ref = pd.read_csv(reference_dir() / "imd_most_deprived_lsoas.csv")
    assert sorted(rank.nsmallest(10)) == sorted(ref["imd2019_rank_of_32844"])
    top = imd.loc[rank.nsmallest(10).index, "Local Authority District name (2019)"]
    assert set(top) == {"Bristol, City of", "North Somerset"}


def test_universal_credit_matches_reference_november_2020():
    from hotspot.covariates.universal_credit import read_statxplore

    la = read_statxplore(DATA / "covariates" / "uc_households_la.csv")
    ref = pd.read_csv(reference_dir() / "local_authorities.csv")
    assert int(la.filter(like="2020-11").sum().sum()) == int(ref["uc_households_nov_2020"].sum())


def test_policeuk_zip_has_published_columns():
    import zipfile

    from hotspot.schema import POLICEUK_COLUMNS

    with zipfile.ZipFile(DATA / "policeuk" / "avon-and-somerset-street.zip") as zf:
        names = zf.namelist()
        assert "2020-04/2020-04-avon-and-somerset-street.csv" in names and len(names) == 42
        with zf.open(names[0]) as f:
            head = pd.read_csv(f, nrows=5, dtype=str)
    assert list(head.columns) == POLICEUK_COLUMNS

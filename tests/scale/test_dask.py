"""Scale-out on Dask equals the single-process results (LocalCluster with 2 workers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from hotspot import scale  # noqa: E402
from hotspot.grid.binning import count_points  # noqa: E402
from hotspot.grid.spec import GridSpec  # noqa: E402
from hotspot.hotspots.gistar import gistar  # noqa: E402
from hotspot.hotspots.kde import kde  # noqa: E402


@pytest.fixture(scope="module")
def client():
    c = scale.get_client("processes", n_workers=2)
    yield c
    scale.close_client(c)


def _points(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    centres = rng.uniform([350000, 160000], [356000, 165000], size=(8, 2))
    pts = centres[rng.integers(0, 8, n)] + rng.normal(0, 300, (n, 2))
    return pts[:, 0], pts[:, 1]


def test_kde_tiles_equal_single_process(client):
    x, y = _points()
    spec = GridSpec.from_bounds((349000, 159000, 357000, 166000), 100)
    mask = np.ones(spec.shape, bool)
    mask[:5, :7] = False
    assert -(-spec.ny // 13) * -(-spec.nx // 13) > 20  # many tile boundaries cross the hotspots
    for bw in (250, None):  # a given bandwidth, and the rule computed once on all points
        one = kde(x, y, spec, bandwidth=bw, mask=mask)
        tiled = scale.kde_tiled(x, y, spec, bandwidth=bw, mask=mask, tile=13, client=client)
        np.testing.assert_array_equal(tiled.values, one.values)  # NaN where masked, bit-equal elsewhere
        assert tiled.attrs == one.attrs  # edge loss, kernel mass, bandwidth rule


@pytest.mark.parametrize("chunk", [7, 16])
def test_gistar_tiles_equal_single_process(client, chunk):
    x, y = _points()
    spec = GridSpec.from_bounds((349000, 159000, 357000, 166000), 100)
    mask = np.ones(spec.shape, bool)
    mask[-9:, -11:] = False
    counts = count_points(x, y, spec, mask=mask)
    one = gistar(counts, 300)
    tiled = scale.gistar_tiled(counts, 300, chunk=chunk, client=client)
    np.testing.assert_array_equal(one["z"].values, tiled["z"].values)
    np.testing.assert_array_equal(one["gi_class"].values, tiled["gi_class"].values)


def test_distributed_load_equals_single_process(tmp_path, client):
    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences

    src = pd.read_csv("data/offences_extract.csv.gz", dtype=str, keep_default_na=False, nrows=6000)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    src.iloc[:3000].to_csv(a, index=False)
    # the second file repeats 20 ids of the first: quarantined as duplicates in both modes
    pd.concat([src.iloc[3000:], src.iloc[:20]]).to_csv(b, index=False)
    areas = embedded_areas()
    one = load_offences([a, b], areas=areas)
    many = scale.load_offences_distributed([a, b], client=client, areas=areas)
    assert one.report["totals"] == many.report["totals"]
    assert one.report["totals"]["by_reason"].get("duplicate_id", 0) >= 15
    pd.testing.assert_frame_equal(pd.DataFrame(one.offences.drop(columns="geometry")).reset_index(drop=True),
                                  pd.DataFrame(many.offences.drop(columns="geometry")).reset_index(drop=True))


def test_map_tasks_runs_one_task_per_item(client):
    assert scale.map_tasks(abs, [-1, -2, 3], client) == [1, 2, 3]


def test_backtest_one_task_per_origin_equals_single_process(client):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "forecast"))
    from synthworld import synthetic_offences, world_universe

    from hotspot.forecast.backtest import rolling_origin

    world = synthetic_offences(total=3000.0, seed=4)
    kw = {"universe": world_universe("cell"), "folds": 3, "horizon": 7, "models": ["gbm", "last4", "prospective"],
          "train_weeks": 8}
    one = rolling_origin(world, **kw)
    many = rolling_origin(world, client=client, **kw)
    pd.testing.assert_frame_equal(one.folds, many.folds)
    assert one.summary == many.summary


def test_partitioned_load_keeps_offences_on_workers(tmp_path, client):
    import dask_geopandas

    from hotspot.geography.areas import embedded_areas
    from hotspot.geography.geocode import load_offences

    src = pd.read_csv("data/offences_extract.csv.gz", dtype=str, keep_default_na=False, nrows=4500)
    paths = [tmp_path / f"{k}.csv" for k in "abc"]
    src.iloc[:1500].to_csv(paths[0], index=False)
    pd.concat([src.iloc[1500:3000], src.iloc[:10]]).to_csv(paths[1], index=False)  # 10 ids of file a
    src.iloc[3000:].to_csv(paths[2], index=False)
    areas = embedded_areas()
    one = load_offences(paths, areas=areas)
    part = scale.load_offences_partitioned(paths, client, areas=areas)
    assert isinstance(part.offences, dask_geopandas.GeoDataFrame) and part.offences.npartitions == 3
    assert part.report["totals"] == one.report["totals"]
    assert part.report["totals"]["by_reason"].get("duplicate_id", 0) >= 5  # a few of the 10 are bad rows anyway
    got = part.offences.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(one.offences.drop(columns="geometry")),
                                  pd.DataFrame(got.drop(columns="geometry")))
    assert got.geometry.equals(one.offences.geometry)
    assert len(part.quarantine) == len(one.quarantine)
    assert sorted(part.quarantine["reason"]) == sorted(one.quarantine["reason"])


def test_scheduler_without_dask_is_a_bad_argument(monkeypatch):
    from hotspot.errors import ArgumentError, HotspotError

    def missing():
        raise HotspotError("Dask is not installed")

    monkeypatch.setattr(scale, "_require_dask", missing)
    with pytest.raises(ArgumentError, match="hotspot\\[dask\\]") as exc:
        scale.get_client("processes")
    assert exc.value.exit_code == 2

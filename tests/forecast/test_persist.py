"""skops save/load round trip, tampered and foreign files rejected."""

import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator
from synthworld import world_universe  # noqa: E402

from hotspot.errors import ModelFileError
from hotspot.forecast.features import build_panel
from hotspot.forecast.models import PoissonGBM
from hotspot.forecast.persist import card_path, load_model, save_model
from hotspot.io import sha256_file


class Foreign(BaseEstimator):
    """A class that is neither ours nor scikit-learn's."""

    def __init__(self, a=1):
        self.a = a


@pytest.fixture(scope="module")
def fitted(world):
    p = build_panel(world, world_universe("lsoa"))
    return p, PoissonGBM(horizon=7, train_weeks=8, max_iter=20).fit(p, until="2021-02-01")


def test_round_trip_with_card(tmp_path, fitted):
    p, m = fitted
    path, card = save_model(m, tmp_path / "gbm.skops", name="gbm", scores={"pai_5": 3.0})
    assert card == tmp_path / "gbm.card.json" == card_path(path)
    c = json.loads(card.read_text())
    assert c["sha256"] == sha256_file(path)
    assert c["training_period"]["cutoff"] == "2021-02-01" and c["features"] == m.feature_names_
    assert c["backtest"] == {"pai_5": 3.0} and "scikit-learn" in c["versions"]
    m2 = load_model(path)
    assert m2.panel_ is None and m.panel_ is not None       # data never goes into the file
    assert np.allclose(m2.predict("2021-02-01", panel=p), m.predict("2021-02-01"))
    iv = m2.predict_interval("2021-02-01", panel=p)
    assert np.allclose(iv["q90"], m.predict_interval("2021-02-01")["q90"])


def test_tampered_file_rejected(tmp_path, fitted):
    _, m = fitted
    path, _ = save_model(m, tmp_path / "gbm.skops")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(path)


def test_missing_card_and_file(tmp_path, fitted):
    _, m = fitted
    path, card = save_model(m, tmp_path / "gbm.skops")
    card.unlink()
    with pytest.raises(ModelFileError, match="card"):
        load_model(path)
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "nope.skops")


def test_foreign_types_rejected(tmp_path):
    path = tmp_path / "foreign.skops"
    sio.dump(Foreign(3), path)
    card_path(path).write_text(json.dumps({"sha256": sha256_file(path)}))  # a "valid" card
    with pytest.raises(ModelFileError, match="Foreign"):
        load_model(path)


def test_default_model_in_models_dir_loads(world):
    from hotspot.paths import models_dir

    path = models_dir() / "forecast_cell250_7d.skops"
    if not path.exists():
        pytest.skip("default model not trained (models/forecast_cell250_7d.skops missing)")
    m = load_model(path)
    assert isinstance(m, PoissonGBM) and m.horizon == 7
    card = json.loads(card_path(path).read_text())
    assert card["features"] == m.feature_names_ and "pai" in card["backtest"]
    p = build_panel(world, world_universe("cell"))
    pred = m.predict("2021-06-01", panel=p)
    assert pred.shape == (len(p.units),) and np.all(np.isfinite(pred)) and pred.min() >= 0

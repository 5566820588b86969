"""A model file cannot run code: closed type list, HMAC the model folder cannot forge (issue 14).

The crafted file holds ``sklearn.utils._testing.check_output`` (which *is* ``subprocess.check_output``)
inside a scikit-learn ``FunctionTransformer`` attached to a real saved PoissonGBM, and its card's
SHA-256 is rewritten to match, as an attacker who can write the model folder would do.
"""

import io
import json
import zipfile

import pytest
import skops.io as sio
from synthworld import world_universe

from hotspot.errors import ModelFileError
from hotspot.forecast import persist
from hotspot.forecast.features import build_panel
from hotspot.forecast.models import PoissonGBM
from hotspot.forecast.persist import (
    card_path,
    load_model,
    model_sha256,
    save_model,
    sign_model,
    verify_model,
)


@pytest.fixture(scope="module")
def fitted(world):
    p = build_panel(world, world_universe("lsoa"))
    return PoissonGBM(horizon=7, train_weeks=8, max_iter=5).fit(p, until="2021-02-01")


def _inject(model_bytes: bytes, func_module: str, func_name: str) -> bytes:
    """Add a ``hook_`` FunctionTransformer calling ``func_module.func_name`` to a saved model."""
    from sklearn.preprocessing import FunctionTransformer

    hook = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps(FunctionTransformer(func=len)))).read("schema.json"))
    hook["content"]["content"]["func"].update({"__class__": func_name, "__module__": func_module})
    src = zipfile.ZipFile(io.BytesIO(model_bytes))
    schema = json.loads(src.read("schema.json"))
    state = schema["content"]
    state["content"]["hook_"] = hook
    state["key_types"]["content"].append(dict(state["key_types"]["content"][0]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in src.namelist():
            z.writestr(name, json.dumps(schema) if name == "schema.json" else src.read(name))
    return out.getvalue()


def _forge_card(path):
    card = json.loads(card_path(path).read_text())
    card["sha256"] = model_sha256(path)     # what the old loader checked
    card_path(path).write_text(json.dumps(card))


@pytest.fixture
def crafted(tmp_path, fitted):
    path, _ = save_model(fitted, tmp_path / "m.skops")
    path.write_bytes(_inject(path.read_bytes(), "sklearn.utils._testing", "check_output"))
    _forge_card(path)
    return path


def test_payload_is_live_under_a_prefix_trusting_loader(crafted, tmp_path):
    """Control: the crafted file really runs a command when its types are trusted, as before."""
    marker = tmp_path / "ran-control"
    types = sio.get_untrusted_types(file=crafted)
    assert "sklearn.utils._testing.check_output" in types
    assert all(t.startswith(("sklearn.", "hotspot.")) for t in types)   # the old rule let it in
    m = sio.load(crafted, trusted=types)
    m.hook_.transform(["touch", str(marker)])
    assert marker.exists()


def test_crafted_model_refused_and_runs_nothing(crafted, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ModelFileError, match="check_output"):
        m = load_model(crafted)
        m.hook_.transform(["touch", str(marker)])       # never reached
    assert not marker.exists()


def test_crafted_model_refused_even_in_the_packaged_folder(crafted, tmp_path, monkeypatch):
    """Inside the trusted folder only the SHA-256 is checked; the type list still refuses it."""
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "m.skops"
    crafted.rename(target)
    card_path(crafted).rename(card_path(target))
    monkeypatch.setattr(persist, "repo_root", lambda: tmp_path)
    assert persist.in_packaged_folder(target)
    with pytest.raises(ModelFileError, match="closed list"):
        load_model(target)
    with pytest.raises(ModelFileError, match="closed list"):
        sign_model(target)                              # signing does not bless foreign types


def test_cli_forecast_refuses_crafted_model(crafted, tmp_path, capsys):
    from hotspot.cli import main

    (tmp_path / "x.csv").write_text("not read: the model is checked first\n")
    code = main(["forecast", str(tmp_path / "x.csv"), "--from", "2021-02-01",
                 "--out", str(tmp_path / "f.gpkg"), "--model", str(crafted)])
    assert code == 2 and "check_output" in capsys.readouterr().err
    assert not (tmp_path / "f.gpkg").exists()


def test_swapped_model_with_rewritten_sha_is_refused(tmp_path, fitted, world):
    """An attacker replaces the model by another genuine one and rewrites the card's SHA-256."""
    path, _ = save_model(fitted, tmp_path / "m.skops")
    other = PoissonGBM(horizon=7, train_weeks=8, max_iter=3).fit(build_panel(world, world_universe("lsoa")),
                                                                 until="2021-01-01")
    path.write_bytes(sio.dumps(persist._strip(other)))
    _forge_card(path)
    with pytest.raises(ModelFileError, match="HMAC"):
        load_model(path)


def test_card_field_edit_is_refused(tmp_path, fitted):
    path, cp = save_model(fitted, tmp_path / "m.skops")
    card = json.loads(cp.read_text())
    card["training_period"]["cutoff"] = "2099-01-01"
    cp.write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match="HMAC"):
        load_model(path)


def test_other_machines_key_is_refused_until_signed(tmp_path, fitted, monkeypatch):
    monkeypatch.setenv("HOTSPOT_MODEL_KEY", "machine-a")
    path, _ = save_model(fitted, tmp_path / "m.skops")
    monkeypatch.setenv("HOTSPOT_MODEL_KEY", "machine-b")
    with pytest.raises(ModelFileError, match="HMAC"):
        load_model(path)
    sign_model(path)                                    # the user decides to trust it
    assert isinstance(load_model(path), PoissonGBM)


def test_no_key_means_outside_models_are_refused(tmp_path, fitted, monkeypatch):
    path, _ = save_model(fitted, tmp_path / "m.skops")
    monkeypatch.setenv("HOTSPOT_CONFIG_DIR", str(tmp_path / "empty-config"))
    with pytest.raises(ModelFileError, match="no model-signing key"):
        load_model(path)


def test_key_file_created_private_on_first_save(tmp_path, fitted, monkeypatch):
    monkeypatch.setenv("HOTSPOT_CONFIG_DIR", str(tmp_path / "cfg"))
    save_model(fitted, tmp_path / "m.skops")
    kf = tmp_path / "cfg" / "model.key"
    assert kf.exists() and (kf.stat().st_mode & 0o777) == 0o600 and len(kf.read_text()) == 64
    assert kf.parent != (tmp_path / "m.skops").parent   # the key is not in the model folder


def test_exact_names_only():
    assert persist.is_trusted_type("hotspot.forecast.models.PoissonGBM")
    for name in ("sklearn.utils._testing.check_output", "sklearn.", "hotspot.forecast.models.PoissonGBMx",
                 "subprocess.check_output", "builtins.eval", "os.system"):
        assert not persist.is_trusted_type(name)


def test_model_sha256_is_the_file_digest(tmp_path, fitted):
    import hashlib

    path, _ = save_model(fitted, tmp_path / "m.skops")
    assert model_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    data, types = verify_model(path)
    assert data == path.read_bytes() and set(types) <= persist.TRUSTED_TYPES


def test_model_hash_is_in_the_manifest_and_the_stage_inputs(tmp_path, fitted):
    """A swapped model changes the cycle's cache key (it is one of the hashed inputs) and manifest."""
    from hotspot.config import validate
    from hotspot.cycle import _model_sha256
    from hotspot.runner import hash_inputs, stage_key

    path, _ = save_model(fitted, tmp_path / "m.skops")
    cfg = validate({"forecast": {"model": str(path)}})
    assert _model_sha256(cfg) == model_sha256(path)
    k1 = stage_key("forecast", {}, hash_inputs([path]), [], "v")
    other = PoissonGBM(horizon=7, train_weeks=8, max_iter=2).fit(build_panel(
        __import__("synthworld").synthetic_offences(total=800.0, seed=5), world_universe("lsoa")),
        until="2021-02-01")
    save_model(other, path)
    assert _model_sha256(cfg) == model_sha256(path) and stage_key("forecast", {}, hash_inputs([path]), [], "v") != k1

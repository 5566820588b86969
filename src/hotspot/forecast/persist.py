"""Safe model persistence: skops files with a signed model card, verified before anything is built.

A model is saved as ``<name>.skops`` (:func:`skops.io.dump`: no pickle) with ``<name>.card.json``
beside it: training period, features, backtest scores, package versions, the SHA-256 of the model
file and an HMAC-SHA256 of both (file digest and card), keyed by a secret that lives **outside**
the model folder (:func:`model_key`). :func:`load_model`

1. refuses a file holding any type that is not on the closed list :data:`TRUSTED_TYPES` (exact
   names, no prefix matching: ``sklearn.utils._testing.check_output`` is ``subprocess.check_output``
   and is refused), by reading the file's schema with :func:`skops.io.get_untrusted_types` and
   loading with exactly that list, never ``trusted=True``, never pickle;
2. refuses a file whose SHA-256 differs from its card, and, for a model outside the packaged
   ``models/`` folder, a card whose HMAC does not verify under the user's key (a person who can
   write the model folder can rewrite the card's SHA-256, but cannot compute the HMAC without the
   key). Models in the packaged folder ship with the code (whoever can write there can write the
   code) and are checked by SHA-256 only.

The key is ``$HOTSPOT_MODEL_KEY`` when set, otherwise the file ``model.key`` in
``$HOTSPOT_CONFIG_DIR`` (default ``$XDG_CONFIG_HOME/hotspot`` or ``~/.config/hotspot``), created with
32 random bytes (mode 0600) on the first save. :func:`sign_model` signs a model the user has
decided to trust (for example one trained on another machine), after the same type check.

References
----------
.. [1] skops, "Secure persistence with skops", https://skops.readthedocs.io/en/stable/persistence.html
.. [2] RFC 2104, "HMAC: Keyed-Hashing for Message Authentication", 1997.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import platform
import secrets
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy
import sklearn
import skops
import skops.io as sio

from hotspot.errors import ModelFileError
from hotspot.io import _json_default, sha256_file, write_bytes, write_json
from hotspot.paths import models_dir, repo_root

#: Every type outside skops' own vetted defaults that a hotspot model file may hold: exact names,
#: a closed list. Adding a model class with new attribute types means adding them here, by name.
TRUSTED_TYPES: frozenset[str] = frozenset({
    "hotspot.forecast.models.PoissonGBM",
    "hotspot.forecast.baselines.LastWeeks",
    "hotspot.forecast.baselines.SeasonalNaive",
    "hotspot.forecast.baselines.RetrospectiveKDE",
    "hotspot.forecast.baselines.ProspectiveHotspot",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "scipy.sparse._csr.csr_matrix",
})

_KEY_ENV = "HOTSPOT_MODEL_KEY"


def is_trusted_type(name: str) -> bool:
    """True only for a type name on the closed list :data:`TRUSTED_TYPES` (exact match)."""
    return name in TRUSTED_TYPES


def card_path(path: str | Path) -> Path:
    """The model card beside a model file: ``x.skops`` -> ``x.card.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".card.json")


def config_dir() -> Path:
    """The user's hotspot configuration folder (``$HOTSPOT_CONFIG_DIR``, else XDG, else ~/.config)."""
    env = os.environ.get("HOTSPOT_CONFIG_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "hotspot"


def key_file() -> Path:
    """Where the model-signing key is kept when ``$HOTSPOT_MODEL_KEY`` is not set."""
    return config_dir() / "model.key"


def _signing_key() -> bytes:
    """The key that signs a card being written (created on first use)."""
    key = model_key(create=True)
    if key is None:  # create=True always returns a key; this guards the type
        raise ModelFileError("no model-signing key could be created; set HOTSPOT_MODEL_KEY")
    return key


def model_key(*, create: bool = False) -> bytes | None:
    """The secret that signs model cards, or None when there is none (and ``create`` is False).

    ``$HOTSPOT_MODEL_KEY`` wins; otherwise :func:`key_file`, created with 32 random bytes and mode
    0600 when ``create`` (the first save) and it does not exist.
    """
    env = os.environ.get(_KEY_ENV)
    if env:
        return env.encode("utf-8")
    kf = key_file()
    if not kf.exists():
        if not create:
            return None
        kf.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
    key = kf.read_text(encoding="ascii").strip()
    if not key:
        raise ModelFileError("model-signing key file is empty; delete it to have a new one made on "
                             "the next save (models signed with the old key must then be re-signed)",
                             path=kf)
    return key.encode("ascii")


def model_sha256(path: str | Path) -> str:
    """SHA-256 of a model file, for the run manifest and the forecast cache key."""
    return sha256_file(path)


def _signature(card: dict, key: bytes) -> str:
    body = {k: v for k, v in card.items() if k != "hmac"}
    msg = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def in_packaged_folder(path: str | Path) -> bool:
    """True when ``path`` is inside the ``models/`` folder that ships with the code."""
    try:
        Path(path).resolve().relative_to((repo_root() / "models").resolve())
    except ValueError:
        return False
    return True


def _check_types(path: Path, data: bytes) -> list[str]:
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelFileError(f"not a readable skops model file ({exc})", path=path) from exc
    foreign = sorted(t for t in untrusted if not is_trusted_type(t))
    if foreign:
        raise ModelFileError(f"refusing to load types outside the closed list of hotspot model "
                             f"types: {foreign}; only load models this engine saved", path=path)
    return list(untrusted)


def _versions() -> dict:
    try:
        hv = version("hotspot")
    except PackageNotFoundError:  # not installed as a distribution
        hv = "unknown"
    return {"python": platform.python_version(), "hotspot": hv, "scikit-learn": sklearn.__version__,
            "skops": skops.__version__, "numpy": numpy.__version__}


def _strip(model):
    """A shallow copy without the offence history or covariates (data stays out of model files)."""
    m = copy.copy(model)
    for attr in ("panel_", "covariates_"):
        if hasattr(m, attr):
            setattr(m, attr, None)
    return m


def save_model(model, path: str | Path | None = None, *, name: str = "forecast",
               scores: dict | None = None, extra: dict | None = None) -> tuple[Path, Path]:
    """Save ``model`` with skops and write its signed model card.

    Parameters
    ----------
    model : estimator
        Usually a fitted :class:`hotspot.forecast.models.PoissonGBM`.
    path : str or Path, optional
        Model file (default: ``models_dir() / f"{name}.skops"``).
    name : str
        Model name (card and default file name).
    scores : dict, optional
        Backtest summary to record in the card.
    extra : dict, optional
        More card fields (e.g. data source, unit).

    Returns
    -------
    (Path, Path)
        Model file and card file.

    Raises
    ------
    ModelFileError
        If the model holds a type outside :data:`TRUSTED_TYPES` (it could not be loaded back).
    """
    path = Path(path) if path is not None else models_dir() / f"{name}.skops"
    data = sio.dumps(_strip(model))
    _check_types(path, data)
    params = {k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v))
              for k, v in model.get_params().items()} if hasattr(model, "get_params") else {}
    card = {
        "name": name, "file": path.name, "sha256": hashlib.sha256(data).hexdigest(),
        "format": "skops", "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "params": params,
        "training_period": {"first_origin": getattr(model, "train_start_", None),
                            "cutoff": getattr(model, "train_end_", None)},
        "n_train_rows": getattr(model, "n_train_rows_", None),
        "horizon_days": getattr(model, "horizon", None),
        "features": list(getattr(model, "feature_names_", [])),
        "backtest": scores or {}, "versions": _versions(),
        "saved_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card.update(extra or {})
    card = json.loads(json.dumps(card, default=_json_default))  # sign exactly what is stored
    card["hmac"] = _signature(card, _signing_key())
    write_bytes(path, data)
    cp = write_json(card_path(path), card)
    return path, cp


def read_card(path: str | Path) -> dict:
    """The model card of a model file (error if missing or unreadable)."""
    cp = card_path(path)
    if not cp.exists():
        raise ModelFileError(f"model card {cp.name} not found beside the model; a model without its "
                             "card cannot be verified: re-save it with hotspot.forecast.persist."
                             "save_model", path=path)
    try:
        card = json.loads(cp.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelFileError(f"model card is not valid JSON ({exc}); re-save the model", path=cp) from exc
    if not isinstance(card, dict):
        raise ModelFileError("model card is not a JSON object; re-save the model", path=cp)
    return card


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise ModelFileError("model file not found; train one with `hotspot forecast ... --save` or "
                             "give the right path", path=path)
    return path.read_bytes()


def verify_model(path: str | Path) -> tuple[bytes, list[str]]:
    """Check a model file without building anything from it; returns its bytes and its types.

    Raises
    ------
    ModelFileError
        Missing file or card, a type outside :data:`TRUSTED_TYPES`, a SHA-256 that differs from the
        card, or (outside the packaged ``models/`` folder) a missing key or an HMAC that does not
        verify.
    """
    path = Path(path)
    data = _read(path)  # read once: what is checked is what is loaded
    card = read_card(path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != card.get("sha256"):
        raise ModelFileError(f"SHA-256 {digest[:12]}... does not match the model card "
                             f"({str(card.get('sha256'))[:12]}...): the file was modified or replaced; "
                             "do not use it, re-train or restore the original", path=path)
    types = _check_types(path, data)
    if not in_packaged_folder(path):
        key = model_key()
        if key is None:
            raise ModelFileError(f"no model-signing key (${_KEY_ENV} or {key_file()}) on this "
                                 "machine, so this model's card cannot be verified; train the model "
                                 "here, or sign a model you trust with hotspot.forecast.persist."
                                 "sign_model", path=path)
        if not hmac.compare_digest(str(card.get("hmac", "")), _signature(card, key)):
            raise ModelFileError("the model card's HMAC does not verify under this machine's key: "
                                 "the model or its card was changed, or it was saved elsewhere; do "
                                 "not use it, or sign it with hotspot.forecast.persist.sign_model "
                                 "if you trust where it came from", path=path)
    return data, types


def sign_model(path: str | Path) -> Path:
    """Sign a model the user trusts (e.g. trained on another machine) with this machine's key.

    The type check still applies: a file holding a type outside :data:`TRUSTED_TYPES` is refused.
    The card's SHA-256 is set from the file. Returns the card path.
    """
    path = Path(path)
    data = _read(path)
    _check_types(path, data)
    card = read_card(path) if card_path(path).exists() else {"name": path.stem, "file": path.name}
    card["sha256"] = hashlib.sha256(data).hexdigest()
    card.pop("hmac", None)
    card["hmac"] = _signature(card, _signing_key())
    return write_json(card_path(path), card)


def load_model(path: str | Path):
    """Load a model saved by :func:`save_model`, after :func:`verify_model`.

    Raises
    ------
    ModelFileError
        See :func:`verify_model`; also when skops cannot build the object.
    """
    path = Path(path)
    data, types = verify_model(path)
    try:
        return sio.loads(data, trusted=types)
    except Exception as exc:
        raise ModelFileError(f"could not load the model ({exc})", path=path) from exc

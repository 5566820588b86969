"""Safe model persistence: skops files plus a model card, verified on load.

A model is saved as ``<name>.skops`` (:func:`skops.io.dump`: no pickle) with ``<name>.card.json``
beside it: training period, features, backtest scores, package versions and the SHA-256 of the
model file. :func:`load_model` refuses a file whose SHA-256 differs from its card (tampered or
replaced) and a file holding any type that is neither one of our estimators nor scikit-learn's;
it never uses ``trusted=True`` and never unpickles.
"""

from __future__ import annotations

import copy
import hashlib
import json
import platform
from datetime import datetime, timezone
from pathlib import Path

from hotspot.errors import ModelFileError
from hotspot.io import sha256_file, write_bytes, write_json
from hotspot.paths import models_dir


def _our_types() -> list[str]:
    from hotspot.forecast import baselines, models

    classes = [models.PoissonGBM, baselines.LastWeeks, baselines.SeasonalNaive,
               baselines.RetrospectiveKDE, baselines.ProspectiveHotspot]
    return [f"{c.__module__}.{c.__qualname__}" for c in classes]


def is_trusted_type(name: str) -> bool:
    """True for our estimator classes and scikit-learn's own types."""
    return name in _our_types() or name.startswith("sklearn.")


def card_path(path: str | Path) -> Path:
    """The model card beside a model file: ``x.skops`` -> ``x.card.json``."""
    p = Path(path)
    return p.with_name(p.stem + ".card.json")


def _versions() -> dict:
    import numpy
    import sklearn
    import skops

    try:
        from importlib.metadata import version

        hv = version("hotspot")
    except Exception:  # not installed as a distribution
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
    """Save ``model`` with skops and write its model card.

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
    """
    import skops.io as sio

    path = Path(path) if path is not None else models_dir() / f"{name}.skops"
    data = sio.dumps(_strip(model))
    write_bytes(path, data)
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
        "saved_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card.update(extra or {})
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
        return json.loads(cp.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelFileError(f"model card is not valid JSON ({exc}); re-save the model", path=cp) from exc


def load_model(path: str | Path):
    """Load a model saved by :func:`save_model`, after verifying it.

    Raises
    ------
    ModelFileError
        If the file or its card is missing, the SHA-256 differs from the card (the file was
        changed), the file is not a readable skops file, or it holds types other than our
        estimators and scikit-learn's.
    """
    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise ModelFileError("model file not found; train one with `hotspot forecast ... --save` or "
                             "give the right path", path=path)
    card = read_card(path)
    digest = sha256_file(path)
    if digest != card.get("sha256"):
        raise ModelFileError(f"SHA-256 {digest[:12]}... does not match the model card "
                             f"({str(card.get('sha256'))[:12]}...): the file was modified or replaced; "
                             "do not use it, re-train or restore the original", path=path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelFileError(f"not a readable skops model file ({exc})", path=path) from exc
    foreign = [t for t in untrusted if not is_trusted_type(t)]
    if foreign:
        raise ModelFileError(f"refusing to load types that are not hotspot or scikit-learn "
                             f"estimators: {foreign}; only load models this engine saved", path=path)
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ModelFileError(f"could not load the model ({exc})", path=path) from exc

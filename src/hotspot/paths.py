"""Where the embedded data, bundled configs and default models live."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def repo_root() -> Path:
    """The source checkout (``src/hotspot/../..``)."""
    return _PKG.parent.parent


def data_dir() -> Path:
    """The embedded data set: ``$HOTSPOT_DATA`` or ``<repo>/data``."""
    env = os.environ.get("HOTSPOT_DATA")
    return Path(env) if env else repo_root() / "data"


def models_dir() -> Path:
    """Default trained models: ``$HOTSPOT_MODELS`` or ``<repo>/models``."""
    env = os.environ.get("HOTSPOT_MODELS")
    return Path(env) if env else repo_root() / "models"


def reference_dir() -> Path:
    """The VRU reference figures (``../shared/reference`` beside the checkout), if present."""
    env = os.environ.get("HOTSPOT_REFERENCE")
    if env:
        return Path(env)
    for cand in (repo_root().parent / "shared" / "reference", repo_root() / "data" / "reference"):
        if cand.exists():
            return cand
    return repo_root() / "data" / "reference"

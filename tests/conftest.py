"""Suite-wide fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.realdata import require_real

# Property tests draw the same examples on every run (CI included): a failure is reproducible,
# never a matter of luck. Set HYPOTHESIS_PROFILE=explore locally to search further.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def real() -> Path:
    """The real-data folder ``../shared/real``; skips (or fails under ``HOTSPOT_REQUIRE_REAL``)."""
    return require_real()


@pytest.fixture(autouse=True)
def _model_key_in_tmp(tmp_path_factory, monkeypatch):
    """Model-signing keys go to a per-session folder, never the user's ~/.config (persist.model_key)."""
    monkeypatch.setenv("HOTSPOT_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "hotspot-config"))
    monkeypatch.delenv("HOTSPOT_MODEL_KEY", raising=False)

"""Suite-wide fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import require_real


@pytest.fixture(scope="session")
def real() -> Path:
    """The real-data folder ``../shared/real``; skips (or fails under ``HOTSPOT_REQUIRE_REAL``)."""
    return require_real()


@pytest.fixture(autouse=True)
def _model_key_in_tmp(tmp_path_factory, monkeypatch):
    """Model-signing keys go to a per-session folder, never the user's ~/.config (persist.model_key)."""
    monkeypatch.setenv("HOTSPOT_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "hotspot-config"))
    monkeypatch.delenv("HOTSPOT_MODEL_KEY", raising=False)

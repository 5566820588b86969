"""Suite-wide fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realdata import require_real


@pytest.fixture(scope="session")
def real() -> Path:
    """The real-data folder ``../shared/real``; skips (or fails under ``HOTSPOT_REQUIRE_REAL``)."""
    return require_real()

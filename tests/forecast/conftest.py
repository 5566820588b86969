"""Shared fixtures for forecasting tests: a small synthetic offence world (see synthworld.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synthworld import synthetic_offences  # noqa: E402


@pytest.fixture(scope="session")
def world():
    """~6,500 offences on 20 x 20 cells of 250 m, 2018-01 to 2021-06."""
    return synthetic_offences(total=6000.0, seed=1)


@pytest.fixture(scope="session")
def big_world():
    """~20,000 offences: enough signal for model comparisons."""
    return synthetic_offences(total=20000.0, seed=2)

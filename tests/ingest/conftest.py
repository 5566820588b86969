"""Fixtures writing real-shaped small offence files into tmp_path (helpers in ingest_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_fixtures import EXTRACT_HEADER, policeuk_text, table_text


@pytest.fixture
def write_policeuk(tmp_path):
    """Write police.uk rows to ``<tmp>/<YYYY-MM>/<YYYY-MM>-avon-and-somerset-street.csv``."""
    def _write(rows, month="2021-03", root: Path | None = None) -> Path:
        folder = (root or tmp_path) / month
        folder.mkdir(parents=True, exist_ok=True)
        p = folder / f"{month}-avon-and-somerset-street.csv"
        p.write_text(policeuk_text(rows), encoding="utf-8")
        return p
    return _write


@pytest.fixture
def write_extract(tmp_path):
    def _write(rows, name="offences_extract.csv", header=EXTRACT_HEADER) -> Path:
        p = tmp_path / name
        p.write_text(table_text(header, rows), encoding="utf-8")
        return p
    return _write

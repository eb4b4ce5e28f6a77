"""Every app test starts with an empty database holding only the reference data."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_database(clean_database: None) -> None:
    """Apply `clean_database` to every test in this folder."""

"""Shared test fixtures. Data in ../shared is optional: tests that need it skip clearly."""
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_pages():
    d = SHARED_DATA / "pages"
    if not d.is_dir():
        pytest.skip(f"real sample pages not present at {d}")
    return d


@pytest.fixture
def nist26_valid():
    f = SHARED_DATA / "nist" / "nist26_valid.mat"
    if not f.is_file():
        pytest.skip(f"NIST26 validation file not present at {f}")
    return f

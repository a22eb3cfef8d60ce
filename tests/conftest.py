from pathlib import Path

import pytest

import csworkbook
from csworkbook import synth

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "datasets" / "demo"


@pytest.fixture(scope="session")
def demo():
    """The committed demo dataset, loaded once."""
    return csworkbook.load(DEMO)


@pytest.fixture(scope="session")
def small():
    """A small world for fast structural tests (not the demo)."""
    return synth.generate(400, seed=11)

"""The figures README quotes are the ones the code produces on the demo dataset."""

from csworkbook.devtools import readme
from csworkbook.retention.diagnostics import calibration, signal_auc

from .conftest import ROOT


def test_demo_retention_falls_in_benchmark_ranges(demo):
    cal = calibration(demo)
    assert cal["within"].all(), cal[~cal["within"]]


def test_usage_alone_misses_what_all_signals_see(demo):
    auc = signal_auc(demo)["auc"]
    assert auc["all signals"] >= 0.78
    assert auc["all signals"] - auc["usage only"] >= 0.08
    assert auc["usage only"] > 0.55  # usage matters, it is just not enough


def test_readme_generated_sections_are_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.render(text) == text, "README is stale: run `python tasks.py docs`"

"""Keep README's generated sections true: ``python -m csworkbook.devtools.readme README.md``.

Sections sit between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` markers; a test
fails when README differs from what this module renders, so figures quoted there are
always the ones the code produces.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "datasets" / "demo"
METRIC_NAMES = {"grr": "GRR", "nrr": "NRR", "logo_churn": "logo churn"}


def demo_figures(path: Path = DEMO) -> str:
    """Calibration and AUC figures of the demo dataset as Markdown."""
    from ..loading import load
    from ..retention.diagnostics import calibration, signal_auc

    ds = load(path)
    cal = calibration(ds)
    lines = [
        "| segment | metric | benchmark range | demo dataset | within |",
        "|---|---|---|---|---|",
    ]
    for r in cal.itertuples(index=False):
        lines.append(
            f"| {r.group} | {METRIC_NAMES[r.metric]} | {r.low:.0%} – {r.high:.0%} "
            f"| {r.value:.1%} | {'yes' if r.within else 'no'} |"
        )
    auc = signal_auc(ds)
    n, rate = int(auc["renewals"].iloc[0]), float(auc["churn_rate"].iloc[0])
    lines += [
        "",
        f"Telling churn from renewal at {n} annual-or-longer renewals "
        f"({rate:.1%} churned), 30 days ahead, 5-fold cross-validation grouped by account:",
        "",
        "| model | AUC |",
        "|---|---|",
        *(f"| {m} | {a:.3f} |" for m, a in auc["auc"].items()),
    ]
    return "\n".join(lines)


def sections() -> dict:
    from ..data.schema import data_dictionary_markdown

    return {"data-dictionary": data_dictionary_markdown, "demo-figures": demo_figures}


def render(text: str) -> str:
    """README text with every generated section re-rendered."""
    for name, make in sections().items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no '<!-- BEGIN {name} -->' … '<!-- END {name} -->' block")
        body = make().rstrip("\n") + "\n"
        text = pattern.sub(lambda m, b=body: m.group(1) + b + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0] if argv else "README.md")
    new = render(path.read_text(encoding="utf-8"))
    path.write_text(new, encoding="utf-8")
    print(f"updated generated sections of {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

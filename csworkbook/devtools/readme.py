"""Keep README's generated sections true: ``python -m csworkbook.devtools.readme README.md``.

Sections sit between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` markers; a test
fails when README differs from what this module renders, so figures quoted there are
always the ones the code produces.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "datasets" / "demo"
METRIC_NAMES = {"grr": "GRR", "nrr": "NRR", "logo_churn": "logo churn"}


def health_backtest(ds):
    """Notebooks 12-13's backtest of the usage-only and holistic scorecards: every customer
    every 14 days over two years, churn within 90 days, past dates only, as
    :func:`csworkbook.retention.diagnostics.usage_vs_all` reads it."""
    from ..health import health_frame, profiles, scoring_dates

    frame = health_frame(ds, scoring_dates(ds.as_of, weeks=104, every_days=14), horizon_days=90)
    frame = frame.dropna(subset=["churned"])
    return frame[["account_id", "churned"]].assign(
        **{
            "usage only": profiles.usage_scorecard().score(frame)["score"],
            "all signals": profiles.holistic_scorecard().score(frame)["score"],
        }
    )


def markdown_table(df) -> list[str]:
    """Rows of a Markdown table: the index (named) first, then every column, as text."""
    cols = [df.index.name or "", *df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([str(idx), *(str(v) for v in row)]) + " |")
    return lines


@functools.lru_cache(maxsize=2)
def demo_tables(path: Path = DEMO):
    """The demo's benchmark calibration and its usage-only vs all-signals AUCs under the
    three definitions (:func:`csworkbook.retention.diagnostics.usage_vs_all`), computed once
    per path and session (tests read them too)."""
    from ..loading import load
    from ..retention.diagnostics import calibration, usage_vs_all

    ds = load(path)
    return calibration(ds), usage_vs_all(ds, health=health_backtest(ds))


def demo_figures(path: Path = DEMO) -> str:
    """Calibration and usage-only vs all-signals AUC figures of the demo dataset as Markdown."""
    from ..retention.diagnostics import readable_definitions

    cal, three = demo_tables(path)
    lines = [
        "| segment | metric | benchmark range | demo dataset | within |",
        "|---|---|---|---|---|",
    ]
    for r in cal.itertuples(index=False):
        lines.append(
            f"| {r.group} | {METRIC_NAMES[r.metric]} | {r.low:.0%} – {r.high:.0%} "
            f"| {r.value:.1%} | {'yes' if r.within else 'no'} |"
        )
    three = readable_definitions(three)
    lines += [
        "",
        "Usage only against all signals, three ways (AUC; the difference's interval resamples "
        "accounts):",
        "",
        *markdown_table(three),
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

"""The csworkbook command: make, check and describe customer-success datasets.

csworkbook generate --accounts 1500 --seed 7 --out datasets/demo
csworkbook info datasets/demo
csworkbook info EXPORT --mapping MAP.yaml
csworkbook validate datasets/demo
csworkbook diagnose datasets/demo
csworkbook report health --data datasets/demo --out build/reports [--by csm] [--lang ja]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

DEMO = {"n_accounts": 1500, "seed": 7, "as_of": "2025-12-31", "months": 36}


def _generate(args) -> int:
    from . import synth
    from .data import write_dataset

    ds = synth.generate(args.accounts, seed=args.seed, as_of=args.as_of, months=args.months)
    out = write_dataset(ds, args.out, fmt=args.format)
    print(f"wrote {ds!r} to {out}/ as {args.format}")
    if args.events:
        import time

        from .synth.product_events import write_events

        t0 = time.perf_counter()
        done = write_events(ds, out / "events", seed=args.seed, jobs=args.jobs, progress=True)
        took = time.perf_counter() - t0
        print(
            f"wrote {done.events:,} events ({done.customer_months:,} customer-months) to "
            f"{done.path}/ in {done.files} Parquet files, {took:.1f} s "
            f"({done.events / took:,.0f} events/s)"
        )
    return 0


def _load(args):
    """The dataset an ``info`` or ``diagnose`` call names: a folder, or exports through a mapping."""
    from .loading import load

    if args.mapping is None:
        if args.path is None:
            raise ValueError("give a dataset folder, or --mapping FILE for exports")
        if args.as_of is not None:
            raise ValueError("--as-of applies to exports read through --mapping")
        return load(args.path)
    ds = load(args.path, mapping=args.mapping, mode=args.mode, as_of=args.as_of)
    print(ds.load_report.accounting.to_string(index=False), "\n")
    return ds


def _info(args) -> int:
    ds = _load(args)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(repr(ds), "\n")
        print(ds.summary().to_string(), "\n")
        print(ds.capabilities().to_string())
    return 0


def _plausibility(ds) -> None:
    """Headline figures to compare with the export's own, and what looks implausible."""
    from .retention import plausibility

    print("\nfigures to compare with the export's own:")
    for r in plausibility.overview(ds).itertuples(index=False):
        shown = "n/a" if pd.isna(r.value) else r.value
        if isinstance(r.value, float) and not pd.isna(r.value):
            shown = f"{r.value:.1%}"
        print(f"  {r.figure}: {shown}")
    found = plausibility.check(ds)
    if found.empty:
        print("plausibility: nothing implausible found")
        return
    print(f"plausibility: {len(found)} warning(s)")
    for w in found.itertuples(index=False):
        print(f"  ! {w.check}: {w.finding}\n    likely cause: {w.likely_cause}\n    fix: {w.fix}")


def _validate(args) -> int:
    from .loading import load

    if args.mapping is None:
        if args.path is None:
            raise ValueError("give a dataset folder, or --mapping FILE for exports")
        ds = load(args.path)  # raises DataError with the full report when anything is wrong
        print(f"{args.path}: every table matches the data contract")
        _plausibility(ds)
        return 0
    ds = load(args.path, mapping=args.mapping, mode="lenient", as_of=args.as_of)
    report = ds.load_report
    print(report)
    _plausibility(ds)
    can = ds.capabilities()
    print("\nanalyses these tables support:")
    for analysis, r in can.iterrows():
        print(
            f"  [{'x' if r.available else ' '}] {analysis}"
            + ("" if r.available else f"  (needs {r.missing})")
        )
    if args.rejects is not None:
        from .reports import neutralise_formulas, safe_name

        args.rejects.mkdir(parents=True, exist_ok=True)
        for table, rej in report.rejected.items():
            if len(rej):
                out = args.rejects / f"{safe_name(table)}.rejects.csv"
                neutralise_formulas(rej).to_csv(out, index=False, encoding="utf-8-sig")
                print(f"wrote {len(rej)} rejected row(s) with reasons to {out}")
    if not report.ok:
        print(
            "error: rows were rejected; fix them or load with mode='lenient' to keep the rest",
            file=sys.stderr,
        )
        return 1
    print("every row was accepted")
    return 0


def _mapping_init(args) -> int:
    from .exports.draft import draft_mapping

    if args.sheet and args.export.is_dir():
        raise ValueError("--sheet names a sheet of one Excel file, not of a folder")
    text = draft_mapping(args.export, sheet=args.sheet)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        todo = sum("TODO" in line.split("#")[0] for line in text.splitlines())
        print(
            f"wrote a draft mapping to {args.out}; "
            + (f"complete the {todo} line(s) marked TODO" if todo else "check every line")
            + f", then: csworkbook validate {args.export} --mapping {args.out}"
        )
    else:
        print(text)
    return 0


# Each part of ``diagnose``: its title, the analysis (``Dataset.supports``) that says what it
# reads, and the function of csworkbook.retention.diagnostics that runs it.
DIAGNOSES = (
    (
        "Trailing-year retention against benchmark ranges",
        "revenue retention GRR / NRR and MRR movements",
        "calibration",
    ),
    (
        "Telling churn from renewal (cross-validated logistic regression)",
        "usage only vs all signals",
        "signal_auc",
    ),
)


def _diagnose(args) -> int:
    from .retention import diagnostics

    ds = _load(args)
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        for title, analysis, func in DIAGNOSES:
            support = ds.supports(analysis)
            if not support:
                print(f"{title}: skipped, needs {', '.join(support.brief)}\n")
                continue
            try:
                result = getattr(diagnostics, func)(ds)
            except (ValueError, KeyError) as e:  # e.g. a segment absent, too few renewals
                why = (str(e).splitlines() or [type(e).__name__])[0]
                print(f"{title}: could not run on this data ({why})\n")
                continue
            print(f"{title}:")
            print(result.to_string(index=result.index.name is not None), "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="csworkbook", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {__version__}",
        help="print the version and exit",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do")

    g = sub.add_parser("generate", help="write a synthetic dataset")
    g.add_argument(
        "--accounts",
        type=int,
        default=DEMO["n_accounts"],
        help="customer companies (default %(default)s)",
    )
    g.add_argument(
        "--seed", type=int, default=DEMO["seed"], help="random seed (default %(default)s)"
    )
    g.add_argument(
        "--as-of", default=DEMO["as_of"], help="last day of the data (default %(default)s)"
    )
    g.add_argument(
        "--months", type=int, default=DEMO["months"], help="months of history (default %(default)s)"
    )
    g.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default="csv",
        help="file format of the tables (default %(default)s)",
    )
    g.add_argument("--out", required=True, type=Path, help="folder to write into")
    g.add_argument(
        "--events",
        action="store_true",
        help="also write the raw product events behind the weekly usage to OUT/events/ "
        "(partitioned Parquet; the demo has about 7 million)",
    )
    g.add_argument("--jobs", type=int, help="processes writing events (default: CPUs, max 4)")
    g.set_defaults(func=_generate)

    for name, func, text in (
        ("info", _info, "tables, date ranges and the analyses the data supports"),
        (
            "validate",
            _validate,
            "check data against the contract; with --mapping, account for every export row",
        ),
        ("diagnose", _diagnose, "benchmark calibration and usage-only vs all-signal AUC"),
    ):
        s = sub.add_parser(name, help=text, description=text)
        s.add_argument(
            "path",
            type=Path,
            nargs="?",
            help="dataset folder; with --mapping the export file or folder "
            "(default: the files the mapping names)",
        )
        s.add_argument(
            "--mapping", type=Path, help="mapping file (YAML) for exports in their own layout"
        )
        s.add_argument("--as-of", help="the date the export was taken (overrides the mapping)")
        if name == "validate":
            s.add_argument(
                "--rejects", type=Path, help="folder to write rejected rows and reasons to"
            )
        else:
            s.add_argument(
                "--mode",
                choices=["strict", "lenient"],
                default="strict",
                help="with --mapping: stop at any unusable row (strict), or keep the good rows "
                "(default %(default)s)",
            )
        s.set_defaults(func=func)

    m = sub.add_parser("mapping", help="mapping files", description="mapping files")
    msub = m.add_subparsers(
        dest="mapping_command", required=True, metavar="COMMAND", help="what to do"
    )
    mi = msub.add_parser(
        "init",
        help="draft a mapping from an export's headers",
        description="draft a mapping from an export's headers and contents; for a folder, "
        "one mapping with a table for every file in it",
    )
    mi.add_argument(
        "export",
        type=Path,
        help="the export file (CSV, TSV, Excel or Parquet), or a folder of them",
    )
    mi.add_argument("--sheet", help="Excel sheet name")
    mi.add_argument("--out", type=Path, help="write the draft here instead of printing it")
    mi.set_defaults(func=_mapping_init)

    from .features_cli import add_parser as add_features_parser
    from .reports.batch import add_parser as add_report_parser

    add_features_parser(sub)
    add_report_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from .data import DataError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # bad arguments that argparse cannot see, e.g. --accounts 0
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

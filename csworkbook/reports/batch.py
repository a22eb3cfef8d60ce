"""``csworkbook report``: run a report by name, once or for every segment / CSM of the data,
in English or Japanese, and keep the folder's index page up to date.

    csworkbook report --list
    csworkbook report health --data datasets/demo --out build/reports --lang ja
    csworkbook report health --data datasets/demo --out build/reports --by csm --jobs 2

A report's name is the file name of its notebook in ``notebooks/reports/`` (or give the path
of a notebook of your own). Runs of a batch are independent: each executes in its own kernel
(a separate process, so threads run them in parallel), and one that fails does not stop the
others; its notebook is kept beside the reports as ``<name>.failed.ipynb`` with the error.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .index import write_index
from .run import DATA_PARAMETERS, check_parameters, declared_parameters, output_stem, run_report

REPORTS = Path(__file__).resolve().parents[2] / "notebooks" / "reports"
BY = {"segment": ("SEGMENT", "segment"), "csm": ("CSM", "csm_id")}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def report_names(folder: Path = REPORTS) -> dict[str, Path]:
    """Every report: ``{name: notebook}`` for the notebooks in ``notebooks/reports/``."""
    return {p.stem: p for p in sorted(Path(folder).glob("*.ipynb")) if not p.name.startswith(".")}


def find_report(name: str, folder: Path = REPORTS) -> Path:
    """The notebook of report ``name`` (or ``name`` itself when it is a notebook file); an
    unknown name is a ValueError naming the reports there are."""
    known = report_names(folder)
    if name in known:
        return known[name]
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    raise ValueError(
        f"no report {name!r}; the reports are {', '.join(known) or 'none'} "
        "(or give the path of a report notebook)"
    )


def describe(folder: Path = REPORTS) -> str:
    """The reports and their parameters, as ``csworkbook report --list`` prints them."""
    lines = []
    for name, path in report_names(folder).items():
        lines.append(name)
        for p, d in declared_parameters(path).items():
            if p in DATA_PARAMETERS:
                continue
            help_ = f"  # {d['help']}" if d.get("help") else ""
            lines.append(f"    {p}: {d.get('inferred_type_name', '')} = {d.get('default')}{help_}")
    lines.append(
        "DATA, MAPPING and AS_OF come from --data, --mapping and --as-of; LANG from --lang; "
        "OUT (action lists) is set to DIR/actions/<report>/."
    )
    return "\n".join(lines)


def parse_assignments(items: list[str]) -> dict:
    """``["SEGMENT=smb", "HORIZON_DAYS=90"]`` → ``{"SEGMENT": "smb", "HORIZON_DAYS": "90"}``."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"-p {item!r}: give NAME=VALUE, e.g. -p SEGMENT=smb")
        out[key.strip()] = value
    return out


def plan(template, given: dict, by: str | None, *, data, mapping=None, as_of=None) -> list:
    """The parameters of each run: ``[given]``, or one run per segment / CSM of the data
    (read through ``mapping``), within ``given``'s segment when one is set."""
    if by is None:
        return [dict(given)]
    declared = declared_parameters(template)
    param, column = BY[by]
    if param not in declared:
        raise ValueError(f"{Path(template).stem} has no {param} parameter: it cannot run --by {by}")
    if param in given:
        raise ValueError(f"--by {by} sets {param} for each run; do not also give -p {param}")
    import csworkbook

    ds = csworkbook.load(data, mapping=mapping, as_of=as_of)
    acc = ds.accounts
    if "SEGMENT" in given and given["SEGMENT"]:
        known = sorted(acc["segment"].dropna().astype(str).unique())
        if given["SEGMENT"] not in known:
            raise ValueError(
                f"segment {given['SEGMENT']!r}: the segments in the data are "
                f"{', '.join(known) or 'none'}"
            )
        acc = acc[acc["segment"].astype("string") == given["SEGMENT"]]
    if column not in acc:
        raise ValueError(f"the data has no {column} column: it cannot run --by {by}")
    values = sorted(acc[column].dropna().astype(str).unique())
    if not values:
        raise ValueError(f"no customer in the data has a {column}: nothing to run --by {by}")
    return [{**given, param: v} for v in values]


@dataclass
class Outcome:
    """One run of a batch: the HTML it wrote, or the error and the failed notebook."""

    parameters: dict
    stem: str
    html: Path | None = None
    error: str = ""
    failed_notebook: Path | None = None

    @property
    def ok(self) -> bool:
        return self.html is not None


def _first_line(e: BaseException) -> str:
    # papermill's error names the exception raised in the notebook
    text = f"{e.ename}: {e.evalue}" if hasattr(e, "ename") else f"{type(e).__name__}: {e}"
    return (_ANSI.sub("", text).strip().splitlines() or [type(e).__name__])[0]


def run_batch(
    template,
    data,
    out_dir,
    runs: list[dict],
    *,
    mapping=None,
    as_of=None,
    jobs: int = 2,
    progress: bool = True,
) -> list[Outcome]:
    """Run ``template`` once per parameter set in ``runs``, ``jobs`` at a time; every run
    completes or fails on its own. Returns the outcomes in the order of ``runs``."""
    from tqdm.auto import tqdm

    template, out_dir = Path(template).resolve(), Path(out_dir).resolve()
    declared = declared_parameters(template)
    outcomes = [
        Outcome(
            r, output_stem(template, check_parameters(template, r, declared=declared), declared)
        )
        for r in runs
    ]

    def one(o: Outcome) -> Outcome:
        try:
            o.html = run_report(template, data, out_dir, o.parameters, mapping=mapping, as_of=as_of)
        except Exception as e:  # the run failed; the others go on
            o.error = _first_line(e)
            failed = out_dir / f"{o.stem}.failed.ipynb"
            o.failed_notebook = failed if failed.exists() else None
        return o

    bar = tqdm(
        total=len(outcomes),
        desc=template.stem,
        unit="report",
        disable=not progress or len(outcomes) < 2,
        file=sys.stderr,
    )
    with bar, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in as_completed([pool.submit(one, o) for o in outcomes]):
            done = future.result()
            if not done.ok:
                bar.set_postfix(failed=sum(o.error != "" for o in outcomes))
            bar.update()
    return outcomes


def command(args) -> int:
    """``csworkbook report`` (arguments from :func:`add_parser`)."""
    if args.list:
        print(describe())
        return 0
    if not args.name:
        raise ValueError(
            f"name a report, or --list them; the reports are {', '.join(report_names())}"
        )
    if args.out is None or args.data is None:
        raise ValueError("give --data (a dataset folder or an export) and --out (a folder)")
    if args.jobs < 1:
        raise ValueError(f"--jobs {args.jobs}: give 1 or more")
    if args.as_of is not None and args.mapping is None:
        raise ValueError("--as-of applies to exports read through --mapping")
    template = find_report(args.name)
    given = check_parameters(template, parse_assignments(args.param), lang=args.lang)
    runs = plan(template, given, args.by, data=args.data, mapping=args.mapping, as_of=args.as_of)
    outcomes = run_batch(
        template,
        args.data,
        args.out,
        runs,
        mapping=args.mapping,
        as_of=args.as_of,
        jobs=args.jobs,
        progress=not args.quiet,
    )
    index = write_index(args.out)
    return summarise(outcomes, index)


def summarise(outcomes: list[Outcome], index: Path) -> int:
    """Print what was written and what failed; 1 if anything failed."""
    failed = [o for o in outcomes if not o.ok]
    if len(outcomes) == 1 and not failed:
        print(f"wrote {outcomes[0].html}")
    else:
        n = len(outcomes)
        print(f"{n} report{'s' if n != 1 else ''}: {n - len(failed)} ok, {len(failed)} failed")
    for o in failed:
        print(f"failed: {o.stem}: {o.error}", file=sys.stderr)
        if o.failed_notebook is not None:
            print(f"  the notebook with the error: {o.failed_notebook}", file=sys.stderr)
    print(f"index of the reports: {index}")
    return 1 if failed else 0


def add_parser(sub) -> None:
    """The ``report`` subcommand of ``csworkbook``."""
    text = "run a report (in notebooks/reports/) to HTML without code, in English or Japanese"
    r = sub.add_parser("report", help=text, description=text)
    r.add_argument("name", nargs="?", help="the report (csworkbook report --list names them)")
    r.add_argument("--list", action="store_true", help="list the reports and their parameters")
    r.add_argument(
        "--data", type=Path, help="dataset folder; with --mapping the export file or folder"
    )
    r.add_argument(
        "--mapping", type=Path, help="mapping file (YAML) for an export in its own layout"
    )
    r.add_argument("--as-of", help="with --mapping: the date the export was taken")
    r.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of the report, e.g. -p SEGMENT=smb (repeatable)",
    )
    r.add_argument(
        "--by",
        choices=sorted(BY),
        help="one report per segment or per CSM of the data, run in parallel",
    )
    r.add_argument("--jobs", type=int, default=2, help="with --by: reports at a time (default 2)")
    r.add_argument(
        "--lang", choices=["en", "ja"], default=None, help="language of the report (default en)"
    )
    r.add_argument(
        "--out",
        type=Path,
        help="folder for the reports, their notebooks, action lists (actions/) and index.html",
    )
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=command)

"""Run a report notebook with papermill and render it to HTML without code.

    python -m csworkbook.reports notebooks/reports/dataset_overview.ipynb \\
        --data datasets/demo --out build/reports [-p segment smb]
    python -m csworkbook.reports notebooks/reports/dataset_overview.ipynb \\
        --data EXPORT --mapping MAP.yaml [--as-of 2026-03-31]

The HTML shows outputs only: no code, no ``In [n]:`` / ``Out[n]:`` prompts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ..data.atomic import write_bytes_atomically, writer_lock
from .files import safe_name


def run_report(
    template, data, out_dir, parameters: dict | None = None, *, mapping=None, as_of=None
) -> Path:
    """Execute ``template`` on ``data`` (a dataset folder, or an export read through
    ``mapping``); returns the HTML file written.

    ``parameters`` are the template's own (``{"segment": "smb"}``), matched to its parameters
    cell whatever their case; a name the template does not take is an error. The output name
    is the template's name plus their values, sanitised.
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    template, out_dir = Path(template), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    declared = {name.lower(): name for name in pm.inspect_notebook(str(template))}
    given = {}
    for key, value in (parameters or {}).items():
        name = declared.get(str(key).lower())
        if name is None or name in ("DATA", "MAPPING", "AS_OF"):
            takes = ", ".join(n for n in declared.values() if n not in ("DATA", "MAPPING", "AS_OF"))
            raise ValueError(
                f"{template.name} has no parameter {key!r} to set with -p; it takes "
                f"{takes or 'none'} (the data comes from --data, --mapping and --as-of)"
            )
        given[name] = value
    params = {"DATA": str(Path(data).resolve()), **given}
    if mapping is not None:
        params["MAPPING"] = str(Path(mapping).resolve())
    if as_of is not None:
        params["AS_OF"] = str(as_of)
    suffix = "".join(f"-{safe_name(v)}" for k, v in sorted(given.items()))
    stem = safe_name(template.stem + suffix)
    executed, html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    failed = out_dir / f"{stem}.failed.ipynb"
    # Papermill writes its output after every cell: run into a hidden file and move the
    # results into place only when complete, so a killed run never leaves a partial
    # notebook beside the previous HTML. A failed run keeps its notebook, error included.
    with writer_lock(executed):
        fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".ipynb", dir=out_dir)
        os.close(fd)
        running = Path(name)
        try:
            pm.execute_notebook(
                str(template),
                str(running),
                parameters=params,
                cwd=str(template.parent),
                progress_bar=False,
                log_output=False,
            )
        except BaseException:
            if running.exists() and running.stat().st_size:
                os.replace(running, failed)
            running.unlink(missing_ok=True)
            raise
        exporter = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )
        body, _ = exporter.from_notebook_node(nbformat.read(running, as_version=4))
        write_bytes_atomically(html, body.encode("utf-8"))
        os.replace(running, executed)
        failed.unlink(missing_ok=True)
    return html


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m csworkbook.reports", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("template", type=Path, help="report notebook (in notebooks/reports/)")
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        help="dataset folder; with --mapping the export file or folder",
    )
    p.add_argument(
        "--mapping", type=Path, help="mapping file (YAML) for an export in its own layout"
    )
    p.add_argument("--as-of", help="with --mapping: the date the export was taken")
    p.add_argument(
        "--out", type=Path, default=Path("build/reports"), help="folder (default %(default)s)"
    )
    p.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a template parameter, e.g. -p segment smb (repeatable)",
    )
    args = p.parse_args(argv)
    html = run_report(
        args.template, args.data, args.out, dict(args.param), mapping=args.mapping, as_of=args.as_of
    )
    print(f"wrote {html}")
    return 0

"""Run a report notebook with papermill and render it to HTML without code.

    python -m csworkbook.reports notebooks/reports/dataset_overview.ipynb \\
        --data datasets/demo --out build/reports [-p segment smb]
    python -m csworkbook.reports notebooks/reports/dataset_overview.ipynb \\
        --data EXPORT --mapping MAP.yaml [--as-of 2026-03-31]

The HTML shows outputs only: no code, no ``In [n]:`` / ``Out[n]:`` prompts. ``csworkbook
report`` (:mod:`csworkbook.reports.batch`) runs reports by name, per segment or CSM, and keeps
an index page of everything written.
"""

from __future__ import annotations

import argparse
import ast
import os
import tempfile
import time
from pathlib import Path

from ..data.atomic import write_bytes_atomically, writer_lock
from .files import safe_name
from .glossary import check_lang

# Set by run_report from its arguments, never with -p.
DATA_PARAMETERS = ("DATA", "MAPPING", "AS_OF")
# Where the notebook writes its action lists: ``actions/<output name>/`` beside the report.
ACTIONS = "actions"
# The whole output name (before ".failed.ipynb") stays well under 255 bytes.
MAX_STEM_BYTES = 160


def declared_parameters(template) -> dict:
    """The parameters a template declares: ``{NAME: {"inferred_type_name", "default",
    "help"}}`` as :func:`papermill.inspect_notebook` reads its ``parameters`` cell."""
    import papermill as pm

    return pm.inspect_notebook(str(template))


def _typed(name: str, value, declared: dict):
    """A value given as text on the command line in the type the template declares."""
    kind = declared.get("inferred_type_name", "None")
    if not isinstance(value, str) or kind in ("str", "None"):
        return value
    text = value.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            if text.lower() in ("true", "1", "yes"):
                return True
            if text.lower() in ("false", "0", "no"):
                return False
            raise ValueError(text)
    except ValueError:
        raise ValueError(f"parameter {name} takes {kind} values, not {value!r}") from None
    return value


def _default(declared: dict):
    try:
        return ast.literal_eval(declared.get("default", ""))
    except (ValueError, SyntaxError):
        return object()  # an expression: never equal to a given value


def check_parameters(
    template, parameters: dict | None = None, *, lang: str | None = None, declared=None
) -> dict:
    """The parameters to give ``template``, by their declared names and in their declared
    types: ``parameters`` matched whatever their case (``segment`` sets ``SEGMENT``), plus
    ``LANG`` from ``lang``. A name the template does not take, a value of the wrong type, or
    a language the template is not written in is a ValueError that names the choices."""
    template = Path(template)
    declared = declared_parameters(template) if declared is None else declared
    names = {name.lower(): name for name in declared}
    given = {}
    for key, value in (parameters or {}).items():
        name = names.get(str(key).lower())
        if name is None or name in DATA_PARAMETERS:
            takes = ", ".join(n for n in declared if n not in DATA_PARAMETERS)
            raise ValueError(
                f"{template.name} has no parameter {key!r} to set with -p; it takes "
                f"{takes or 'none'} (the data comes from --data, --mapping and --as-of)"
            )
        given[name] = _typed(name, value, declared[name])
        if name == "LANG":
            check_lang(given[name])
    if lang is not None:
        check_lang(lang)
        if "LANG" in declared:
            given["LANG"] = lang
        elif lang != "en":
            raise ValueError(f"{template.stem} is written in English only (it has no LANG)")
    return given


def output_stem(template, given: dict, declared: dict) -> str:
    """The output name: the template's name, then the values of its own parameters in the
    order it declares them, each made safe (:func:`safe_name`); values that are empty or the
    template's default (``LANG="en"``) leave no trace, so the same report keeps one name."""
    parts = [safe_name(Path(template).stem)]
    for name in declared:
        if name in given and name not in (*DATA_PARAMETERS, "OUT"):
            value = given[name]
            if value == "" or value is None or value == _default(declared[name]):
                continue
            parts.append(safe_name(value))
    stem = "-".join(parts)
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem = safe_name(stem, max_bytes=MAX_STEM_BYTES)
    return stem


def run_report(
    template,
    data,
    out_dir,
    parameters: dict | None = None,
    *,
    mapping=None,
    as_of=None,
    lang: str | None = None,
) -> Path:
    """Execute ``template`` on ``data`` (a dataset folder, or an export read through
    ``mapping``); returns the HTML file written.

    ``parameters`` are the template's own (``{"segment": "smb"}``), matched to its parameters
    cell whatever their case, text converted to the declared type; a name the template does
    not take is an error. ``lang`` sets ``LANG``. When the template declares ``OUT`` and it
    is not given, its action lists go to ``out_dir/actions/<output name>/``. The output name
    is the template's name plus the values given, sanitised (:func:`output_stem`).

    A failed run raises and keeps ``<output name>.failed.ipynb``, the error included; the
    previous complete report, if any, stays as it was.
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    template, out_dir = Path(template).resolve(), Path(out_dir).resolve()
    declared = declared_parameters(template)
    given = check_parameters(template, parameters, lang=lang, declared=declared)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = output_stem(template, given, declared)
    actions = None
    if given.get("OUT"):  # the kernel runs in the template's folder: relative to ours
        given["OUT"] = str(Path(given["OUT"]).resolve())
    elif "OUT" in declared and "OUT" not in given:
        actions = out_dir / ACTIONS / stem
        given["OUT"] = str(actions)
    params = {"DATA": str(Path(data).resolve()), **given}
    if mapping is not None:
        params["MAPPING"] = str(Path(mapping).resolve())
    if as_of is not None:
        params["AS_OF"] = str(as_of)
    executed, html = out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"
    failed = out_dir / f"{stem}.failed.ipynb"
    # Papermill writes its output after every cell: run into a hidden file and move the
    # results into place only when complete, so a killed run never leaves a partial
    # notebook beside the previous HTML. A failed run keeps its notebook, error included.
    with writer_lock(executed):
        fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".ipynb", dir=out_dir)
        os.close(fd)
        running = Path(name)
        started = time.time()
        try:
            # the kernel starts in the template's folder (resources' path), without
            # papermill's chdir of this whole process: reports may run in threads
            pm.execute_notebook(
                str(template),
                str(running),
                parameters=params,
                progress_bar=False,
                log_output=False,
                resources={"metadata": {"path": str(template.parent)}},
                # the kernel's own start-up warnings (TCP transport) are not the reader's
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except BaseException:
            if running.exists() and running.stat().st_size:
                os.replace(running, failed)
            running.unlink(missing_ok=True)
            raise
        exporter = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )
        body, _ = exporter.from_notebook_node(
            nbformat.read(running, as_version=4),
            resources={"metadata": {"name": stem}},  # the browser tab's title
        )
        write_bytes_atomically(html, body.encode("utf-8"))
        os.replace(running, executed)
        failed.unlink(missing_ok=True)
        if actions is not None and actions.is_dir():
            # lists an earlier run wrote and this one did not: they no longer apply
            for old in actions.iterdir():
                if old.is_file() and old.stat().st_mtime < started - 1:
                    old.unlink(missing_ok=True)
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

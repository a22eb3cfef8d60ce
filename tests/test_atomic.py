"""Dataset folders are written whole or not at all, by one writer at a time, and read back
without silent surprises (both .csv and .parquet of a table, control characters, a damaged
dataset.yaml)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import csworkbook
from csworkbook import DataError, write_dataset
from csworkbook.data.atomic import replaced_folder, writer_lock

from .conftest import ROOT

SLOW_WRITER = """
import sys, time
import pandas as pd
from csworkbook import synth
from csworkbook.data import folder

real = pd.DataFrame.to_csv
def slow(self, *a, **k):  # every table takes a while, so the kill lands mid-way
    real(self, *a, **k)
    print("wrote", flush=True)
    time.sleep(0.4)
pd.DataFrame.to_csv = slow
folder.write_dataset(synth.generate(40, seed=int(sys.argv[2])), sys.argv[1])
"""


def _tables(path):
    return {p.name: p.read_bytes() for p in sorted(Path(path).iterdir())}


def test_a_killed_write_leaves_the_previous_dataset_intact(small, tmp_path):
    target = tmp_path / "data"
    write_dataset(small, target)
    before = _tables(target)
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(target), "5"],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    for _ in range(3):  # three tables written into the temporary folder
        assert proc.stdout.readline().strip() == "wrote"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _tables(target) == before
    pd_ds = csworkbook.load(target)
    assert len(pd_ds.accounts) == len(small.accounts)
    # the next writer cleans up after the killed one and takes over its stale lock
    write_dataset(small, target)
    assert _tables(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_a_second_writer_is_refused_while_the_first_runs(small, tmp_path):
    target = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(target), "6"],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "wrote"
        with pytest.raises(DataError, match=r"another csworkbook process \(pid \d+\) is writing"):
            write_dataset(small, target)
    finally:
        proc.kill()
        proc.wait()


def test_a_failed_write_keeps_the_old_folder_and_leaves_no_debris(small, tmp_path):
    target = tmp_path / "data"
    write_dataset(small, target)
    before = _tables(target)
    with pytest.raises(RuntimeError), replaced_folder(target) as tmp:
        (tmp / "accounts.csv").write_text("half")
        raise RuntimeError("disk full")
    assert _tables(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_folder_with_other_files_is_not_replaced(small, tmp_path):
    (tmp_path / "my_notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="my_notes.txt.*Choose an empty or new folder"):
        write_dataset(small, tmp_path)
    assert (tmp_path / "my_notes.txt").read_text() == "keep me"


def test_writing_over_a_file_is_refused(small, tmp_path):
    f = tmp_path / "out"
    f.write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"):
        write_dataset(small, f)


def test_a_stale_lock_from_a_dead_process_is_taken_over(tmp_path):
    target = tmp_path / "data"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / ".data.lock").write_text(dead.stdout.strip())
    with writer_lock(target):
        assert (tmp_path / ".data.lock").read_text() == str(os.getpid())
    assert not (tmp_path / ".data.lock").exists()


def test_csv_and_parquet_of_one_table_is_an_error_naming_both(small, tmp_path):
    write_dataset(small, tmp_path / "d")
    small.accounts.to_parquet(tmp_path / "d" / "accounts.parquet")
    with pytest.raises(DataError, match="both accounts.parquet and accounts.csv"):
        csworkbook.load(tmp_path / "d")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_in_a_canonical_csv_are_refused_never_cut(small, tmp_path, char):
    write_dataset(small, tmp_path / "d")
    f = tmp_path / "d" / "accounts.csv"
    lines = f.read_text(encoding="utf-8").split("\n")
    cells = lines[3].split(",")
    cells[1] = cells[1][:3] + char + cells[1][3:]
    lines[3] = ",".join(cells)
    f.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"accounts.csv: column 'name' holds control characters.*rows 4"
    ):
        csworkbook.load(tmp_path / "d")


@pytest.mark.parametrize(
    "text, message",
    [
        ("as_of: [2025", r"is not valid YAML \(line 1\)"),
        ("- 2025-12-31\n", "should hold `key: value` lines"),
        ("as_of: 2025-13-45\n", "a date that does not exist"),
        ("as_of: soon\n", "as_of 'soon' is not a date"),
        ("currency: USD\n", "has no `as_of:` line"),
    ],
)
def test_a_damaged_dataset_yaml_says_what_to_fix(small, tmp_path, text, message):
    write_dataset(small, tmp_path / "d")
    (tmp_path / "d" / "dataset.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        csworkbook.load(tmp_path / "d")


def test_generate_into_an_existing_file_is_a_clear_error(tmp_path, capsys):
    from csworkbook.cli import main

    (tmp_path / "taken").write_text("x")
    assert main(["generate", "--accounts", "20", "--out", str(tmp_path / "taken")]) != 0
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("n", ["1", "10"])
def test_generate_tiny_worlds_from_the_command_line(tmp_path, n):
    from csworkbook.cli import main

    assert main(["generate", "--accounts", n, "--out", str(tmp_path / "w")]) == 0
    assert len(csworkbook.load(tmp_path / "w").accounts) == int(n)


def test_reading_waits_for_no_lock(small, tmp_path):
    # readers never need the lock: a dataset being replaced is read whole, old or new
    write_dataset(small, tmp_path / "d")
    (tmp_path / ".d.lock").write_text(str(os.getpid()))
    assert len(csworkbook.load(tmp_path / "d").accounts) == len(small.accounts)


def test_a_damaged_parquet_table_names_its_file(small, tmp_path):
    write_dataset(small, tmp_path / "d", fmt="parquet")
    (tmp_path / "d" / "contracts.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=r"contracts.parquet: is damaged or not a PARQUET file"):
        csworkbook.load(tmp_path / "d")


def test_an_unreadable_table_names_its_file(small, tmp_path):
    if os.name != "posix" or os.geteuid() == 0:
        pytest.skip("root reads every file; permissions cannot be tested here")
    write_dataset(small, tmp_path / "d")
    (tmp_path / "d" / "contracts.csv").chmod(0)
    with pytest.raises(DataError, match="contracts.csv: cannot be read"):
        csworkbook.load(tmp_path / "d")


def _slow_template(path, seconds):
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'DATA: str = ""  # data\nMAPPING: str = ""  # m\nAS_OF: str = ""  # d'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("print('started', flush=True)"),
        nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})\nprint('done')"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


REPORT = """
import sys
import time
from csworkbook.reports import run_report
run_report(sys.argv[1], sys.argv[2], sys.argv[3])
"""


def test_a_killed_report_leaves_the_previous_report_intact(tmp_path):
    from csworkbook.reports import run_report

    quick = _slow_template(tmp_path / "overview.ipynb", 0)
    out = tmp_path / "out"
    html = run_report(quick, ROOT / "datasets" / "demo", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"overview.ipynb", "overview.html"}
    _slow_template(quick, 60)
    proc = subprocess.Popen(
        [sys.executable, "-c", REPORT, str(quick), str(ROOT / "datasets" / "demo"), str(out)],
        cwd=ROOT,
    )
    try:
        for _ in range(600):  # until papermill has written the running notebook once
            running = [
                p for p in out.iterdir() if p.name.startswith(".overview.") and p.suffix == ".ipynb"
            ]
            if running and b"started" in running[0].read_bytes():
                break
            time.sleep(0.1)
        else:
            pytest.fail("the report never started")
        with pytest.raises(DataError, match="another csworkbook process"):
            run_report(quick, ROOT / "datasets" / "demo", out)  # a second writer is refused
    finally:
        proc.kill()
        proc.wait()
    visible = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert visible == before  # the previous complete report, nothing half-written beside it
    assert html.read_bytes() == before["overview.html"]


def test_a_failed_report_keeps_its_notebook_with_the_error(tmp_path):
    import nbformat
    import papermill as pm

    from csworkbook.reports import run_report

    bad = _slow_template(tmp_path / "bad.ipynb", 0)
    nb = nbformat.read(bad, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("1 / 0"))
    nbformat.write(nb, bad)
    with pytest.raises(pm.PapermillExecutionError):
        run_report(bad, ROOT / "datasets" / "demo", tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["bad.failed.ipynb"]
    assert "ZeroDivisionError" in (tmp_path / "out" / "bad.failed.ipynb").read_text()


@pytest.mark.parametrize("kind", ["loop", "broken", "folder", "empty", "ragged"])
def test_odd_table_files_are_named_not_taken_as_missing(small, tmp_path, kind):
    write_dataset(small, tmp_path / "d")
    f = tmp_path / "d" / "tickets.csv"
    f.unlink()
    if kind == "loop":
        f.symlink_to(f)
    elif kind == "broken":
        f.symlink_to(tmp_path / "nowhere.csv")
    elif kind == "folder":
        f.mkdir()
    elif kind == "empty":
        f.write_bytes(b"")
    else:
        small.tickets.to_csv(f, index=False)
        with f.open("a") as out:
            out.write("T9,A1,2025-01-01,2025-01-02,low,bug,3,extra,fields\n")
    with pytest.raises(DataError, match="tickets.csv"):
        csworkbook.load(tmp_path / "d")

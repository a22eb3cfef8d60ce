"""The command line: what it prints, how it fails, and that every option is documented."""

import argparse
import shutil

import pytest

import csworkbook
from csworkbook.cli import build_parser, main

from .conftest import DEMO, ROOT

MAPPINGS = ROOT / "datasets" / "mappings"


def test_generate_then_info_and_validate(tmp_path, capsys):
    out = tmp_path / "w"
    assert main(["generate", "--accounts", "60", "--seed", "2", "--out", str(out)]) == 0
    assert (out / "accounts.csv").exists() and (out / "dataset.yaml").exists()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "accounts=60" in text and "health score" in text
    assert main(["validate", str(out)]) == 0


def test_parquet_output(tmp_path):
    assert (
        main(["generate", "--accounts", "30", "--format", "parquet", "--out", str(tmp_path)]) == 0
    )
    assert (tmp_path / "usage.parquet").exists()


def test_errors_are_one_clear_line_and_exit_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such folder" in err and "Traceback" not in err
    assert main(["generate", "--accounts", "0", "--out", str(tmp_path)]) == 2
    assert "n_accounts" in capsys.readouterr().err


# --- options every command documents, and the dataset shapes diagnose meets -------------


def _actions(parser, path=("csworkbook",)):
    for action in parser._actions:
        yield path, action
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, (*path, name))


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"csworkbook {csworkbook.__version__}"


def test_every_argument_and_command_has_help_text():
    found = list(_actions(build_parser()))
    assert len(found) > 20
    undocumented = [
        f"{' '.join(path)} {a.option_strings or a.dest}"
        for path, a in found
        if not (a.help and a.help.strip())
    ]
    assert undocumented == []
    for path, a in found:
        if isinstance(a, argparse._SubParsersAction):
            assert all(c.help for c in a._choices_actions), path


def test_description_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "``" not in text and "`" not in text
    assert "csworkbook command" in text


@pytest.mark.parametrize("command", ["info", "diagnose"])
def test_mapping_option_loads_an_export_like_validate(command, capsys):
    # the way README "Your own data" uses a template: the export, then --mapping
    export = MAPPINGS / "examples" / "salesforce_accounts_with_contracts.csv"
    template = MAPPINGS / "salesforce_accounts.yaml"
    assert main([command, "--mapping", str(template), str(export)]) == 0
    out = capsys.readouterr().out
    assert "rows_read" in out and "Traceback" not in out
    if command == "info":
        assert "accounts=60" in out and "mrr_monthly" in out
    else:
        assert "Trailing-year retention" in out
        # the CRM report has no usage: said in one line, and the rest still ran
        skipped = [line for line in out.splitlines() if "needs" in line]
        assert len(skipped) == 1 and "skipped, needs renewals, usage" in skipped[0]
    # the mapping names its own file, so the export may be left out
    assert main([command, "--mapping", str(template), "--mode", "lenient"]) == 0


def test_info_without_a_path_or_mapping_is_a_one_line_error(capsys):
    assert main(["info"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--mapping" in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def without_usage(tmp_path_factory):
    d = tmp_path_factory.mktemp("no_usage")
    shutil.copy(DEMO / "dataset.yaml", d)
    for t in ("accounts", "contracts", "mrr_monthly", "renewals", "nps", "tickets"):
        shutil.copy(DEMO / f"{t}.csv", d)
    return d


def test_diagnose_without_usage_says_so_in_one_line_and_runs_the_rest(without_usage, capsys):
    assert main(["diagnose", str(without_usage)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    needs = [line for line in lines if "needs" in line]
    assert len(needs) == 1 and "needs usage" in needs[0]
    assert "Traceback" not in captured.out + captured.err
    # the part that has its tables still ran: the README's GRR on the demo
    assert any(line.split()[:2] == ["all", "grr"] and "0.880" in line for line in lines)


def test_a_table_with_no_rows_counts_as_missing(tmp_path, capsys):
    d = tmp_path / "empty_usage"
    d.mkdir()
    shutil.copy(DEMO / "dataset.yaml", d)
    for t in ("accounts", "contracts", "mrr_monthly"):
        shutil.copy(DEMO / f"{t}.csv", d)
    header = (DEMO / "usage.csv").read_text(encoding="utf-8").splitlines()[0]
    (d / "usage.csv").write_text(header + "\n", encoding="utf-8")
    assert main(["diagnose", str(d)]) == 0
    assert "needs renewals, usage" in capsys.readouterr().out

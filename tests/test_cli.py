from csworkbook.cli import main


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

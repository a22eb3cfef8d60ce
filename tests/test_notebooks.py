"""How notebooks are committed, and that report templates run end to end."""

import pytest

from csworkbook.devtools.nbcheck import problems
from csworkbook.reports import main, run_report, safe_name

from .conftest import DEMO, ROOT

TEACHING = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TEMPLATES = sorted((ROOT / "notebooks" / "reports").glob("*.ipynb")) + sorted(
    (ROOT / "exercises").glob("*.ipynb")
)


def test_there_are_teaching_notebooks_and_report_templates():
    assert TEACHING and TEMPLATES


@pytest.mark.parametrize("path", TEACHING + TEMPLATES, ids=lambda p: p.name)
def test_notebook_committed_as_expected(path):
    assert problems(path) == []


@pytest.mark.parametrize(
    "template", sorted((ROOT / "notebooks" / "reports").glob("*.ipynb")), ids=lambda p: p.name
)
def test_report_renders_to_html(template, tmp_path):
    html = run_report(template, DEMO, tmp_path, {"segment": "smb"})
    assert html.name == f"{template.stem}-smb.html"
    text = html.read_text(encoding="utf-8")
    assert "SMB · " in text and "Traceback" not in text  # the scope in the title


def test_report_takes_only_its_own_parameters(tmp_path):
    template = ROOT / "notebooks" / "reports" / "dataset_overview.ipynb"
    with pytest.raises(ValueError, match="no parameter 'segmnt'.*it takes SEGMENT"):
        run_report(template, DEMO, tmp_path, {"segmnt": "smb"})
    with pytest.raises(ValueError, match="the data comes from --data, --mapping and --as-of"):
        run_report(template, DEMO, tmp_path, {"mapping": "other.yaml"})


def test_report_command_reads_an_export_through_a_mapping(tmp_path, capsys):
    template = ROOT / "notebooks" / "reports" / "dataset_overview.ipynb"
    card = ROOT / "tests" / "fixtures" / "exports" / "card"
    args = ["--data", str(card), "--mapping", str(card / "mapping.yaml"), "--out", str(tmp_path)]
    assert main([str(template), *args, "-p", "segment", "smb"]) == 0
    html = tmp_path / "dataset_overview-smb.html"
    assert f"wrote {html}" in capsys.readouterr().out
    text = html.read_text(encoding="utf-8")
    assert "SMB · " in text and "300 customers" in text and "Traceback" not in text
    # no amounts in the export: the revenue sections say so instead of showing 0% or NaN
    assert "revenue retention GRR / NRR and MRR movements: skipped" in text


def test_output_names_from_data_are_sanitised():
    assert safe_name("../../etc/passwd").startswith("etc_passwd-")  # changed: a hash tells apart
    assert safe_name("株式会社 <script>").startswith("株式会社_script-")
    assert safe_name("") == "report"

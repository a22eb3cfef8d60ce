"""How notebooks are committed, and that report templates run end to end."""

import pytest

from csworkbook.devtools.nbcheck import problems
from csworkbook.reports import run_report, safe_name

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
    assert "segment smb" in text and "Traceback" not in text


def test_output_names_from_data_are_sanitised():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("株式会社 <script>") == "script"
    assert safe_name("") == "report"

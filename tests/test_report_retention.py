"""The churn and retention report: the numbers a reader sees are the package's own on the
same customers, in English and Japanese, on the demo, a flat export and data with no customers."""

import pandas as pd
import pytest

from csworkbook.reports import count, money, percent, run_report, term
from csworkbook.retention import metrics, survival
from csworkbook.stats import wilson_interval

from .conftest import DEMO, ROOT
from .test_reports import _visible_text

TEMPLATE = ROOT / "notebooks" / "reports" / "retention.ipynb"
TELECOM = ROOT / "tests" / "fixtures" / "exports" / "telecom"
FORMULA_ID = '=HYPERLINK("http://x")'


def _run(tmp, data, parameters=None, mapping=None):
    out = tmp / "actions"
    html = run_report(TEMPLATE, data, tmp, {"out": str(out), **(parameters or {})}, mapping=mapping)
    return _visible_text(html.read_text(encoding="utf-8")), out


@pytest.fixture(scope="module")
def en(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("retention_en"), DEMO)


@pytest.fixture(scope="module")
def ja(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("retention_ja"), DEMO, {"lang": "ja"})[0]


def _tiny(folder, *, customers):
    """A dataset folder in the demo's layout where ``customers`` accounts pay 100 a month for
    two years and nobody churns (0 customers: the tables with their headers only)."""
    folder.mkdir()
    (folder / "dataset.yaml").write_text("as_of: '2025-12-31'\ncurrency: USD\n")
    ids = [f"A{i:03d}" for i in range(customers)]
    months = pd.date_range("2024-01-01", "2025-12-01", freq="MS")
    rows = {
        "accounts": {
            "account_id": ids,
            "name": ids,
            "segment": "smb",
            "csm_id": "u1",
            "first_contract_date": "2024-01-01",
        },
        "contracts": {
            "contract_id": ids,
            "account_id": ids,
            "start_date": "2024-01-01",
            "term_months": 12,
            "arr": 1200.0,
        },
        "mrr_monthly": {
            "contract_id": [a for a in ids for _ in months],
            "account_id": [a for a in ids for _ in months],
            "month": [m.date() for _ in ids for m in months],
            "mrr": 100.0,
        },
    }
    for table, values in rows.items():
        first = pd.read_csv(DEMO / f"{table}.csv", nrows=1, dtype=str)  # fills the other columns
        n = len(ids) * (len(months) if table == "mrr_monthly" else 1)
        first.loc[[0] * n].reset_index(drop=True).assign(**values).to_csv(
            folder / f"{table}.csv", index=False
        )
    return folder


def test_headline_and_segments_equal_trailing_year(demo, en):
    text, _ = en
    y = metrics.trailing_year(demo.mrr_monthly, demo.as_of).iloc[0]
    lost = round(y.logo_churn * y.units)
    assert (
        f"Of the {count(y.units)} customers paying in Dec 2024, {count(lost)} no longer paid"
        in text
    )
    assert f"logo churn {percent(y.logo_churn)}" in text
    assert f"GRR {percent(y.grr)}" in text and f"NRR {percent(y.nrr)}" in text
    row = [
        count(y.units),
        money(y.start_mrr),
        money(y.end_mrr),
        *map(percent, (y.logo_churn, y.grr, y.nrr)),
    ]
    assert f" all customers {' '.join(row)} " in text
    seg = metrics.trailing_year(demo.mrr_monthly, demo.as_of, accounts=demo.accounts, by="segment")
    for name, s in seg.iterrows():
        k = round(s.logo_churn * s.units)
        lo, hi = wilson_interval(k, s.units)
        cells = [
            term(name),
            count(s.units),
            count(k),
            percent(s.logo_churn),
            f"{percent(lo)} – {percent(hi)}",
            money(s.start_mrr),
            percent(s.grr),
            percent(s.nrr),
        ]
        assert " ".join(cells) in text, name


def test_bridge_survival_reasons_and_action_list(demo, en):
    text, out = en
    moves = metrics.mrr_movements(demo.mrr_monthly).loc["2025-01-01":"2025-12-01"]
    for key, value in (
        ("New", moves.new.sum()),
        ("Expansion", moves.expansion.sum()),
        ("Churned", -moves.churn.sum()),
        ("MRR at end", moves.ending_mrr.iloc[-1]),
    ):
        assert f" {key} {money(value)} " in text, key
    life = survival.lifetimes(demo.mrr_monthly)
    life["segment"] = life.account_id.map(demo.accounts.set_index("account_id").segment)
    for name, r in survival.rmst_by(life, horizon=24, by="segment").iterrows():
        cells = [
            term(name),
            count(r.units),
            count(r.churned),
            percent(r.survival_24m),
            f"{r.rmst_24m:.1f}",
        ]
        assert " ".join(cells) in text, name
    ren = demo.renewals
    gone = ren[(ren.outcome == "churned") & (ren.renewal_date > "2024-12-31")]
    arr = (gone.arr_before - gone.arr_after).groupby(gone.churn_reason).sum()
    top = gone[gone.churn_reason == arr.idxmax()]
    assert f"ROI not demonstrated {top.account_id.nunique()} {money(arr.max())}" in text
    lists = pd.read_csv(out / "retention_churned_customers.csv", encoding="utf-8-sig")
    assert (out / "retention_churned_customers.xlsx").stat().st_size > 0
    assert f"{count(len(lists))} customers stopped paying" in text
    assert f"{money(lists['ARR lost'].sum())} of ARR" in text
    assert lists["ARR lost"].is_monotonic_decreasing and lists["Customer ID"].is_unique
    assert "Traceback" not in text and "In [" not in text and "In\xa0[" not in text
    assert "Note." not in text and "Plausibility" not in text  # the demo has everything, plausibly


def test_japanese_report(ja):
    for heading in (
        "解約とリテンション",
        "直近12か月",
        "MRRの増減",
        "コホート分析",
        "生存分析",
        "解約理由",
    ):
        assert heading in ja, heading
    assert "2025年12月31日" in ja and "万ドル" in ja and "エンタープライズ" in ja
    assert "ROIを示せなかった" in ja and "Traceback" not in ja
    assert "The last twelve months" not in ja and "Why customers left" not in ja


def test_flat_export_runs_the_sections_it_can(tmp_path):
    data = tmp_path / "telecom"
    data.mkdir()
    for f in TELECOM.iterdir():
        data.joinpath(f.name).write_bytes(f.read_bytes())
    flat = pd.read_csv(data / "telecom_churn.csv", dtype=str, keep_default_na=False)
    flat.loc[flat.index[flat.Churn == "Yes"][0], "customerID"] = FORMULA_ID  # a hostile id
    flat.to_csv(data / "telecom_churn.csv", index=False)
    text, out = _run(tmp_path / "report", data / "telecom_churn.csv", mapping=data / "mapping.yaml")
    import csworkbook

    cs = csworkbook.load(data / "telecom_churn.csv", mapping=data / "mapping.yaml")
    y = metrics.trailing_year(cs.mrr_monthly, cs.as_of).iloc[0]
    assert f"logo churn {percent(y.logo_churn)}" in text and f"GRR {percent(y.grr)}" in text
    assert "renewal outcomes and churn reasons: skipped" in text  # no churn reasons mapped
    assert "Customers lost in the last twelve months" in text and "Traceback" not in text
    lists = pd.read_csv(out / "retention_churned_customers.csv", encoding="utf-8-sig", dtype=str)
    assert (
        "'" + FORMULA_ID in lists["Customer ID"].tolist()
        and FORMULA_ID not in lists["Customer ID"].tolist()
    )
    excel = pd.read_excel(out / "retention_churned_customers.xlsx", dtype=str)
    assert not excel["Customer ID"].str.startswith("=").any()


def test_empty_scope_says_so_in_one_line(tmp_path):
    text, out = _run(tmp_path, _tiny(tmp_path / "nobody", customers=0))
    assert "No customer is in this scope: there is nothing to report." in text
    assert "GRR" not in text and "Cohorts" not in text and "Traceback" not in text
    assert not out.exists() or not any(out.iterdir())


def test_impossible_rates_carry_the_plausibility_warning(tmp_path):
    text, _ = _run(tmp_path, _tiny(tmp_path / "nobody_leaves", customers=12), {"lang": "ja"})
    assert "0.0%" in text and "妥当性の警告" in text
    assert "logo churn over the year to as_of is exactly 0% of 12 customers" in text
    assert "Traceback" not in text

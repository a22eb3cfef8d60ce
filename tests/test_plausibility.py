"""Plausibility checks that speak up: each warning on data that trips it, with its cause and
the mapping fix, and silence on the demo and on correctly mapped exports."""

import pandas as pd
import pytest
import yaml

import csworkbook
from csworkbook import Dataset
from csworkbook.cli import main
from csworkbook.retention import metrics, plausibility

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "exports"


def mapping(name, edit=None):
    m = yaml.safe_load((FIXTURES / name / "mapping.yaml").read_text(encoding="utf-8"))
    if edit:
        edit(m)
    return m


def checks(ds):
    return plausibility.check(ds).set_index("check")


def test_the_demo_and_the_mapped_fixtures_are_plausible(demo):
    assert plausibility.check(demo).empty
    for name in ("telecom", "saas"):
        ds = csworkbook.load(FIXTURES / name, mapping=FIXTURES / name / "mapping.yaml")
        assert plausibility.check(ds).empty, plausibility.check(ds)


def test_overview_gives_the_figures_to_compare(demo):
    o = plausibility.overview(demo).set_index("figure")["value"]
    year = metrics.trailing_year(demo.mrr_monthly, demo.as_of).iloc[0]
    assert o["customers"] == len(demo.accounts)
    assert o["GRR (year to as_of)"] == round(year["grr"], 4)
    ended = demo.contracts.groupby("account_id")["end_date"].apply(lambda s: s.notna().all())
    assert o["churned customers"] == int(ended.sum())


def test_every_warning_names_a_cause_and_a_mapping_fix():
    ds = csworkbook.load(
        FIXTURES / "saas",
        mapping=mapping("saas", lambda m: m["tables"]["contracts"].pop("replaced_by_next")),
    )
    found = plausibility.check(ds)
    assert list(found.columns) == ["check", "finding", "likely_cause", "fix", "value"]
    assert found["check"].tolist() == ["nrr_above_200", "overlapping", "cohort_grows"]
    assert (found[["finding", "likely_cause", "fix"]].map(len) > 20).all().all()
    assert found["fix"].str.contains("replaced_by_next: true").all()
    f = found.set_index("check")
    assert f.at["nrr_above_200", "finding"].startswith(
        "NRR over the year to as_of is 206% (GRR 95%)"
    )
    assert f.at["overlapping", "finding"].startswith("43 of 60 accounts hold overlapping contracts")
    assert "up to 9 at once" in f.at["overlapping", "finding"]
    assert f.at["cohort_grows", "value"] >= 3


def test_no_churn_when_the_flag_is_not_mapped():
    ds = csworkbook.load(
        FIXTURES / "telecom",
        mapping=mapping("telecom", lambda m: m["tables"]["contracts"]["columns"].pop("end_date")),
    )
    w = checks(ds)
    assert (
        w.at["no_churn", "finding"]
        == "no customer has churned: all 320 have a contract running at as_of 2025-12-31"
    )
    assert "end_date: {value: as_of, when: {column: Churn" in w.at["no_churn", "fix"]
    assert w.at["logo_churn", "value"] == 0.0  # the trailing year says so too


def test_all_churned_when_every_row_has_an_end():
    def edit(m):
        m["tables"]["contracts"]["columns"]["end_date"] = {"value": "as_of"}

    w = checks(csworkbook.load(FIXTURES / "telecom", mapping=mapping("telecom", edit)))
    assert "every customer has churned: none of 320" in w.at["all_churned", "finding"]
    assert "`when: {column: Status, in: [Churned]}`" in w.at["all_churned", "fix"]
    assert w.at["logo_churn", "value"] == 1.0


def test_retention_beyond_what_can_be():
    w = plausibility.retention_warnings(
        pd.Series({"units": 40, "logo_churn": 0.1, "grr": 1.04, "nrr": 2.93})
    )
    by = {x["check"]: x for x in w}
    assert (
        by["grr_above_100"]["finding"]
        == "GRR over the year to as_of is 104%; it cannot exceed 100%"
    )
    assert by["nrr_above_200"]["finding"].startswith(
        "NRR over the year to as_of is 293% (GRR 104%)"
    )
    few = plausibility.retention_warnings(
        pd.Series({"units": 5, "logo_churn": 0.0, "grr": 1.0, "nrr": 1.0})
    )
    assert few == []  # five customers keeping all is no signal


def test_zero_and_constant_arr():
    card = csworkbook.load(FIXTURES / "card", mapping=FIXTURES / "card" / "mapping.yaml")
    w = checks(card)
    assert list(w.index) == ["arr_zero"]
    assert w.at["arr_zero", "finding"].startswith(
        "ARR is 0 on all 300 contracts: GRR, NRR and MRR cannot be measured"
    )

    def edit(m):
        m["tables"]["contracts"]["columns"]["arr"] = {"value": 1200}

    w = checks(csworkbook.load(FIXTURES / "telecom", mapping=mapping("telecom", edit)))
    assert (
        w.at["arr_constant", "finding"]
        == "every contract has ARR 1,200.00: revenue figures only repeat customer counts"
    )


def test_as_of_outside_the_data(demo):
    ds = csworkbook.load(
        FIXTURES / "saas", mapping=FIXTURES / "saas" / "mapping.yaml", as_of="2025-12-31"
    )
    w = checks(ds)
    assert w.at["as_of_after_data", "finding"].startswith(
        "as_of 2025-12-31 is 366 days after the latest date in the data (2024-12-30"
    )
    assert "--as-of" in w.at["as_of_after_data", "fix"]
    early = Dataset(dict(demo.tables), as_of="2025-06-30", meta=dict(demo.meta))
    assert (
        "the data has dates after as_of 2025-06-30"
        in checks(early).at["as_of_before_data", "finding"]
    )


def test_a_contract_ended_by_as_of_but_billed_in_its_month(demo):
    k = demo.contracts.copy()
    dec = demo.mrr_monthly[demo.mrr_monthly["month"] == "2025-12-01"]["contract_id"]
    one = k.index[k["contract_id"] == dec.iloc[0]][0]
    k.loc[one, "end_date"] = pd.Timestamp("2025-12-15")
    ds = Dataset({**demo.tables, "contracts": k}, as_of=demo.as_of, meta=dict(demo.meta))
    w = checks(ds)
    assert w.at["end_month_billed", "finding"].startswith(
        "1 contract(s) that ended by as_of still have MRR in 2025-12"
    )
    assert "derive: [mrr_monthly]" in w.at["end_month_billed", "fix"]


def test_checks_skip_what_the_data_lacks():
    k = pd.DataFrame({"contract_id": ["K"], "account_id": ["A"], "arr": [10.0],
                      "start_date": pd.to_datetime(["2025-01-01"]), "end_date": pd.to_datetime([None])})  # fmt: skip
    ds = Dataset(
        {"accounts": pd.DataFrame({"account_id": ["A"]}), "contracts": k}, as_of="2025-01-31"
    )
    assert plausibility.check(ds)["check"].tolist() == ["no_churn"]
    assert plausibility.overview(ds)["figure"].tolist() == [
        "customers",
        "customers with contracts",
        "churned customers",
        "churned share",
    ]


def test_validate_prints_figures_and_warnings(tmp_path, capsys):
    m = mapping("saas", lambda m: m["tables"]["contracts"].pop("replaced_by_next"))
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(m), encoding="utf-8")
    assert main(["validate", str(FIXTURES / "saas"), "--mapping", str(path)]) == 0
    out = capsys.readouterr().out
    assert "churned customers: 14" in out and "NRR (year to as_of): 206.1%" in out
    assert "plausibility: 3 warning(s)" in out
    assert (
        "  ! overlapping: 43 of 60 accounts" in out and "    fix: `replaced_by_next: true`" in out
    )
    assert (
        main(
            [
                "validate",
                str(FIXTURES / "telecom"),
                "--mapping",
                str(FIXTURES / "telecom" / "mapping.yaml"),
            ]
        )
        == 0
    )
    assert "plausibility: nothing implausible found" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["telecom", "card", "saas"])
def test_overview_counts_what_the_export_flags(name):
    flags = {
        "telecom": ("telecom_churn.csv", "Churn", "Yes"),
        "card": ("card_attrition.csv", "Attrition_Flag", "Attrited Customer"),
        "saas": ("accounts.csv", "churn_flag", "True"),
    }
    file, column, value = flags[name]
    expected = int((pd.read_csv(FIXTURES / name / file, dtype=str)[column] == value).sum())
    ds = csworkbook.load(FIXTURES / name, mapping=FIXTURES / name / "mapping.yaml")
    assert len(plausibility.churned_accounts(ds)) == expected

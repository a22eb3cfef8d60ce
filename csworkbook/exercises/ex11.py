"""Exercises for notebook 11 · churn analysis (principle 8 in depth)."""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import roc_auc_score

from ..retention import cohorts, models, observations, survival
from .core import Mistake, Question, memo

VALID_FROM, TEST_FROM = "2024-08-01", "2025-04-01"  # notebook 11's periods
N_BOOT = 200  # bootstrap replicates (over accounts) of the test-period intervals
MIN_COHORT = 10  # notebook 11 keeps cohorts of 15+; 10 keeps some in a small book too


def _at12(cs) -> pd.DataFrame:
    logo = cohorts.cohort_matrix(cs.mrr_monthly, kind="logo", min_size=MIN_COHORT)
    revenue = cohorts.cohort_matrix(cs.mrr_monthly, kind="revenue", min_size=MIN_COHORT)
    return pd.DataFrame({"logo": logo[12], "revenue": revenue[12]}).dropna()


def _smb_lives(cs) -> pd.DataFrame:
    life = survival.lifetimes(cs.mrr_monthly)
    segment = life["account_id"].map(cs.accounts.set_index("account_id")["segment"])
    return life[segment.to_numpy() == "smb"]


def _km_at(life: pd.DataFrame, t: float) -> float:
    return survival.survival_at(survival.kaplan_meier(life["months"], life["churned"]), t)


def _split(cs):
    obs, X = observations.observation_dataset(cs)
    return obs, X, models.time_split(obs, valid_from=VALID_FROM, test_from=TEST_FROM)


def _logistic() -> list:
    """The L1 logistic candidates of notebook 11 (both signal sets, three penalties); the
    gradient boosting ones are left out to keep the exercise quick."""
    return [c for c in models.default_candidates() if c.model == models.LOGISTIC]


def _selection(split) -> dict:
    """Notebook 11's procedure on the logistic candidates: what it reports, and what its
    shortcuts would have reported from the same fits."""
    obs, X, periods = split
    y, acc = obs["churned"], obs["account_id"]
    valid, test = models.validate_then_test(
        X, y, acc, periods, candidates=_logistic(), n_boot=N_BOOT, seed=0
    )
    chosen = models.select_model(valid.table)
    t = test.table
    usage, every = (t.index[t["signals"] == s][0] for s in ("usage only", "all signals"))
    # the lower end of all signals minus usage only; the table's differences are taken
    # against the chosen candidate, so turn the usage row round when all signals won
    low = -t.loc[usage, "diff_high"] if every == chosen else t.loc[every, "diff_low"]
    overlap = (t.loc[every, "auc_low"] <= t.loc[usage, "auc_high"]) and (
        t.loc[usage, "auc_low"] <= t.loc[every, "auc_high"]
    )
    fitted = periods.before_test  # the rows the test-period model was refitted on
    refit = models.predict(test.candidates[chosen], test.models[chosen], X[fitted])
    return {
        "chosen": chosen,
        "test": float(t.loc[chosen, "auc"]),
        "valid": float(valid.table.loc[chosen, "auc"]),
        "in_sample": float(roc_auc_score(y[fitted], refit)),
        "beats": "yes" if low > 0 else "no",
        "by_eye": "no" if overlap else "yes",
    }


def _best_on_test(split) -> float:
    """The highest test-period AUC of every candidate: choosing on the test period."""
    obs, X, periods = split
    y, fit_rows, test_rows = obs["churned"], periods.before_test, periods.test
    aucs = []
    for cand in _logistic():
        model = models.fit(cand, X[fit_rows], y[fit_rows])
        aucs.append(roc_auc_score(y[test_rows], models.predict(cand, model, X[test_rows])))
    return float(max(aucs))


def questions(cs) -> dict[str, Question]:
    """The questions of exercise 11, bound to ``cs``."""
    at12, smb, split = memo(_at12), memo(_smb_lives), memo(_split)
    selection = memo(lambda d: _selection(split(d)))
    best_on_test = memo(lambda d: _best_on_test(split(d)))

    q1 = Question(
        name="q1",
        prompt=(
            f"Cohort tables by first paid month, cohorts of at least {MIN_COHORT} customers: "
            "after 12 months, what share of its customers does the median cohort keep?"
        ),
        expected=lambda d: float(at12(d)["logo"].median()),
        solution=(
            "from csworkbook.retention import cohorts\n"
            f"logo = cohorts.cohort_matrix(cs.mrr_monthly, kind='logo', min_size={MIN_COHORT})\n"
            "answer = logo[12].median()"
        ),
        hint=(
            "cohorts.cohort_matrix(..., kind='logo') has one column per month since start; "
            "column 12 is the share still paying twelve months on (NaN for cohorts too young)."
        ),
        mistakes=[
            Mistake(
                lambda d: float(at12(d)["revenue"].median()),
                "that is revenue retention: the cohort's MRR against its first month's, which "
                "expansion lifts. The question counts customers (kind='logo').",
            ),
            Mistake(
                lambda d: float(1 - at12(d)["logo"].median()),
                "that is the share lost (churn); the question asks for the share kept.",
            ),
        ],
        data=cs,
    )
    q2 = Question(
        name="q2",
        prompt=(
            "What share of smb customers is still paying 12 months after their first paid "
            "month? Use every smb customer, including those who started less than a year ago."
        ),
        expected=lambda d: _km_at(smb(d), 12),
        solution=(
            "from csworkbook.retention import survival\n"
            "life = survival.lifetimes(cs.mrr_monthly)\n"
            "life['segment'] = life.account_id.map(cs.accounts.set_index('account_id').segment)\n"
            "smb = life[life.segment == 'smb']\n"
            "km = survival.kaplan_meier(smb.months, smb.churned)\n"
            "answer = survival.survival_at(km, 12)"
        ),
        hint=(
            "A customer who started five months ago has not had the chance to churn in month "
            "9: it is censored, not a survivor. Kaplan-Meier (survival.kaplan_meier, then "
            "survival.survival_at) uses it for as long as it was watched."
        ),
        mistakes=[
            Mistake(
                lambda d: float(1 - (smb(d)["churned"] & (smb(d)["months"] <= 12)).mean()),
                "that counts customers watched for less than 12 months as survivors (wrong "
                "denominator): they have not had the chance to churn yet. Kaplan-Meier handles "
                "them as censored.",
            ),
            Mistake(
                lambda d: float(1 - smb(d)["churned"].mean()),
                "that is the share of smb customers who never churned so far, whatever their "
                "age: it is not tied to 12 months and counts the young ones as survivors.",
            ),
        ],
        data=cs,
    )
    q3 = Question(
        name="q3",
        prompt=(
            f"Models are judged on a validation period from {VALID_FROM}. How many monthly "
            "observations may they learn from without any label that depends on what "
            "happened in the validation period?"
        ),
        expected=lambda d: int(split(d)[2].train.sum()),
        solution=(
            "from csworkbook.retention import models, observations\n"
            "obs, X = observations.observation_dataset(cs)\n"
            f"periods = models.time_split(obs, valid_from='{VALID_FROM}', "
            f"test_from='{TEST_FROM}')\n"
            "answer = periods.train.sum()"
        ),
        hint=(
            "An observation's label is churn 4 to 17 weeks after its date (lead 28 + horizon "
            "91 days): its whole label window must close before the validation period starts. "
            "models.time_split does that."
        ),
        mistakes=[
            Mistake(
                lambda d: int((split(d)[0]["obs_date"] < pd.Timestamp(VALID_FROM)).sum()),
                "that counts every observation dated before the validation period, but the "
                "labels of the last ones run into it: they leak the future the models are "
                "judged on. Their whole label window must close first.",
            ),
            Mistake(
                lambda d: int(split(d)[2].before_test.sum()),
                "that is everything labelled before the test period ('before test'), what "
                "the chosen model is refitted on; it overlaps the validation period.",
            ),
        ],
        data=cs,
    )
    q4 = Question(
        name="q4",
        prompt=(
            "The honest figure. Compare the L1 logistic candidates (both signal sets, C = "
            "0.1, 0.3, 1; no gradient boosting, to keep it quick) on the validation period, "
            "choose the best, refit it on everything labelled before the test period and "
            "judge it once on the test period. What AUC do you report?"
        ),
        expected=lambda d: selection(d)["test"],
        solution=(
            "from csworkbook.retention import models, observations\n"
            "obs, X = observations.observation_dataset(cs)\n"
            f"periods = models.time_split(obs, valid_from='{VALID_FROM}', "
            f"test_from='{TEST_FROM}')\n"
            "logistic = [c for c in models.default_candidates() if c.model == models.LOGISTIC]\n"
            "valid, test = models.validate_then_test(X, obs.churned, obs.account_id, periods,\n"
            f"                                        candidates=logistic, n_boot={N_BOOT})\n"
            "answer = test.table.loc[models.select_model(valid.table), 'auc']"
        ),
        hint=(
            "models.validate_then_test(..., candidates=...) runs notebook 11's procedure; "
            "models.select_model(valid.table) names the candidate chosen on validation. "
            "Report its row of the test table (n_boot only changes the intervals)."
        ),
        mistakes=[
            Mistake(
                lambda d: selection(d)["valid"],
                "that is its AUC on the validation period, the one it was chosen on: picked as "
                "the best of six, it flatters. Report the test period.",
            ),
            Mistake(
                best_on_test,
                "that is the best test AUC of all candidates: choosing on the test period "
                "reports the luckiest draw. Report the candidate chosen on validation.",
            ),
            Mistake(
                lambda d: selection(d)["in_sample"],
                "that AUC is measured on the observations the model was fitted on (in "
                "sample): a fitted model always looks better there. Judge it on the test period.",
            ),
        ],
        data=cs,
    )
    q5 = Question(
        name="q5",
        kind="choice",
        options=("yes", "no"),
        prompt=(
            "The same test table (n_boot=200, seed=0) holds the best usage-only candidate "
            "beside the chosen one. On the test period, do all signals rank churners better "
            "than usage alone by more than the noise? Answer 'yes' or 'no'."
        ),
        expected=lambda d: selection(d)["beats"],
        solution=(
            "from csworkbook.retention import models, observations\n"
            "obs, X = observations.observation_dataset(cs)\n"
            f"periods = models.time_split(obs, valid_from='{VALID_FROM}', "
            f"test_from='{TEST_FROM}')\n"
            "logistic = [c for c in models.default_candidates() if c.model == models.LOGISTIC]\n"
            "valid, test = models.validate_then_test(X, obs.churned, obs.account_id, periods,\n"
            f"                                        candidates=logistic, n_boot={N_BOOT})\n"
            "t = test.table  # differences are against the candidate chosen on validation\n"
            "usage = t[t.signals == 'usage only'].iloc[0]\n"
            "every = t[t.signals == 'all signals'].iloc[0]\n"
            "if every.name == models.select_model(valid.table):\n"
            "    low = -usage.diff_high  # usage minus all signals, turned round\n"
            "else:\n"
            "    low = every.diff_low\n"
            "answer = 'yes' if low > 0 else 'no'"
        ),
        hint=(
            "Both candidates scored the same test customers, so their AUC difference has its "
            "own paired interval (diff_low, diff_high against the reference row). The gap is "
            "more than noise when that interval excludes 0."
        ),
        mistakes=[
            Mistake(
                lambda d: selection(d)["by_eye"],
                "that compares the two AUC intervals by eye (do they overlap?). Both models "
                "scored the same customers: the paired interval of the difference decides.",
            ),
            Mistake(
                lambda d: "no" if selection(d)["beats"] == "yes" else "yes",
                "read the paired interval of the AUC difference (diff_low to diff_high in the "
                "test table): the gap is more than noise only when it excludes 0.",
            ),
        ],
        data=cs,
    )
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}


# `from csworkbook.exercises.ex11 import cs, q1, q2, q3, q4, q5, ____` binds them on first use.
from . import binder  # noqa: E402 - the binder needs questions() defined above

__getattr__ = binder(questions)

"""The data contract: canonical tables, their columns, keys and allowed values.

This module is the single source of truth for what a :class:`~csworkbook.Dataset`
holds. The pandera schemas used for validation, the data dictionary in README and
the column order of files written to disk are all derived from :data:`TABLES`.

Example
-------
>>> from csworkbook.data import schema
>>> schema.TABLES["accounts"].key
('account_id',)
>>> "arr" in schema.TABLES["contracts"].column_names
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.pandas as pa

SEGMENTS = ("enterprise", "mid_market", "smb")
TOUCH_MODELS = ("high", "low", "tech")
ROLES = ("admin", "champion", "exec_sponsor", "end_user")
RENEWAL_OUTCOMES = ("renewed", "expanded", "contracted", "churned")
CHURN_REASONS = (
    "goals_achieved",
    "switched_to_competitor",
    "product_gaps",
    "support_experience",
    "roi_not_demonstrated",
    "priority_change",
    "budget_cuts",
    "poor_fit",
    "low_adoption",
    "champion_left",
)
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_CATEGORIES = ("how_to", "bug", "billing", "integration", "feature_request", "outage")
TOUCHPOINT_KINDS = ("onboarding_call", "training", "check_in", "qbr", "ebr", "email", "webinar")
SENTIMENTS = ("negative", "neutral", "positive")
MILESTONES = ("kickoff", "integrated", "first_value", "team_rollout")
STAKEHOLDER_EVENTS = ("champion_left", "sponsor_changed", "reorg")
ARMS = ("treatment", "control")
FEEDBACK_SOURCES = ("ticket", "nps_comment", "csm_note")
SCENARIOS = (
    "none",
    # heavy users who churn anyway
    "heavy_goals_met",
    "heavy_sponsor_left_new_tool",
    "heavy_roadmap_stale",
    "heavy_bad_last_interaction",
    "heavy_roi_unproven",
    "heavy_priority_dropped",
    # light users who renew anyway
    "light_category_leader",
    "light_knows_must_use_more",
    "light_cultural_pace",
    "light_excellent_relationship",
)


@dataclass(frozen=True)
class Col:
    """One column of a canonical table."""

    name: str
    dtype: str  # "string", "date", "datetime", "float", "int", "bool"
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    unique: bool = False


@dataclass(frozen=True)
class Table:
    """A canonical table: its grain, primary key and columns."""

    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Col, ...]
    required: bool = False
    synthetic_only: bool = False
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def col(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


_ACC = {"account_id": "accounts.account_id"}


def _id(name: str, what: str, unique: bool = False) -> Col:
    return Col(name, "string", what, unique=unique)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "accounts",
            "one row per customer company",
            ("account_id",),
            (
                _id("account_id", "Customer company identifier.", unique=True),
                Col("name", "string", "Company name (synthetic in the demo)."),
                Col("industry", "string", "Industry of the customer."),
                Col("region", "string", "Sales region."),
                Col("size_band", "string", "Employee-count band, e.g. '50-199'."),
                Col("segment", "string", "Commercial segment.", allowed=SEGMENTS),
                Col("touch_model", "string", "CS coverage model.", allowed=TOUCH_MODELS),
                Col("csm_id", "string", "Assigned CSM; empty for tech-touch pools.", nullable=True),
                Col(
                    "icp_fit",
                    "float",
                    "Ideal-customer-profile fit score from sales qualification, 0-1.",
                    nullable=True,
                    min_value=0,
                    max_value=1,
                ),
                Col("acquisition_channel", "string", "How the customer was acquired."),
                Col("first_contract_date", "date", "Start of the first contract."),
            ),
            required=True,
        ),
        Table(
            "contracts",
            "one row per subscription (a company may hold several, per department or product)",
            ("contract_id",),
            (
                _id("contract_id", "Subscription identifier.", unique=True),
                _id("account_id", "Owning customer company."),
                Col("department", "string", "Department of the customer that holds it."),
                Col("product", "string", "Product subscribed to."),
                Col("start_date", "date", "First day of service."),
                Col(
                    "end_date",
                    "date",
                    "Day service ended (the renewal date it was not renewed at); empty while active.",
                    nullable=True,
                ),
                Col("term_months", "int", "Length of one contract term.", min_value=1),
                Col(
                    "renewal_date",
                    "date",
                    "Next renewal date for an active contract; empty once ended.",
                    nullable=True,
                ),
                Col("arr", "float", "Current (or final) annual recurring revenue.", min_value=0),
                Col("seats", "int", "Licensed seats.", min_value=0),
                Col("auto_renew", "bool", "Renews automatically unless cancelled."),
            ),
            required=True,
            references=_ACC,
        ),
        Table(
            "mrr_monthly",
            "one row per contract and month of service",
            ("contract_id", "month"),
            (
                _id("contract_id", "Subscription."),
                _id("account_id", "Customer company."),
                Col("month", "date", "First day of the month."),
                Col("mrr", "float", "Monthly recurring revenue in that month.", min_value=0),
            ),
            references={**_ACC, "contract_id": "contracts.contract_id"},
        ),
        Table(
            "renewals",
            "one row per contract renewal date reached",
            ("contract_id", "renewal_date"),
            (
                _id("contract_id", "Subscription."),
                _id("account_id", "Customer company."),
                Col("renewal_date", "date", "Date the term ended and was renewed or not."),
                Col("outcome", "string", "What happened.", allowed=RENEWAL_OUTCOMES),
                Col("arr_before", "float", "ARR in the term that ended.", min_value=0),
                Col("arr_after", "float", "ARR in the next term (0 if churned).", min_value=0),
                Col(
                    "churn_reason",
                    "string",
                    "Reason recorded by the CSM when churned.",
                    nullable=True,
                    allowed=CHURN_REASONS,
                ),
            ),
            references={**_ACC, "contract_id": "contracts.contract_id"},
        ),
        Table(
            "users",
            "one row per person at a customer",
            ("user_id",),
            (
                _id("user_id", "Person identifier.", unique=True),
                _id("account_id", "Customer company."),
                Col("role", "string", "Role towards the vendor.", allowed=ROLES),
                Col("created_date", "date", "Date the user was provisioned."),
                Col(
                    "deactivated_date", "date", "Date the user left or was removed.", nullable=True
                ),
            ),
            references=_ACC,
        ),
        Table(
            "usage",
            "one row per account and week with any contract active",
            ("account_id", "week"),
            (
                _id("account_id", "Customer company."),
                Col("week", "date", "Monday the week starts on."),
                Col("active_users", "int", "Distinct users active that week.", min_value=0),
                Col("sessions", "int", "Sessions started.", min_value=0),
                Col(
                    "key_actions",
                    "int",
                    "Value-creating actions (reports sent, workflows run).",
                    min_value=0,
                ),
                Col(
                    "features_used",
                    "int",
                    "Distinct product features used (the demo product has 12).",
                    min_value=0,
                ),
                Col("minutes", "float", "Minutes in the product.", min_value=0),
            ),
            references=_ACC,
        ),
        Table(
            "events",
            "one row per raw product event (large; usage can be derived from it)",
            (),
            (
                Col("event_time", "datetime", "When the event happened."),
                _id("account_id", "Customer company."),
                Col("user_id", "string", "Person who triggered it.", nullable=True),
                Col("event_name", "string", "What happened, e.g. 'report_sent'."),
                Col("feature", "string", "Product area it belongs to.", nullable=True),
            ),
            references=_ACC,
        ),
        Table(
            "tickets",
            "one row per support ticket",
            ("ticket_id",),
            (
                _id("ticket_id", "Ticket identifier.", unique=True),
                _id("account_id", "Customer company."),
                Col("opened_at", "datetime", "When the ticket was opened."),
                Col("closed_at", "datetime", "When it was closed; empty if open.", nullable=True),
                Col("priority", "string", "Priority.", allowed=TICKET_PRIORITIES),
                Col(
                    "category",
                    "string",
                    "Category; empty when the help desk does not categorise tickets.",
                    nullable=True,
                    allowed=TICKET_CATEGORIES,
                ),
                Col(
                    "csat",
                    "float",
                    "Satisfaction 1-5; empty if not answered.",
                    nullable=True,
                    min_value=1,
                    max_value=5,
                ),
            ),
            references=_ACC,
        ),
        Table(
            "nps",
            "one row per survey response",
            ("response_id",),
            (
                _id("response_id", "Response identifier.", unique=True),
                _id("account_id", "Customer company."),
                _id("user_id", "Respondent."),
                Col("date", "date", "Date answered."),
                Col("score", "int", "Likelihood to recommend, 0-10.", min_value=0, max_value=10),
                Col("comment", "string", "Free-text comment.", nullable=True),
            ),
            references={**_ACC, "user_id": "users.user_id"},
        ),
        Table(
            "touchpoints",
            "one row per CSM activity",
            ("touchpoint_id",),
            (
                _id("touchpoint_id", "Activity identifier.", unique=True),
                _id("account_id", "Customer company."),
                Col("date", "date", "Date of the activity."),
                Col("kind", "string", "Kind of activity.", allowed=TOUCHPOINT_KINDS),
                Col(
                    "sentiment", "string", "CSM's read of the customer's mood.", allowed=SENTIMENTS
                ),
            ),
            references=_ACC,
        ),
        Table(
            "milestones",
            "one row per account and onboarding milestone",
            ("account_id", "milestone"),
            (
                _id("account_id", "Customer company."),
                Col("milestone", "string", "Onboarding / value milestone.", allowed=MILESTONES),
                Col("achieved_date", "date", "When reached; empty if not (yet).", nullable=True),
            ),
            references=_ACC,
        ),
        Table(
            "stakeholder_events",
            "one row per relationship change at a customer",
            ("event_id",),
            (
                _id("event_id", "Event identifier.", unique=True),
                _id("account_id", "Customer company."),
                Col("date", "date", "When it became known."),
                Col("event", "string", "What changed.", allowed=STAKEHOLDER_EVENTS),
            ),
            references=_ACC,
        ),
        Table(
            "goals",
            "one row per goal a customer stated at kickoff (its success plan)",
            ("goal_id",),
            (
                _id("goal_id", "Goal identifier.", unique=True),
                _id("account_id", "Customer company."),
                Col("stated_date", "date", "When the customer stated it (the kickoff)."),
                Col(
                    "goal",
                    "string",
                    "The business result the customer bought the product for, e.g. "
                    "'reduce_reporting_time'.",
                ),
                Col(
                    "target",
                    "float",
                    "Improvement aimed for on the goal's own measure, as a share of where it "
                    "started (0.3: 30% better).",
                    min_value=0,
                ),
                Col(
                    "achieved_date",
                    "date",
                    "Review at which the target was first met; empty if not (yet).",
                    nullable=True,
                ),
            ),
            references=_ACC,
        ),
        Table(
            "goal_reviews",
            "one row per goal and review of its progress (business reviews, customer surveys)",
            ("goal_id", "date"),
            (
                _id("goal_id", "Goal reviewed."),
                _id("account_id", "Customer company."),
                Col("date", "date", "Date of the review."),
                Col(
                    "progress",
                    "float",
                    "Share of the target reached: 0 where the customer started, 1 the target met.",
                    min_value=0,
                ),
            ),
            references={**_ACC, "goal_id": "goals.goal_id"},
        ),
        Table(
            "feedback",
            "one row per piece of product feedback (a feature request or product gap) a "
            "customer gave",
            ("feedback_id",),
            (
                _id("feedback_id", "Feedback identifier.", unique=True),
                _id("account_id", "Customer company."),
                Col("date", "date", "When it was given."),
                Col("source", "string", "Where it was recorded.", allowed=FEEDBACK_SOURCES),
                Col(
                    "source_id",
                    "string",
                    "The ticket_id, response_id or touchpoint_id it was recorded from; empty "
                    "when unknown.",
                    nullable=True,
                ),
                Col("theme", "string", "Product area it concerns, e.g. 'integrations'."),
                Col(
                    "request",
                    "string",
                    "The product request (roadmap item) it was filed under, e.g. 'sso_saml'.",
                ),
                Col(
                    "shipped_date",
                    "date",
                    "When that request shipped; empty if it has not (yet).",
                    nullable=True,
                ),
            ),
            references=_ACC,
        ),
        Table(
            "account_costs",
            "one row per customer company: what winning it cost and what serving it costs",
            ("account_id",),
            (
                _id("account_id", "Customer company.", unique=True),
                Col(
                    "acquisition_cost",
                    "float",
                    "Sales and marketing spent to win the customer (its CAC), once.",
                    min_value=0,
                ),
                Col(
                    "cost_to_serve",
                    "float",
                    "Cost of serving it per year as a customer: CSM time and support "
                    "(hosting and licences sit in the gross margin).",
                    min_value=0,
                ),
            ),
            references=_ACC,
        ),
        Table(
            "experiments",
            "one row per customer enrolled in a randomised CS play",
            ("experiment", "account_id"),
            (
                Col("experiment", "string", "Name of the play, e.g. 'save_play'."),
                _id("account_id", "Customer company."),
                Col("enrolled_date", "date", "When the customer was enrolled and its arm drawn."),
                Col("target_date", "date", "The renewal date the play works towards."),
                Col("arm", "string", "Group drawn at random.", allowed=ARMS),
                Col(
                    "risk_at_enrolment",
                    "float",
                    "Churn probability the risk list showed at enrolment.",
                    nullable=True,
                    min_value=0,
                    max_value=1,
                ),
            ),
            references=_ACC,
        ),
        Table(
            "truth",
            "synthetic data only: one row per account with the hidden drivers",
            ("account_id",),
            (
                _id("account_id", "Customer company.", unique=True),
                Col(
                    "scenario", "string", "Usage blind-spot scenario, or 'none'.", allowed=SCENARIOS
                ),
                Col(
                    "scenario_date", "date", "When the scenario's trigger happened.", nullable=True
                ),
                Col("fit", "float", "Latent ICP fit (z-score)."),
                Col("outcome", "float", "Latent outcome attainment (z-score)."),
                Col("relationship", "float", "Latent relationship strength (z-score)."),
                Col("champion_stability", "float", "Latent champion stability (z-score)."),
                Col("excitement", "float", "Latent product excitement (z-score)."),
                Col("price_sensitivity", "float", "Latent price sensitivity (z-score)."),
                Col("adoption", "float", "Latent usage propensity (z-score)."),
                Col(
                    "days_to_first_value",
                    "float",
                    "Onboarding speed that was drawn.",
                    nullable=True,
                ),
                Col(
                    "disengaged_from",
                    "date",
                    "Start of the usage decline that preceded an ordinary churn.",
                    nullable=True,
                ),
            ),
            synthetic_only=True,
            references=_ACC,
        ),
    ]
}

_PANDERA_DTYPE = {
    "string": "string",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


def pandas_dtype(col: Col) -> str:
    """The pandas dtype a column has once loaded."""
    return _PANDERA_DTYPE[col.dtype]


def pandera_schema(table: str) -> pa.DataFrameSchema:
    """Build the pandera schema of a canonical table.

    Extra columns are allowed (exports often carry more); missing ones are not.
    """
    spec = TABLES[table]
    cols = {}
    for c in spec.columns:
        checks = []
        if c.allowed is not None:
            checks.append(pa.Check.isin(list(c.allowed)))
        if c.min_value is not None:
            checks.append(pa.Check.ge(c.min_value))
        if c.max_value is not None:
            checks.append(pa.Check.le(c.max_value))
        cols[c.name] = pa.Column(
            pandas_dtype(c),
            checks=checks,
            nullable=c.nullable,
            unique=c.unique,
            coerce=False,
        )
    unique = list(spec.key) if len(spec.key) > 1 else None
    return pa.DataFrameSchema(cols, strict=False, unique=unique, name=table)


def data_dictionary_markdown() -> str:
    """The data dictionary as Markdown, generated from :data:`TABLES`."""
    out = []
    for t in TABLES.values():
        flag = "required" if t.required else ("synthetic only" if t.synthetic_only else "optional")
        out.append(f"### `{t.name}` ({flag})\n")
        key = ", ".join(f"`{k}`" for k in t.key) if t.key else "none (rows may repeat)"
        out.append(f"Grain: {t.grain}. Key: {key}.\n")
        out.append("| column | type | description | allowed / range |")
        out.append("|---|---|---|---|")
        for c in t.columns:
            rule = ""
            if c.allowed:
                rule = ", ".join(c.allowed)
            elif c.min_value is not None or c.max_value is not None:
                lo = "" if c.min_value is None else f"≥ {c.min_value:g}"
                hi = "" if c.max_value is None else f"≤ {c.max_value:g}"
                rule = " and ".join(x for x in (lo, hi) if x)
            typ = c.dtype + (", may be empty" if c.nullable else "")
            out.append(f"| `{c.name}` | {typ} | {c.description} | {rule} |")
        out.append("")
    return "\n".join(out)

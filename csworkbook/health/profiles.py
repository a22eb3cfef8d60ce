"""Which scorecard applies to whom, CSM overrides, levels, and the commercial styles.

* :func:`usage_scorecard`, :func:`holistic_scorecard`, :func:`onboarding_scorecard`,
  :func:`tech_touch_scorecard` are the workbook's designed scorecards (thresholds set the
  way a CS team would set them, not fitted to the outcome).
* :class:`Profiles` picks a scorecard per account and date: onboarding for the first N days,
  then one per touch model, with a default.
* :class:`Override` records a CSM's judgement with reason, author and expiry;
  :func:`apply_overrides` applies only those in force and keeps what the data said.
* :func:`roll_up` states how scores of users or contracts become an account's.
* :func:`commercial_styles` rebuilds one scorecard in the scoring styles of common tools.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .scorecard import Group, Measure, Scorecard

# ---- designed scorecards --------------------------------------------------------------

ACTIVE = Measure("Active seats (28 d)", "active_share", red=0.1, green=0.5)
KEY_TREND = Measure("Key actions trend", "key_actions_trend", red=-0.3, green=0.2)
USERS_TREND = Measure("Active users trend", "active_users_trend", red=-0.3, green=0.2)
BREADTH = Measure("Features used", "features_used", red=1, green=6)
DEPTH = Measure("Sessions per user", "sessions_per_user", red=1.5, green=3.5)
RECENCY = Measure("Days since active", "days_since_active", red=21, green=3, scoring="rag")
CHAMPION = Measure(
    "Champion left (240 d)", "champion_left", scoring="tiers", edges=(1,), points=(100, 0)
)
SPONSOR = Measure(
    "Sponsor change / reorg", "sponsor_or_reorg", scoring="tiers", edges=(1,), points=(100, 30)
)
NEG_TOUCH = Measure("Negative CSM notes (180 d)", "negative_touches", red=3, green=0)
POS_TOUCH = Measure("Positive CSM notes (180 d)", "positive_touches", red=0, green=3)
RECOMMEND = Measure("Recommend score, mean 0-10 (365 d)", "recommend_mean", red=5, green=9)
DETRACTORS = Measure("Detractors (365 d)", "nps_detractors", red=2, green=0)
LOW_CSAT = Measure("Low-CSAT tickets (180 d)", "low_csat_tickets", red=2, green=0)
URGENT = Measure("Urgent tickets (180 d)", "urgent_tickets", red=3, green=0)
TTV = Measure("Days to first value", "days_to_first_value", red=90, green=21)
REVIEWS = Measure("Business reviews a year", "business_reviews_per_year", red=0, green=2)


def usage_scorecard() -> Scorecard:
    """What many teams start with: product usage only."""
    return Scorecard(
        "usage only",
        [Group("product usage", 1, (ACTIVE, KEY_TREND, USERS_TREND, BREADTH, DEPTH, RECENCY))],
    )


def holistic_scorecard() -> Scorecard:
    """Usage plus relationship, the customer's voice, support and outcomes."""
    return Scorecard(
        "holistic",
        [
            Group("product usage", 35, (ACTIVE, KEY_TREND, BREADTH, RECENCY)),
            Group("relationship", 25, (CHAMPION, SPONSOR, NEG_TOUCH, POS_TOUCH)),
            Group("voice of customer", 20, (RECOMMEND, DETRACTORS)),
            Group("support", 10, (LOW_CSAT, URGENT)),
            Group("outcomes", 10, (TTV, REVIEWS)),
        ],
    )


def tech_touch_scorecard() -> Scorecard:
    """No CSM, no business reviews: the relationship is read from stakeholder changes only."""
    return Scorecard(
        "tech touch",
        [
            Group("product usage", 50, (ACTIVE, KEY_TREND, BREADTH, RECENCY)),
            Group("relationship", 15, (CHAMPION, SPONSOR)),
            Group("voice of customer", 20, (RECOMMEND, DETRACTORS)),
            Group("support", 15, (LOW_CSAT, URGENT)),
        ],
    )


def onboarding_scorecard() -> Scorecard:
    """The first weeks: is the customer reaching first value and bringing people in?"""
    ttv = replace(TTV, name="Days to first value (so far)", red=60, green=14, weight=2)
    return Scorecard(
        "onboarding",
        [
            Group("time to value", 50, (ttv,)),
            Group("adoption", 30, (ACTIVE, RECENCY)),
            Group("relationship", 20, (NEG_TOUCH, CHAMPION)),
        ],
    )


# ---- profiles ---------------------------------------------------------------------------


@dataclass
class Profiles:
    """Choose a scorecard per row: ``onboarding`` while ``tenure_days < onboarding_days``,
    else ``by_touch[touch_model]``, else ``default``.

    Examples
    --------
    >>> p = Profiles(default=holistic_scorecard(), by_touch={"tech": tech_touch_scorecard()},
    ...              onboarding=onboarding_scorecard(), onboarding_days=90)
    >>> p.resolve(pd.DataFrame({"tenure_days": [30, 400, 400], "touch_model": ["high", "tech", "low"]})).tolist()
    ['onboarding', 'tech touch', 'holistic']
    """

    default: Scorecard
    by_touch: dict | None = None
    onboarding: Scorecard | None = None
    onboarding_days: int = 90

    @property
    def scorecards(self) -> dict[str, Scorecard]:
        cards = [self.default, *(self.by_touch or {}).values()]
        if self.onboarding is not None:
            cards.append(self.onboarding)
        return {c.name: c for c in cards}

    def resolve(self, X: pd.DataFrame) -> pd.Series:
        names = pd.Series(self.default.name, index=X.index, dtype=object)
        for touch, card in (self.by_touch or {}).items():
            names[X["touch_model"] == touch] = card.name
        if self.onboarding is not None:
            names[X["tenure_days"] < self.onboarding_days] = self.onboarding.name
        return names

    def score(self, X: pd.DataFrame) -> pd.DataFrame:
        """``score``, ``band``, ``coverage`` and the ``scorecard`` used, aligned to ``X``."""
        which = self.resolve(X)
        parts = []
        for name, card in self.scorecards.items():
            rows = X[which == name]
            if len(rows):
                parts.append(card.score(rows)[["score", "band", "coverage"]].assign(scorecard=name))
        out = pd.concat(parts).reindex(X.index)
        bands = list(self.default.bands)
        out["band"] = pd.Categorical(out["band"].astype(object), categories=bands, ordered=True)
        return out


# ---- overrides --------------------------------------------------------------------------


@dataclass(frozen=True)
class Override:
    """A CSM's judgement that replaces the computed band for a while.

    ``expires`` is required: an override nobody revisits must not hide the data forever.
    """

    account_id: str
    band: str
    reason: str
    author: str
    set_on: str
    expires: str


def overrides_frame(overrides) -> pd.DataFrame:
    df = pd.DataFrame([o.__dict__ for o in overrides])
    for c in ("set_on", "expires"):
        df[c] = pd.to_datetime(df[c])
    return df


def apply_overrides(scored: pd.DataFrame, overrides) -> pd.DataFrame:
    """Bands after the overrides in force on each row's ``obs_date``.

    ``scored`` needs ``account_id``, ``obs_date`` and ``band``. The result keeps the data's
    band as ``data_band`` and adds ``override_reason`` / ``override_author`` where one applied.
    An override applies from ``set_on`` up to, not including, ``expires``.
    """
    out = scored.copy()
    out["data_band"] = out["band"]
    out["override_reason"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["override_author"] = pd.Series(pd.NA, index=out.index, dtype="string")
    band = out["band"].astype(object)
    for o in overrides_frame(overrides).itertuples(index=False):
        live = (
            (out["account_id"] == o.account_id)
            & (out["obs_date"] >= o.set_on)
            & (out["obs_date"] < o.expires)
        )
        band[live] = o.band
        out.loc[live, "override_reason"] = o.reason
        out.loc[live, "override_author"] = o.author
    cats = scored["band"].cat.categories if hasattr(scored["band"], "cat") else None
    out["band"] = pd.Categorical(band, categories=cats, ordered=True) if cats is not None else band
    return out


def override_report(scored: pd.DataFrame, overrides, as_of) -> pd.DataFrame:
    """Every override beside what the data says on ``as_of``: status (active, expired, not
    yet), the data's band and score, and whether the two disagree."""
    as_of = pd.Timestamp(as_of)
    o = overrides_frame(overrides)
    now = scored[scored["obs_date"] == scored.loc[scored["obs_date"] <= as_of, "obs_date"].max()]
    now = now.set_index("account_id")
    o["status"] = np.where(
        o["set_on"] > as_of, "not yet", np.where(o["expires"] <= as_of, "expired", "active")
    )
    said = now["data_band"] if "data_band" in now else now["band"]  # before any override
    o["data_band"] = o["account_id"].map(said.astype(object))
    o["data_score"] = o["account_id"].map(now["score"]).round(1)
    o["disagrees"] = o["band"] != o["data_band"]
    return o


# ---- levels -----------------------------------------------------------------------------


def roll_up(
    child: pd.DataFrame, by: str, *, score: str = "score", weight: str | None = None, rule="mean"
) -> pd.DataFrame:
    """Scores of users or contracts rolled up to their parent (``by``).

    ``rule``: ``"mean"`` (weighted by ``weight`` if given: ARR for contracts, role weight for
    users) or ``"min"`` (the parent is as healthy as its weakest child: one failing contract
    puts the account at risk). Returns the parent score and how many children it used.

    Examples
    --------
    >>> c = pd.DataFrame({"account_id": ["A", "A", "B"], "score": [90.0, 30.0, 70.0],
    ...                   "arr": [30000.0, 10000.0, 5000.0]})
    >>> roll_up(c, "account_id", weight="arr")["score"].tolist()
    [75.0, 70.0]
    >>> roll_up(c, "account_id", rule="min")["score"].tolist()
    [30.0, 70.0]
    """
    d = child.dropna(subset=[score])
    g = d.groupby(by)
    if rule == "min":
        s = g[score].min()
    elif rule == "mean":
        w = d[weight] if weight else pd.Series(1.0, index=d.index)
        s = (d[score] * w).groupby(d[by]).sum() / w.groupby(d[by]).sum()
    else:
        raise ValueError("rule must be 'mean' or 'min'")
    return pd.DataFrame({"score": s, "children": g.size()})


ROLE_WEIGHT = {"exec_sponsor": 3.0, "champion": 2.0, "admin": 1.0, "end_user": 1.0}


def user_health(ds, as_of, *, days: int = 365) -> pd.DataFrame:
    """Person-level health from each user's latest answer (0-10, column ``recommend``) to
    the would-you-recommend question in ``days``: promoter (9-10) 100, passive (7-8) 60,
    detractor (0-6) 0, weighted by role (executive sponsor 3, champion 2, others 1) for the
    roll-up to the account. (One answer is not an NPS; NPS is % promoters minus %
    detractors over many answers, :func:`csworkbook.retention.metrics.nps`.)"""
    as_of = pd.Timestamp(as_of)
    n = ds.nps[(ds.nps["date"] <= as_of) & (ds.nps["date"] > as_of - pd.Timedelta(days=days))]
    last = n.sort_values("date").drop_duplicates("user_id", keep="last").dropna(subset=["user_id"])
    pts = np.select([last["score"] >= 9, last["score"] >= 7], [100.0, 60.0], 0.0)
    out = last[["user_id", "account_id", "date", "score"]].rename(columns={"score": "recommend"})
    out["score"] = pts
    role = ds.users.set_index("user_id")["role"]
    out["role"] = out["user_id"].map(role)
    out["weight"] = out["role"].map(ROLE_WEIGHT).fillna(1.0)
    return out.reset_index(drop=True)


# ---- commercial styles ------------------------------------------------------------------


def commercial_styles(base: Scorecard) -> dict[str, Scorecard]:
    """The same measures and thresholds scored the way common CS platforms score them.

    * ``weighted 0-100`` (Gainsight-like): each measure on a line from red to green, groups
      weighted, missing weight redistributed.
    * ``good/average/poor`` (Totango-like): each measure 100 / 60 / 0 by its thresholds.
    * ``point tiers`` (ChurnZero-like): 0 / 5 / 10 points per measure, summed, every measure
      counting the same.
    * ``base 5 ± factors`` (Planhat-like): start neutral, each measure adds or subtracts in
      proportion to its distance from neutral without a per-measure cap, missing = neutral.
    """

    def remeasure(fn, **card):
        groups = [replace(g, measures=tuple(fn(m) for m in g.measures)) for g in base.groups]
        return replace(base, groups=groups, **card)

    def tiers(m: Measure) -> Measure:
        if m.scoring == "tiers":
            return m
        return replace(m, scoring="rag", points=(0.0, 50.0, 100.0), weight=1.0)

    equal = remeasure(tiers)
    equal = replace(equal, groups=[replace(g, weight=float(len(g.measures))) for g in equal.groups])
    return {
        "weighted 0-100": replace(base, name="weighted 0-100"),
        "good/average/poor": remeasure(
            lambda m: m if m.scoring == "tiers" else replace(m, scoring="rag", points=(0, 60, 100)),
            name="good/average/poor",
        ),
        "point tiers": replace(equal, name="point tiers"),
        "base 5 ± factors": remeasure(
            lambda m: replace(m, scoring="linear") if m.scoring == "bounded" else m,
            name="base 5 ± factors",
            missing="neutral",
        ),
    }

"""A randomised save play: who is enrolled, who gets the play, and whose churn it prevents.

Everything random here comes from its own stream (``[seed, PLAY_STREAM]``), and nothing runs
unless the world's config has a :class:`~csworkbook.synth.config.SavePlay`: a world without
a play is the same, to the byte, as before plays existed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar, sigmoid
from .config import SavePlay

PLAY_STREAM = 0x5A7E


class PlayState:
    """The play as it unfolds over the renewal passes of :func:`contracts.simulate`."""

    def __init__(self, play: SavePlay, n_accounts: int, cal: Calendar, seed: int):
        self.play = play
        self.rng = np.random.default_rng([seed, PLAY_STREAM])
        self.first_day = int(cal.month_day[max(cal.n_months - play.months, 0)])
        self.last_day = cal.last_day
        self.target = np.full(n_accounts, np.nan)  # renewal day the play works towards
        self.risk = np.full(n_accounts, np.nan)  # churn probability the list read
        self.treated = np.zeros(n_accounts, dtype=bool)
        self.saved = np.zeros(n_accounts, dtype=bool)  # treated and the play worked

    def apply(self, c, k, a, term, day, x, churn) -> np.ndarray:
        """Enrol accounts at their first at-risk renewal in the window, then undo the churns
        the play prevents (every contract renewing on a saved account's target day)."""
        p = self.play
        first = pd.Series(np.where(churn, k, np.iinfo(np.int64).max)).groupby(c).transform("min")
        happens = k <= first.to_numpy()  # decided before any play: the list reads what is due
        enrol_day = day - p.lead_days
        open_ = (
            happens
            & (term >= 12)
            & (enrol_day >= self.first_day)
            & (day <= self.last_day)
            & np.isnan(self.target[a])
        )
        if open_.any():
            rows = pd.DataFrame(
                {"a": a[open_], "day": day[open_], "log_stay": np.log1p(-sigmoid(x[open_]))}
            )
            due = rows.groupby(["a", "day"], sort=True)["log_stay"].sum().reset_index()
            p_any = -np.expm1(due["log_stay"].to_numpy())  # churn of any contract renewing then
            logit = np.log(p_any) - due["log_stay"].to_numpy()
            read = sigmoid(logit + self.rng.normal(0, p.read_noise, len(due)))
            hit = due[read >= p.threshold].assign(read=read[read >= p.threshold])
            hit = hit.groupby("a", sort=True).first()  # first at-risk renewal of each account
            acc = hit.index.to_numpy()
            self.target[acc] = hit["day"].to_numpy()
            self.risk[acc] = hit["read"].to_numpy()
            treated = self.rng.random(len(acc)) < p.treat_share
            self.treated[acc] = treated
            self.saved[acc] = treated & (self.rng.random(len(acc)) < p.save_rate)
        prevented = self.saved[a] & (day == self.target[a])
        return churn & ~prevented

    def table(self, account_ids: np.ndarray, cal: Calendar) -> pd.DataFrame:
        """The ``experiments`` table: one row per enrolled account."""
        idx = np.flatnonzero(~np.isnan(self.target))
        return pd.DataFrame(
            {
                "experiment": "save_play",
                "account_id": account_ids[idx],
                "enrolled_date": cal.to_dates(self.target[idx] - self.play.lead_days),
                "target_date": cal.to_dates(self.target[idx]),
                "arm": np.where(self.treated[idx], "treatment", "control"),
                "risk_at_enrolment": np.round(self.risk[idx], 3),
            }
        )

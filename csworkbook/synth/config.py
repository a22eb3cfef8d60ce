"""Parameters of the synthetic world, with the defaults the demo dataset uses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..data.schema import SCENARIOS

HEAVY_SCENARIOS = tuple(s for s in SCENARIOS if s.startswith("heavy_"))
LIGHT_SCENARIOS = tuple(s for s in SCENARIOS if s.startswith("light_"))

# What a CSM writes down when a heavy-usage account churns in each scenario.
HEAVY_REASON = {
    "heavy_goals_met": "goals_achieved",
    "heavy_sponsor_left_new_tool": "switched_to_competitor",
    "heavy_roadmap_stale": "product_gaps",
    "heavy_bad_last_interaction": "support_experience",
    "heavy_roi_unproven": "roi_not_demonstrated",
    "heavy_priority_dropped": "priority_change",
}


@dataclass(frozen=True)
class SavePlay:
    """A randomised "save play" run by the CS team over the last months of the history.

    Every annual-or-longer renewal due in the play's window is read by a risk list
    ``lead_days`` before its date: the list sees the renewal's true churn odds through noise
    (``read_noise``, in log-odds). A customer whose reading reaches ``threshold`` is enrolled
    (once, at its first such renewal) and drawn into the play with probability
    ``treat_share``, else into the control group. The play prevents each would-be churn at
    the targeted renewal with probability ``save_rate``: the true effect, the share of
    treated customers' churns it saves, which an analysis should recover from the
    ``experiments`` table.

    Parameters
    ----------
    save_rate : float, default 0.3
        True share of would-be churns the play prevents.
    treat_share : float, default 0.5
        Share of enrolled customers given the play; the others form the control group.
    threshold : float, default 0.15
        Churn probability read by the risk list at which a renewal is called at risk.
    lead_days : int, default 90
        The play starts this many days before the renewal date.
    months : int, default 12
        Customers are enrolled during the last ``months`` months up to ``as_of``.
    read_noise : float, default 1.5
        Standard deviation of the risk list's error, in log-odds.
    """

    save_rate: float = 0.3
    treat_share: float = 0.5
    threshold: float = 0.15
    lead_days: int = 90
    months: int = 12
    read_noise: float = 1.5

    def __post_init__(self) -> None:
        for name in ("save_rate", "treat_share", "threshold"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"save play {name} must be between 0 and 1")
        if self.lead_days < 0 or self.months < 1 or self.read_noise < 0:
            raise ValueError("save play lead_days and read_noise must be >= 0, months >= 1")


def _default_rates() -> dict[str, float]:
    return {**dict.fromkeys(HEAVY_SCENARIOS, 0.02), **dict.fromkeys(LIGHT_SCENARIOS, 0.025)}


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes a synthetic world.

    Parameters
    ----------
    n_accounts : int
        Customer companies ever acquired.
    seed : int
        Seed of the random generator; the same config gives the same bytes.
    as_of : str
        The last day of the data (the "extract date").
    months : int
        Length of history, ending with the month of ``as_of``.
    segment_mix : tuple of 3 floats
        Shares of enterprise, mid-market and SMB accounts.
    scenario_rates : dict
        Share of accounts in each usage blind-spot scenario (seed text 003).
    currency : str
        Currency of every money column.
    save_play : SavePlay, optional
        A randomised save play (off by default: the demo world has none).
    """

    n_accounts: int = 1500
    seed: int = 7
    as_of: str = "2025-12-31"
    months: int = 36
    segment_mix: tuple[float, float, float] = (0.15, 0.35, 0.50)
    scenario_rates: dict[str, float] = field(default_factory=_default_rates)
    currency: str = "USD"
    save_play: SavePlay | None = None

    def __post_init__(self) -> None:
        if self.n_accounts < 1:
            raise ValueError(f"n_accounts must be at least 1, got {self.n_accounts}")
        if not 13 <= self.months <= 120:
            raise ValueError(f"months must be between 13 and 120, got {self.months}")
        unknown = set(self.scenario_rates) - set(HEAVY_SCENARIOS) - set(LIGHT_SCENARIOS)
        if unknown:
            raise ValueError(
                f"unknown scenario(s) {sorted(unknown)}; known: {HEAVY_SCENARIOS + LIGHT_SCENARIOS}"
            )
        total = sum(self.scenario_rates.values())
        if any(r < 0 for r in self.scenario_rates.values()) or total > 0.8:
            raise ValueError(f"scenario rates must be ≥ 0 and sum to at most 0.8, got {total:.2f}")
        if abs(sum(self.segment_mix) - 1) > 1e-9 or len(self.segment_mix) != 3:
            raise ValueError(f"segment_mix must be 3 shares summing to 1, got {self.segment_mix}")

    def as_meta(self) -> dict:
        d = asdict(self)
        d["segment_mix"] = list(self.segment_mix)
        d["scenario_rates"] = {k: float(v) for k, v in self.scenario_rates.items()}
        if self.save_play is None:  # worlds without a play keep their metadata as before
            del d["save_play"]
        return d

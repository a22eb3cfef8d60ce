"""A synthetic B2B SaaS company whose data holds the structure the workbook teaches.

Latent per-account drivers (fit, outcome attainment, relationship, champion stability,
product excitement, price sensitivity, adoption) drive every observable table; the
``truth`` table records them and each account's usage blind-spot scenario.

Example
-------
>>> from csworkbook import synth
>>> ds = synth.generate(n_accounts=200, seed=1, as_of="2025-12-31")
>>> ds.accounts.shape[0]
200
"""

from __future__ import annotations

from ..data.dataset import Dataset
from .config import HEAVY_SCENARIOS, LIGHT_SCENARIOS, SavePlay, WorldConfig
from .world import assemble, simulate_world

__all__ = ["generate", "WorldConfig", "SavePlay", "HEAVY_SCENARIOS", "LIGHT_SCENARIOS"]


def generate(
    n_accounts: int = 1500,
    *,
    seed: int = 7,
    as_of: str = "2025-12-31",
    months: int = 36,
    segment_mix: tuple[float, float, float] = (0.15, 0.35, 0.50),
    scenario_rates: dict[str, float] | None = None,
    currency: str = "USD",
    save_play: SavePlay | dict | bool | None = None,
) -> Dataset:
    """Generate a synthetic customer base as a :class:`~csworkbook.Dataset`.

    Parameters
    ----------
    n_accounts : int, default 1500
        Customer companies ever acquired during the history.
    seed : int, default 7
        The same arguments always give the same data, to the byte once written.
    as_of : str, default "2025-12-31"
        Last day of the data; nothing happens after it.
    months : int, default 36
        Length of history ending in the month of ``as_of``.
    segment_mix : (float, float, float)
        Shares of enterprise, mid-market and SMB accounts.
    scenario_rates : dict, optional
        Share of accounts in each usage blind-spot scenario; omitted ones keep their default
        (see :data:`csworkbook.synth.config.WorldConfig`). Set a rate to 0 to switch one off.
    currency : str, default "USD"
        Currency label of every money column.
    save_play : SavePlay, dict or bool, optional
        Run a randomised save play (:class:`SavePlay`; ``True`` for its defaults, a dict for
        some of its fields). Off by default. Its enrolments are in the ``experiments`` table
        and its true effect in ``ds.meta["generator"]["save_play"]``.

    Examples
    --------
    >>> ds = generate(300, seed=2, save_play={"save_rate": 0.4})
    >>> ds.meta["generator"]["save_play"]["save_rate"], sorted(ds.experiments.arm.unique())
    (0.4, ['control', 'treatment'])
    """
    if save_play is True:
        save_play = SavePlay()
    elif isinstance(save_play, dict):
        save_play = SavePlay(**save_play)
    elif save_play is False:
        save_play = None
    cfg = WorldConfig(
        n_accounts=n_accounts,
        seed=seed,
        as_of=str(as_of),
        months=months,
        segment_mix=tuple(segment_mix),
        scenario_rates={**WorldConfig().scenario_rates, **(scenario_rates or {})},
        currency=currency,
        save_play=save_play,
    )
    return assemble(simulate_world(cfg), cfg)

"""Plots for the value analyses, in seaborn's style: ``data=``, column names, return the Axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import PercentFormatter


def tornado(
    data: pd.DataFrame,
    *,
    better: str,
    worse: str,
    y: str | None = None,
    ax: plt.Axes | None = None,
    title: str | None = None,
) -> plt.Axes:
    """Tornado chart: one row per item (``y``, or the index), a bar from 0 to the ``better``
    value and one to the ``worse`` value (fractions, shown as %), largest swing on top.

    Examples
    --------
    >>> ax = tornado(data=sensitivity(inputs), better="arr_change_better",
    ...              worse="arr_change_worse")                    # doctest: +SKIP
    """
    ax = ax or plt.gca()
    d = data.reset_index() if y is None else data
    y = y or d.columns[0]
    swing = np.maximum(d[better].abs(), d[worse].abs())
    d = d.assign(_swing=swing.to_numpy()).sort_values("_swing")
    pos = np.arange(len(d))
    blue, red = sns.color_palette("deep")[0], sns.color_palette("deep")[3]
    ax.barh(pos, d[better], color=blue, label="lever better")
    ax.barh(pos, d[worse], color=red, label="lever worse")
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(pos, d[y])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.legend(frameon=False, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def retention_curves(
    data: pd.DataFrame,
    *,
    x: str = "period",
    curves: tuple[str, ...] = ("observed", "sbg", "naive"),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Share of customers still here after ``x`` periods: each column of ``curves`` as a line
    (observed solid with markers, models dashed)."""
    ax = ax or plt.gca()
    styles = {
        "observed": {"marker": "o", "ms": 3, "lw": 1.5},
        "sbg": {"ls": "--"},
        "naive": {"ls": ":"},
    }
    labels = {"observed": "observed (Kaplan-Meier)", "sbg": "sBG", "naive": "one churn rate"}
    for col in curves:
        if col in data and data[col].notna().any():
            ax.plot(data[x], data[col], label=labels.get(col, col), **styles.get(col, {}))
    ax.set_xlabel(x)
    ax.set_ylabel("still a customer")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.legend(frameon=False)
    return ax

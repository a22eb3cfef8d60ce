"""Plotting helpers in seaborn's style: ``data=``, ``x=``, ``y=``, ``hue=``, return the Axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter


def set_theme(dpi: int = 72) -> None:
    """The workbook's look: seaborn's whitegrid, small figures that keep notebooks light."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update({"figure.dpi": dpi, "savefig.dpi": dpi, "figure.figsize": (8, 3.2)})


def money_axis(ax: plt.Axes, axis: str = "y", currency: str = "USD") -> plt.Axes:
    """Format an axis as compact money: 12k, 1.2M."""

    def fmt(v, _pos):
        for div, suffix in ((1e6, "M"), (1e3, "k")):
            if abs(v) >= div:
                return f"{v / div:.1f}{suffix}".replace(".0", "")
        return f"{v:.0f}"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(fmt))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(currency)
    return ax


def stacked_area(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    hue: str,
    ax: plt.Axes | None = None,
    order: list | None = None,
) -> plt.Axes:
    """Stacked area of ``y`` summed by ``x`` and ``hue`` (e.g. MRR by month and segment).

    Examples
    --------
    >>> ax = stacked_area(data=mrr, x="month", y="mrr", hue="segment")  # doctest: +SKIP
    """
    ax = ax or plt.gca()
    wide = data.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", fill_value=0)
    if order is not None:
        wide = wide[[c for c in order if c in wide.columns]]
    colors = sns.color_palette(n_colors=wide.shape[1])
    ax.stackplot(wide.index, wide.T.to_numpy(), labels=wide.columns, colors=colors, alpha=0.85)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(title=hue, loc="upper left", frameon=False)
    ax.margins(x=0)
    return ax

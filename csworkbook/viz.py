"""Plotting helpers in seaborn's style: ``data=``, ``x=``, ``y=``, ``hue=``, return the Axes."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter


def set_theme(dpi: int = 72, lang: str = "en") -> None:
    """The workbook's look: seaborn's whitegrid, small figures that keep notebooks light.

    ``lang="ja"`` draws text with IPAexGothic, shipped inside the matplotlib-fontja package,
    so Japanese labels never come out as empty boxes whatever fonts the machine has.
    """
    sns.set_theme(style="whitegrid", context="notebook", palette="deep")
    plt.rcParams.update({"figure.dpi": dpi, "savefig.dpi": dpi, "figure.figsize": (8, 3.2)})
    if lang == "ja":
        from matplotlib_fontja import japanize

        japanize()


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


def mrr_bridge(data: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Monthly MRR movements from :func:`csworkbook.retention.metrics.mrr_movements`: gains stacked
    above zero, losses below, net change as a line."""
    ax = ax or plt.gca()
    x = data.index
    width = 20  # days
    gains = ["new", "expansion", "reactivation"]
    losses = ["contraction", "churn"]
    colors = dict(zip(gains + losses, sns.color_palette("deep", 5), strict=True))
    bottom = 0
    for c in gains:
        ax.bar(x, data[c], width, bottom=bottom, label=c, color=colors[c])
        bottom = bottom + data[c]
    bottom = 0
    for c in losses:
        ax.bar(x, -data[c], width, bottom=bottom, label=c, color=colors[c])
        bottom = bottom - data[c]
    net = data[gains].sum(axis=1) - data[losses].sum(axis=1)
    ax.plot(x, net, color="black", linewidth=1.2, label="net change")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.legend(ncol=3, fontsize=8, frameon=False, loc="upper left")
    ax.set_xlabel("month")
    return ax


def cohort_heatmap(
    data: pd.DataFrame, *, ax: plt.Axes | None = None, max_age: int = 24
) -> plt.Axes:
    """Heatmap of a :func:`csworkbook.retention.cohorts.cohort_matrix` (its ``size`` column is
    dropped), ages 0 to ``max_age`` or as many as the data has.

    Examples
    --------
    >>> m = pd.DataFrame({"size": [10, 12], 0: [1.0, 1.0], 1: [0.9, None]},
    ...                  index=pd.to_datetime(["2024-01-01", "2024-02-01"]))
    >>> cohort_heatmap(m, max_age=24).get_xlabel()
    'months since start'
    >>> plt.close("all")
    """
    ax = ax or plt.gca()
    m = data.drop(columns="size", errors="ignore")
    m = m[[c for c in m.columns if c <= max_age]]  # labels, not positions: 24 may be absent
    m.index = m.index.strftime("%Y-%m")
    sns.heatmap(
        m,
        ax=ax,
        cmap="viridis",
        vmin=0,
        vmax=max(1.0, float(m.max().max())),
        cbar_kws={"shrink": 0.8},
    )
    ax.set_xlabel("months since start")
    ax.set_ylabel("cohort")
    return ax


def survival_curves(
    data: pd.DataFrame,
    *,
    x: str = "timeline",
    y: str = "survival",
    hue: str = "group",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Step plot of Kaplan–Meier curves in long format (see :func:`csworkbook.retention.survival.km_by`)."""
    ax = ax or plt.gca()
    for key, g in data.groupby(hue, observed=True):
        ax.step(g[x], g[y], where="post", label=str(key))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months since first payment")
    ax.set_ylabel("share still paying")
    ax.legend(title=hue, frameon=False)
    return ax


def decile_bars(
    data: pd.DataFrame, *, y: str = "churn_rate", ax: plt.Axes | None = None
) -> plt.Axes:
    """Bars of churn rate by decile from :func:`csworkbook.retention.observations.decile_churn`
    (its ``missing`` row, if any, is left out)."""
    ax = ax or plt.gca()
    d = data.drop(index="missing", errors="ignore")
    sns.barplot(x=d.index.astype(int), y=d[y].to_numpy(), ax=ax, color=sns.color_palette()[0])
    ax.set_xlabel(f"{d.index.name or 'decile'} (1 = lowest)")
    ax.set_ylabel(y.replace("_", " "))
    return ax


def calibration_curve(
    data: pd.DataFrame, *, x: str = "predicted", y: str = "observed", ax: plt.Axes | None = None
) -> plt.Axes:
    """Predicted against observed rates from :func:`csworkbook.retention.models.calibration_table`,
    with the diagonal of a perfectly calibrated model."""
    ax = ax or plt.gca()
    sns.lineplot(data=data, x=x, y=y, marker="o", ax=ax)
    lim = float(max(data[x].max(), data[y].max())) * 1.05
    ax.plot([0, lim], [0, lim], "--", color="grey", linewidth=1)
    ax.set_xlabel(f"{x} rate")
    ax.set_ylabel(f"{y} rate")
    return ax


BAND_COLOURS = {"red": "#c0392b", "yellow": "#e0b000", "amber": "#e0b000", "green": "#2e8b57"}


def band_rates(
    data: pd.DataFrame,
    *,
    x: str = "band",
    y: str = "churn_rate",
    hue: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Churn rate per band with its interval (``low`` / ``high`` columns, as from
    :func:`csworkbook.health.validation.band_table`; stack several with a ``hue`` column).

    Examples
    --------
    >>> ax = band_rates(validation.band_table(scored))  # doctest: +SKIP
    """
    ax = ax or plt.gca()
    d = data.reset_index()
    palette = None if hue else [BAND_COLOURS.get(str(b), "grey") for b in d[x]]
    sns.barplot(data=d, x=x, y=y, hue=hue or x, palette=palette, legend=bool(hue), ax=ax)
    bounds = next((p for p in (("low", "high"), ("ci_low", "ci_high")) if set(p) <= set(d)), None)
    if bounds is not None:
        for bar, (_, r) in zip(ax.patches, d.iterrows(), strict=False):
            cx = bar.get_x() + bar.get_width() / 2
            ax.plot([cx, cx], [r[bounds[0]], r[bounds[1]]], color="black", linewidth=1)
    ax.set_ylabel(y.replace("_", " "))
    ax.set_xlabel("")
    return ax


def date_axis(ax: plt.Axes, axis: str = "x") -> plt.Axes:
    """Concise date ticks (``Jan``, ``Apr``, ``2025``…) that do not overlap."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return ax


def score_history(
    data: pd.DataFrame,
    *,
    x: str = "obs_date",
    y: str = "score",
    hue: str | None = "account_id",
    bands: dict | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Scores over time, with the bands shaded behind (``bands`` = lower edges by name) and
    concise date ticks.

    Examples
    --------
    >>> ax = score_history(history[history.account_id == "A00001"])  # doctest: +SKIP
    """
    ax = ax or plt.gca()
    bands = bands or {"red": 0, "yellow": 50, "green": 75}
    edges = [*bands.values(), 100]
    for (name, lo), hi in zip(bands.items(), edges[1:], strict=True):
        ax.axhspan(lo, hi, color=BAND_COLOURS.get(name, "grey"), alpha=0.08, linewidth=0)
    sns.lineplot(data=data, x=x, y=y, hue=hue, ax=ax)
    ax.set_ylim(0, 100)
    ax.set_xlabel("")
    return date_axis(ax)

"""Declarative health scorecards: measures → groups → one overall score.

A :class:`Measure` turns one signal column into points on 0–100 by a stated rule; a
:class:`Group` averages its measures by weight; the :class:`Scorecard` averages the groups
by weight and cuts the result into bands. Weights are any positive numbers; they are
normalised and reported as % of the overall score (:meth:`Scorecard.weights`). When a
measure has no data for an account, the missing-data policy decides what happens and
:meth:`Scorecard.coverage` says how often it did.

Scorecards are plain data, so they load from YAML (``yaml.safe_load``) as well::

    name: holistic
    missing: redistribute          # or neutral (missing = 50) or zero
    bands: {red: 0, yellow: 50, green: 75}
    groups:
      - name: product usage
        weight: 40
        measures:
          - {name: Active seats, column: active_share, red: 0.1, green: 0.5}
          - {name: Last active, column: days_since_active, red: 21, green: 3, scoring: rag}
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

SCORINGS = ("bounded", "linear", "rag", "percentile", "tiers")
POLICIES = ("redistribute", "neutral", "zero")


@dataclass(frozen=True)
class Measure:
    """One signal scored on 0–100.

    Parameters
    ----------
    name : str
        Label shown to CSMs.
    column : str
        Signal column in the measures frame (its window is part of the signal, e.g.
        ``key_actions_per_week`` averages the last 28 days).
    red, green : float
        The value that earns 0 points and the value that earns 100. ``red < green`` means
        higher is better; ``red > green`` lower is better (days since last login).
    scoring : {"bounded", "linear", "rag", "percentile", "tiers"}
        ``bounded``: straight line from red to green, held within 0–100.
        ``linear``: the same line not held, so an extreme value can outweigh the rest.
        ``rag``: its own red/amber/green thresholds, worth ``points`` (red, amber, green).
        ``percentile``: rank among the accounts scored on the same date.
        ``tiers``: ``points[i]`` for values in the i-th interval cut by ``edges``.
    weight : float
        Weight within its group.
    points : tuple of float
        For ``rag``: points of red, amber, green (Gainsight-like 0/50/100, Totango 0/60/100).
        For ``tiers``: one per interval.
    edges : tuple of float
        For ``tiers``: ascending cut points.

    Examples
    --------
    >>> m = Measure("Active seats", "active_share", red=0.1, green=0.5)
    >>> m.score(pd.Series([0.0, 0.3, 0.9])).tolist()
    [0.0, 50.0, 100.0]
    """

    name: str
    column: str
    red: float = 0.0
    green: float = 1.0
    scoring: str = "bounded"
    weight: float = 1.0
    points: tuple = (0.0, 50.0, 100.0)
    edges: tuple = ()

    def __post_init__(self):
        if self.scoring not in SCORINGS:
            raise ValueError(f"measure {self.name!r}: scoring must be one of {SCORINGS}")
        if self.red == self.green and self.scoring != "tiers":
            raise ValueError(f"measure {self.name!r}: red and green must differ")
        if self.weight < 0:
            raise ValueError(f"measure {self.name!r}: weight must be >= 0")
        if self.scoring == "tiers" and len(self.points) != len(self.edges) + 1:
            raise ValueError(f"measure {self.name!r}: tiers need one more point than edges")

    @property
    def higher_is_better(self) -> bool:
        if self.scoring == "tiers":
            return self.points[-1] > self.points[0]
        return self.green > self.red

    def score(self, values: pd.Series, dates: pd.Series | None = None) -> pd.Series:
        """Points for each value (NA stays NA)."""
        x = pd.to_numeric(values, errors="coerce").astype(float)
        v = x.to_numpy()
        missing = np.isnan(v)
        if self.scoring in ("bounded", "linear"):
            s = 100.0 * (v - self.red) / (self.green - self.red)
            return pd.Series(np.clip(s, 0, 100) if self.scoring == "bounded" else s, x.index)
        if self.scoring == "rag":
            good = v >= self.green if self.higher_is_better else v <= self.green
            bad = v <= self.red if self.higher_is_better else v >= self.red
            red_pts, amber_pts, green_pts = (float(p) for p in self.points)
            s = np.where(good, green_pts, np.where(bad, red_pts, amber_pts))
            return pd.Series(np.where(missing, np.nan, s), x.index)
        if self.scoring == "percentile":
            signed = x if self.higher_is_better else -x
            by = dates if dates is not None else pd.Series(0, index=x.index)
            return 100.0 * signed.groupby(by.to_numpy()).rank(pct=True)
        idx = np.searchsorted(np.asarray(self.edges, dtype=float), v, side="right")
        s = np.asarray(self.points, dtype=float)[idx]
        return pd.Series(np.where(missing, np.nan, s), x.index)

    def band(self, values: pd.Series) -> pd.Series:
        """Per-measure red / amber / green by this measure's own thresholds."""
        x = pd.to_numeric(values, errors="coerce")
        good = x >= self.green if self.higher_is_better else x <= self.green
        bad = x <= self.red if self.higher_is_better else x >= self.red
        out = pd.Series(np.where(good, "green", np.where(bad, "red", "amber")), index=x.index)
        return out.where(x.notna())


@dataclass(frozen=True)
class Group:
    """Measures averaged by weight into one group score (0–100)."""

    name: str
    weight: float
    measures: tuple[Measure, ...]


@dataclass
class Scorecard:
    """Groups of measures, weights, a missing-data policy and bands.

    Parameters
    ----------
    name : str
    groups : list of Group
    missing : {"redistribute", "neutral", "zero"}
        A measure without data gives its weight to the other measures of its group (and a
        group without any data to the other groups), or scores 50, or scores 0.
    bands : dict of str to float
        Lower edge of each band on the 0–100 scale, e.g. ``{"red": 0, "yellow": 50,
        "green": 75}``. The first band is the worst.

    Examples
    --------
    >>> sc = Scorecard("demo", [Group("usage", 1, (Measure("Seats", "active_share", red=0, green=1),)),
    ...                         Group("voice", 1, (Measure("NPS", "recommend_mean", red=0, green=10),))])
    >>> sc.score(pd.DataFrame({"active_share": [1.0, 0.5], "recommend_mean": [None, 5.0]}))["score"].tolist()
    [100.0, 50.0]
    """

    name: str
    groups: list[Group]
    missing: str = "redistribute"
    bands: dict = field(default_factory=lambda: {"red": 0.0, "yellow": 50.0, "green": 75.0})

    def __post_init__(self):
        if self.missing not in POLICIES:
            raise ValueError(f"scorecard {self.name!r}: missing must be one of {POLICIES}")
        if not self.groups or any(not g.measures for g in self.groups):
            raise ValueError(f"scorecard {self.name!r}: every group needs at least one measure")
        if sum(g.weight for g in self.groups) <= 0:
            raise ValueError(f"scorecard {self.name!r}: group weights must not all be 0")
        edges = list(self.bands.values())
        if edges != sorted(edges):
            raise ValueError(f"scorecard {self.name!r}: band edges must rise from worst to best")

    # ---- structure -----------------------------------------------------------------
    @property
    def measures(self) -> list[Measure]:
        return [m for g in self.groups for m in g.measures]

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(m.column for m in self.measures))

    def weights(self) -> pd.DataFrame:
        """Each measure's share of its group and of the overall score, in %."""
        total = sum(g.weight for g in self.groups)
        rows = []
        for g in self.groups:
            within = sum(m.weight for m in g.measures) or 1.0
            for m in g.measures:
                rows.append(
                    {
                        "group": g.name,
                        "measure": m.name,
                        "column": m.column,
                        "scoring": m.scoring,
                        "group_pct": 100.0 * g.weight / total,
                        "pct_of_group": 100.0 * m.weight / within,
                        "pct_of_score": 100.0 * g.weight / total * m.weight / within,
                    }
                )
        return pd.DataFrame(rows)

    def with_group_weights(self, weights: dict) -> Scorecard:
        """The same scorecard with some group weights replaced (e.g. from sliders)."""
        unknown = set(weights) - {g.name for g in self.groups}
        if unknown:
            raise KeyError(f"no group(s) {sorted(unknown)} in scorecard {self.name!r}")
        groups = [replace(g, weight=float(weights.get(g.name, g.weight))) for g in self.groups]
        return replace(self, groups=groups)

    # ---- scoring -------------------------------------------------------------------
    def measure_scores(self, X: pd.DataFrame) -> pd.DataFrame:
        """Points per measure (columns named after measures), NA where data is missing."""
        missing = [c for c in self.columns if c not in X]
        if missing:
            raise KeyError(f"scorecard {self.name!r} needs column(s) {missing} in the measures")
        dates = X.get("obs_date", None)
        return pd.DataFrame({m.name: m.score(X[m.column], dates) for m in self.measures})

    def _filled(self, X: pd.DataFrame, S: pd.DataFrame | None = None) -> pd.DataFrame:
        """Measure points after the missing-data policy (NA left only under redistribute)."""
        S = self.measure_scores(X) if S is None else S
        fill = {"neutral": 50.0, "zero": 0.0}.get(self.missing)
        return S if fill is None else S.fillna(fill)

    def _row_weights(self, S: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[slice]]:
        """Per row: each measure's weight within its group and each group's weight in the
        score, both renormalised over what has data (the redistribute rule; under the other
        policies everything has data). Rows without any data get NaN group weights."""
        have = S.notna().to_numpy(dtype=float)
        within = np.zeros_like(have)
        group_w = np.zeros((len(S), len(self.groups)))
        spans, col = [], 0
        for gi, g in enumerate(self.groups):
            span = slice(col, col + len(g.measures))
            w = np.array([m.weight for m in g.measures], dtype=float) * have[:, span]
            wsum = w.sum(axis=1, keepdims=True)
            within[:, span] = np.divide(w, wsum, out=np.zeros_like(w), where=wsum > 0)
            group_w[:, gi] = np.where(wsum[:, 0] > 0, g.weight, 0.0)
            spans.append(span)
            col = span.stop
        total = group_w.sum(axis=1, keepdims=True)
        group_w = np.divide(group_w, total, out=np.full_like(group_w, np.nan), where=total > 0)
        return within, group_w, spans

    def score(self, X: pd.DataFrame) -> pd.DataFrame:
        """Group scores, the overall ``score`` (0–100), its ``band`` and ``coverage``
        (share of the scorecard's weight that had data), aligned to ``X``."""
        raw = self.measure_scores(X)
        have = raw.notna().to_numpy(dtype=float)
        S = self._filled(X, raw)
        within, group_w, spans = self._row_weights(S)
        points = S.fillna(0.0).to_numpy() * within
        out = pd.DataFrame(index=X.index)
        for g, span in zip(self.groups, spans, strict=True):
            has_data = within[:, span].sum(axis=1) > 0
            out[g.name] = np.where(has_data, points[:, span].sum(axis=1), np.nan)
        G = out[[g.name for g in self.groups]].fillna(0.0).to_numpy()
        # rounded so that a score sitting on a band edge (common with RAG and tier points)
        # does not fall below it through floating-point noise
        out["score"] = np.clip((G * group_w).sum(axis=1), 0, 100).round(9)
        out["band"] = self.band(out["score"])
        eff = self.weights()["pct_of_score"].to_numpy() / 100.0
        out["coverage"] = have @ eff
        return out

    def band(self, score: pd.Series) -> pd.Series:
        names, edges = list(self.bands), list(self.bands.values())
        idx = np.searchsorted(np.asarray(edges[1:], dtype=float), score.to_numpy(), side="right")
        out = pd.Series(np.asarray(names, dtype=object)[idx], index=score.index)
        return pd.Categorical(out.where(score.notna()), categories=names, ordered=True)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Points each measure adds to the overall score, per row; rows sum to ``score``
        (before clipping): what to show a CSM next to the number."""
        S = self._filled(X)
        within, group_w, spans = self._row_weights(S)
        per_column = np.concatenate(
            [
                np.repeat(group_w[:, [gi]], span.stop - span.start, axis=1)
                for gi, span in enumerate(spans)
            ],
            axis=1,
        )
        return pd.DataFrame(
            S.fillna(0.0).to_numpy() * within * per_column, index=X.index, columns=S.columns
        )

    def coverage(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per measure: share of rows without data and the weight that had to be handled
        by the missing-data policy."""
        S = self.measure_scores(X)
        w = self.weights().set_index("measure")
        missing = S.isna().mean()
        return pd.DataFrame(
            {
                "group": w["group"],
                "pct_of_score": w["pct_of_score"],
                "missing_share": missing,
                "policy": self.missing,
            }
        )

    # ---- I/O -----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, spec: dict) -> Scorecard:
        groups = [
            Group(
                g["name"],
                float(g.get("weight", 1.0)),
                tuple(
                    Measure(**{k: tuple(v) if isinstance(v, list) else v for k, v in m.items()})
                    for m in g["measures"]
                ),
            )
            for g in spec["groups"]
        ]
        kwargs = {k: spec[k] for k in ("missing", "bands") if k in spec}
        return cls(spec.get("name", "scorecard"), groups, **kwargs)

    @classmethod
    def from_yaml(cls, path) -> Scorecard:
        return cls.from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")))

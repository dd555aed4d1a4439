"""Baseline age-specific hazards, fitted from history with right censoring.

Ages are in weeks since the unit shipped. A unit is at risk from age 0 until it fails (its first
confirmed failure of the component) or is censored (the end of the observation window or of its
warranty, whichever comes first). The data arrive grouped: ``exit_ages``/``exit_weights`` say how
many units left the risk set at which age (failed or censored), ``event_ages``/``event_weights``
which of those exits were failures.

The preferred baseline is a Weibull fitted by maximum likelihood (the censored likelihood is
``Σ log h(t_failure) − Σ H(t_exit)``); when it does not describe the data (a goodness-of-fit test on
age bins) or cannot be fitted, a non-parametric piecewise-constant hazard on age bins is used
instead, and with very few failures a constant hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

FloatArray = np.ndarray

MIN_AGE = 0.5 / 7  # half a day: a failure reported on the day it shipped still has a positive age
WEIBULL_MIN_EVENTS = 10  # fewer failures than this: a constant hazard
GOF_P_VALUE = 0.001  # below this the Weibull is rejected for the piecewise hazard
PIECEWISE_MIN_EVENTS = 40  # failures per age bin of the piecewise hazard (bins merge until they have it)
PIECEWISE_STEP = 2.0  # weeks: the finest age bin


@dataclass(frozen=True)
class Hazard:
    """A cumulative hazard ``H(age)``; the expected failures of one unit between two ages are their difference."""

    kind: str  # "weibull", "piecewise" or "constant"
    shape: float = 1.0  # Weibull β
    scale: float = 1.0  # Weibull η, weeks
    edges: tuple[float, ...] = ()  # piecewise: bin edges in weeks, the last bin open-ended
    rates: tuple[float, ...] = ()  # piecewise: hazard per week in each bin
    events: float = 0.0  # failures the fit saw
    exposure: float = 0.0  # unit-weeks the fit saw

    def cumulative(self, ages: FloatArray | float) -> FloatArray:
        t = np.maximum(np.asarray(ages, dtype=np.float64), 0.0)
        if self.kind == "weibull":
            return np.power(t / self.scale, self.shape)
        edges = np.asarray(self.edges, dtype=np.float64)
        rates = np.asarray(self.rates, dtype=np.float64)
        at_edges = np.concatenate(([0.0], np.cumsum(np.diff(edges) * rates[:-1])))
        index = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 1)
        return at_edges[index] + (t - edges[index]) * rates[index]

    def describe(self) -> str:
        if self.kind == "weibull":
            return f"Weibull shape {self.shape:.2f}, scale {self.scale:.0f} weeks"
        if self.kind == "constant":
            return f"constant {self.rates[0] * 52 * 100:.2f} % a year"
        return f"piecewise, {len(self.rates)} age bins"


def _as_arrays(*arrays) -> list[FloatArray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def weibull_fit(
    exit_ages: FloatArray, exit_weights: FloatArray, event_ages: FloatArray, event_weights: FloatArray
) -> Hazard | None:
    """The maximum-likelihood Weibull for right-censored grouped data; None when it cannot be fitted."""
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    events = float(event_weights.sum())
    exposure = float((exit_ages * exit_weights).sum())
    if events <= 0 or exposure <= 0:
        return None
    log_t = np.log(np.maximum(event_ages, MIN_AGE))
    exits = np.maximum(exit_ages, 0.0)
    sum_log_t = float((event_weights * log_t).sum())

    def nll(theta: FloatArray) -> float:
        log_shape, log_scale = theta
        shape = np.exp(log_shape)
        log_h = events * (log_shape - log_scale) + (shape - 1.0) * (sum_log_t - events * log_scale)
        cumulative = float((exit_weights * np.exp(shape * (np.log(np.maximum(exits, 1e-12)) - log_scale))).sum())
        return float(cumulative - log_h)

    start = np.array([0.0, np.log(exposure / events)])
    result = optimize.minimize(nll, start, method="L-BFGS-B", bounds=[(np.log(0.2), np.log(8.0)), (-5.0, 25.0)])
    if not np.all(np.isfinite(result.x)):
        return None
    return Hazard(
        "weibull",
        shape=float(np.exp(result.x[0])),
        scale=float(np.exp(result.x[1])),
        events=events,
        exposure=exposure,
    )


def _bin_exposure(edges: FloatArray, exit_ages: FloatArray, exit_weights: FloatArray) -> FloatArray:
    """Unit-weeks spent in each age bin (the last bin open-ended) by units leaving at ``exit_ages``."""
    upper = np.append(edges[1:], np.inf)
    inside = np.clip(exit_ages[:, None], edges[None, :], upper[None, :]) - edges[None, :]
    return (inside * exit_weights[:, None]).sum(axis=0)


def piecewise_fit(
    exit_ages: FloatArray,
    exit_weights: FloatArray,
    event_ages: FloatArray,
    event_weights: FloatArray,
    *,
    min_events: float = PIECEWISE_MIN_EVENTS,
    step: float = PIECEWISE_STEP,
) -> Hazard:
    """The non-parametric baseline: a constant hazard in each age bin (failures over unit-weeks).

    Bins start ``step`` weeks wide and merge with the next until each holds ``min_events`` failures;
    a bin that cannot (the oldest ages) joins the one before. Half a pseudo-failure per bin keeps an
    empty bin's hazard above zero.
    """
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    top = float(max(exit_ages.max(initial=0.0), event_ages.max(initial=0.0), step))
    fine = np.arange(0.0, top + step, step)
    counts = np.bincount(
        np.minimum((np.maximum(event_ages, 0.0) / step).astype(np.int64), len(fine) - 1),
        weights=event_weights,
        minlength=len(fine),
    )
    edges = [0.0]
    running = 0.0
    for step_index in range(len(fine)):
        running += counts[step_index]
        if running >= min_events and step_index + 1 < len(fine):
            edges.append(float(fine[step_index + 1]))
            running = 0.0
    if len(edges) > 1 and running < min_events:
        edges.pop()  # the oldest ages join the bin before
    edge_array = np.asarray(edges)
    exposure = _bin_exposure(edge_array, exit_ages, exit_weights)
    index = np.clip(np.searchsorted(edge_array, event_ages, side="right") - 1, 0, len(edges) - 1)
    events = np.bincount(index, weights=event_weights, minlength=len(edges))
    rates = (events + 0.5) / np.maximum(exposure, 1e-9)
    kind = "piecewise" if len(edges) > 1 else "constant"
    return Hazard(
        kind,
        edges=tuple(edges),
        rates=tuple(float(r) for r in rates),
        events=float(event_weights.sum()),
        exposure=float(exposure.sum()),
    )


def goodness_of_fit(
    hazard: Hazard, exit_ages: FloatArray, exit_weights: FloatArray, event_ages: FloatArray, event_weights: FloatArray
) -> float:
    """The p-value of a Pearson chi-square test of the hazard against failures by age bin (≥ 5 expected each)."""
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    grouping = piecewise_fit(exit_ages, exit_weights, event_ages, event_weights, min_events=10.0, step=4.0)
    edges = np.asarray(grouping.edges)
    upper = np.append(edges[1:], np.inf)
    reached = np.clip(exit_ages[:, None], edges[None, :], upper[None, :])
    expected = ((hazard.cumulative(reached) - hazard.cumulative(edges)[None, :]) * exit_weights[:, None]).sum(axis=0)
    index = np.clip(np.searchsorted(edges, event_ages, side="right") - 1, 0, len(edges) - 1)
    observed = np.bincount(index, weights=event_weights, minlength=len(edges))
    keep = expected >= 5.0
    if keep.sum() < 4:
        return 1.0
    chi2 = float((((observed - expected) ** 2) / np.maximum(expected, 1e-9))[keep].sum())
    return float(stats.chi2.sf(chi2, df=int(keep.sum()) - 2))


def baseline_fit(
    exit_ages: FloatArray, exit_weights: FloatArray, event_ages: FloatArray, event_weights: FloatArray
) -> Hazard:
    """The baseline hazard of one model × component: Weibull if it fits, else piecewise, else constant."""
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    events = float(event_weights.sum())
    if events >= WEIBULL_MIN_EVENTS:
        weibull = weibull_fit(exit_ages, exit_weights, event_ages, event_weights)
        if weibull is not None and goodness_of_fit(weibull, exit_ages, exit_weights, event_ages, event_weights) >= (
            GOF_P_VALUE
        ):
            return weibull
        return piecewise_fit(exit_ages, exit_weights, event_ages, event_weights)
    exposure = float((np.maximum(exit_ages, 0.0) * exit_weights).sum())
    return Hazard(
        "constant",
        edges=(0.0,),
        rates=((events + 0.5) / max(exposure, 1.0),),
        events=events,
        exposure=exposure,
    )

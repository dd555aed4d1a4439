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
from functools import cached_property

import numpy as np
from scipy import interpolate, optimize, stats

FloatArray = np.ndarray

MIN_AGE = 0.5 / 7  # half a day: a failure reported on the day it shipped still has a positive age
WEIBULL_MIN_EVENTS = 10  # fewer failures than this: a constant hazard
GOF_P_VALUE = 0.01  # below this the Weibull is rejected for the piecewise hazard
PIECEWISE_MIN_EVENTS = 20  # failures per age bin of the piecewise hazard (bins merge until they have it)
PIECEWISE_STEP = 2.0  # weeks: the finest age bin


@dataclass(frozen=True)
class Hazard:
    """A cumulative hazard ``H(age)``; the expected failures of one unit between two ages are their difference."""

    kind: str  # "weibull", "piecewise" or "constant"
    shape: float = 1.0  # Weibull β
    scale: float = 1.0  # Weibull η, weeks
    shift: float = 0.0  # Weibull: weeks after shipping before the Weibull starts (``rates[0]`` until then)
    edges: tuple[float, ...] = ()  # piecewise: bin edges in weeks, the last bin open-ended
    rates: tuple[float, ...] = ()  # piecewise: hazard per week in each bin
    events: float = 0.0  # failures the fit saw
    exposure: float = 0.0  # unit-weeks the fit saw

    def cumulative(self, ages: FloatArray | float) -> FloatArray:
        t = np.maximum(np.asarray(ages, dtype=np.float64), 0.0)
        if self.kind == "weibull":
            early = self.rates[0] * np.minimum(t, self.shift) if self.rates else 0.0
            return early + np.power(np.maximum(t - self.shift, 0.0) / self.scale, self.shape)
        if self.kind == "constant" or len(self.edges) < 2:
            return t * self.rates[0]
        # the piecewise-constant estimate gives H at the bin edges; between them a monotone cubic
        # (PCHIP) follows a hazard that rises or falls within a bin; past the last edge, the last rate
        knots, _values, last_rate = self._knots
        inside = np.minimum(t, knots[-1])
        return self._interpolator(inside) + (t - inside) * last_rate

    @cached_property
    def _knots(self) -> tuple[FloatArray, FloatArray, float]:
        edges = np.asarray(self.edges, dtype=np.float64)
        rates = np.asarray(self.rates, dtype=np.float64)
        width = edges[-1] - edges[-2]
        knots = np.append(edges, edges[-1] + width)
        values = np.concatenate(([0.0], np.cumsum(np.append(np.diff(edges), width) * rates)))
        return knots, values, float(rates[-1])

    @cached_property
    def _interpolator(self) -> interpolate.PchipInterpolator:
        knots, values, _ = self._knots
        return interpolate.PchipInterpolator(knots, values, extrapolate=False)

    def describe(self) -> str:
        if self.kind == "weibull":
            shift = f", from {self.shift:.0f} weeks" if self.shift else ""
            return f"Weibull shape {self.shape:.2f}, scale {self.scale:.0f} weeks{shift}"
        if self.kind == "constant":
            return f"constant {self.rates[0] * 52 * 100:.2f} % a year"
        return f"piecewise, {len(self.rates)} age bins"


def _as_arrays(*arrays) -> list[FloatArray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _grouped(ages: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The same ages summed together (ages come in whole days, so there are few distinct ones)."""
    unique, index = np.unique(np.round(ages * 7.0) / 7.0, return_inverse=True)
    return unique, np.bincount(index.ravel(), weights=weights, minlength=len(unique))


WEIBULL_SHIFTS = (0.0, 2.0, 4.0, 6.0, 8.0)  # weeks: delays before the first reports that the fit considers


def weibull_fit(
    exit_ages: FloatArray,
    exit_weights: FloatArray,
    event_ages: FloatArray,
    event_weights: FloatArray,
    *,
    shifts: tuple[float, ...] = (0.0,),
) -> Hazard | None:
    """The maximum-likelihood Weibull for right-censored grouped data; None when it cannot be fitted.

    With several ``shifts`` the Weibull may start late (units ship, go into service and fail before a
    failure is reported): the shift with the highest likelihood is kept.
    """
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    events = float(event_weights.sum())
    exposure = float((exit_ages * exit_weights).sum())
    if events <= 0 or exposure <= 0:
        return None
    exit_ages, exit_weights = _grouped(exit_ages, exit_weights)
    event_ages, event_weights = _grouped(event_ages, event_weights)
    best: tuple[float, Hazard] | None = None
    for shift in shifts:
        fitted = _weibull_profile(exit_ages, exit_weights, event_ages, event_weights, events, shift)
        if fitted is not None and (best is None or fitted[0] > best[0]):
            best = fitted
    if best is None:
        return None
    chosen = best[1]
    return Hazard(
        "weibull",
        shape=chosen.shape,
        scale=chosen.scale,
        shift=chosen.shift,
        rates=chosen.rates,
        events=events,
        exposure=exposure,
    )


def _weibull_profile(
    exit_ages: FloatArray,
    exit_weights: FloatArray,
    event_ages: FloatArray,
    event_weights: FloatArray,
    events: float,
    shift: float,
) -> tuple[float, Hazard] | None:
    """(log-likelihood, hazard) of the best Weibull starting ``shift`` weeks after shipping.

    Before the shift the hazard is a constant (the few failures reported that early over the
    unit-weeks spent there, with half a pseudo-failure), so early reports are expected, just rarely.
    """
    early_exposure = float((np.minimum(np.maximum(exit_ages, 0.0), shift) * exit_weights).sum())
    late = event_ages > shift
    early_events = float(event_weights[~late].sum())
    early_rate = (early_events + 0.5) / early_exposure if shift > 0 and early_exposure > 0 else 0.0
    log_early = early_events * np.log(early_rate) - early_rate * early_exposure if early_rate > 0 else 0.0
    late_events = float(event_weights[late].sum())
    if late_events <= 0:
        return None
    sum_log_t = float((event_weights[late] * np.log(np.maximum(event_ages[late] - shift, MIN_AGE))).sum())
    shifted = exit_ages - shift
    positive = shifted > 0
    log_exits, weights = np.log(shifted[positive]), exit_weights[positive]

    # For a given shape β the likelihood is highest at η^β = Σ w t^β / D (D failures); what is left is
    # the profile log-likelihood D log β − D log(Σ w t^β / D) + (β − 1) Σ log t − D, maximised over β.
    def sum_powers(log_shape: float) -> float:
        return float((weights * np.exp(np.exp(log_shape) * log_exits)).sum())

    def negative_profile(log_shape: float) -> float:
        total = sum_powers(log_shape)
        if total <= 0 or not np.isfinite(total):
            return np.inf
        shape = np.exp(log_shape)
        d = late_events
        return -(d * log_shape - d * np.log(total / d) + (shape - 1.0) * sum_log_t - d)

    result = optimize.minimize_scalar(negative_profile, bounds=(np.log(0.2), np.log(8.0)), method="bounded")
    shape = float(np.exp(result.x))
    total = sum_powers(float(result.x))
    if not np.isfinite(result.fun) or total <= 0:
        return None
    scale = float((total / late_events) ** (1.0 / shape))
    if not np.isfinite(scale) or scale <= 0:
        return None
    hazard = Hazard("weibull", shape=shape, scale=scale, shift=shift, rates=(early_rate,))
    return log_early - float(result.fun), hazard


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
    """The p-value of a Poisson deviance test of the hazard against failures by age bin.

    The bins are 4 weeks wide at the young ages where new lots are judged (up to 40 weeks), wider after
    (at least 10 failures each); bins where the hazard expects under 2 failures are left out.
    """
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    grouping = piecewise_fit(exit_ages, exit_weights, event_ages, event_weights, min_events=10.0, step=4.0)
    edges = np.union1d(np.arange(0.0, 40.0, 4.0), [e for e in grouping.edges if e >= 40.0])
    upper = np.append(edges[1:], np.inf)
    reached = np.clip(exit_ages[:, None], edges[None, :], upper[None, :])
    expected = ((hazard.cumulative(reached) - hazard.cumulative(edges)[None, :]) * exit_weights[:, None]).sum(axis=0)
    index = np.clip(np.searchsorted(edges, event_ages, side="right") - 1, 0, len(edges) - 1)
    observed = np.bincount(index, weights=event_weights, minlength=len(edges))
    keep = expected >= 2.0
    if keep.sum() < 5:
        return 1.0
    o, e = observed[keep], expected[keep]
    deviance = 2.0 * float((np.where(o > 0, o * np.log(np.maximum(o, 1e-12) / e), 0.0) - (o - e)).sum())
    return float(stats.chi2.sf(deviance, df=int(keep.sum()) - 3))


def baseline_fit(
    exit_ages: FloatArray, exit_weights: FloatArray, event_ages: FloatArray, event_weights: FloatArray
) -> Hazard:
    """The baseline hazard of one model × component: Weibull if it fits, else piecewise, else constant."""
    exit_ages, exit_weights, event_ages, event_weights = _as_arrays(exit_ages, exit_weights, event_ages, event_weights)
    events = float(event_weights.sum())
    if events >= WEIBULL_MIN_EVENTS:
        weibull = weibull_fit(exit_ages, exit_weights, event_ages, event_weights, shifts=WEIBULL_SHIFTS)
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

"""Life-data statistics, pure: a Weibull fit with right censoring and the Kaplan–Meier estimate.

The data come grouped, as the reports' aggregate queries return them: ``(age, count)`` pairs of
failures and of units still running (right-censored at their current age). Ages are in days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import gamma

# A unit that failed on the day it entered service has an age of zero; the fit needs a positive one.
MIN_AGE = 0.5


@dataclass(frozen=True)
class WeibullFit:
    beta: float  # shape: < 1 infant mortality, 1 random, > 1 wear-out
    eta: float  # scale (characteristic life): 63.2 % have failed by this age
    failures: int
    censored: int

    def unreliability(self, age: float) -> float:
        """The fraction expected to have failed by ``age``."""
        return 1.0 - math.exp(-((max(age, 0.0) / self.eta) ** self.beta))

    def life_at(self, fraction: float) -> float:
        """The age by which ``fraction`` of the units have failed (B10 is ``life_at(0.10)``)."""
        return self.eta * (-math.log(1.0 - fraction)) ** (1.0 / self.beta)

    @property
    def b10(self) -> float:
        return self.life_at(0.10)

    @property
    def mean_life(self) -> float:
        return self.eta * float(gamma(1.0 + 1.0 / self.beta))


def _clean(groups: Iterable[tuple[float, int]]) -> list[tuple[float, int]]:
    return [(max(float(age), MIN_AGE), int(count)) for age, count in groups if count > 0]


def weibull_fit(failures: Iterable[tuple[float, int]], censored: Iterable[tuple[float, int]] = ()) -> WeibullFit | None:
    """The maximum-likelihood Weibull fit of failure ages with right-censored survivors.

    Solves the profile likelihood equation for the shape β,

        Σ tᵢ^β ln tᵢ / Σ tᵢ^β − 1/β − (1/r) Σ_failures ln tᵢ = 0   (sums over every unit, weighted),

    then η = (Σ tᵢ^β / r)^(1/β). None when there is nothing to fit: no failure, or failures all at
    one age with no survivor beyond it (the likelihood has no maximum).
    """
    failed = _clean(failures)
    survivors = _clean(censored)
    r = sum(count for _, count in failed)
    if r == 0:
        return None
    everyone = failed + survivors
    scale = max(age for age, _ in everyone)
    ages = np.array([age / scale for age, _ in everyone])  # ≤ 1: no overflow for large β
    counts = np.array([count for _, count in everyone], dtype=float)
    log_ages = np.log(ages)
    mean_log_failure = sum(count * math.log(age / scale) for age, count in failed) / r

    def score(beta: float) -> float:
        weights = counts * ages**beta
        return float(np.dot(weights, log_ages) / weights.sum()) - 1.0 / beta - mean_log_failure

    low, high = 0.02, 0.5
    while score(high) < 0:
        high *= 2
        if high > 500:
            return None
    while score(low) > 0:
        low /= 2
        if low < 1e-6:
            return None
    beta = float(brentq(score, low, high, xtol=1e-12, rtol=1e-12, maxiter=500))
    eta = scale * float(np.dot(counts, ages**beta) / r) ** (1.0 / beta)
    return WeibullFit(beta=beta, eta=eta, failures=r, censored=sum(count for _, count in survivors))


@dataclass(frozen=True)
class KaplanMeierPoint:
    age: float
    at_risk: int
    failed: int
    unreliability: float  # 1 − S(age), the estimated fraction failed by this age


def kaplan_meier(
    failures: Iterable[tuple[float, int]], censored: Iterable[tuple[float, int]] = ()
) -> list[KaplanMeierPoint]:
    """The product-limit estimate at each failure age; survivors censored at an age are still at risk there."""
    failed: dict[float, int] = {}
    for age, count in failures:
        if count > 0:
            failed[float(age)] = failed.get(float(age), 0) + int(count)
    dropped: dict[float, int] = {}
    for age, count in censored:
        if count > 0:
            dropped[float(age)] = dropped.get(float(age), 0) + int(count)
    at_risk = sum(failed.values()) + sum(dropped.values())
    survival = 1.0
    points = []
    for age in sorted(set(failed) | set(dropped)):
        deaths = failed.get(age, 0)
        if deaths:
            survival *= 1.0 - deaths / at_risk
            points.append(KaplanMeierPoint(age=age, at_risk=at_risk, failed=deaths, unreliability=1.0 - survival))
        at_risk -= deaths + dropped.get(age, 0)
    return points

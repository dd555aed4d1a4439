"""Life-data statistics, pure: a Weibull fit with right censoring and its confidence bounds, the
Kaplan–Meier estimate with Greenwood bands, and exact Poisson intervals on counts.

The data come grouped, as the reports' aggregate queries return them: ``(age, count)`` pairs of
failures and of units still running (right-censored at their current age). Ages are in days.

Reports state their uncertainty (SPEC §8) at ``LEVEL`` (90 %): two-sided intervals with 5 % on each side;
Weibull bounds by likelihood ratio (their coverage is measured in benchmarks/reliability_bounds.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import gamma
from scipy.stats import chi2, norm

# A unit that failed on the day it entered service has an age of zero; the fit needs a positive one.
MIN_AGE = 0.5
LEVEL = 0.90  # the confidence of every interval the reports show
B10_FRACTION = 0.10


def poisson_interval(count: int, *, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Garwood) interval on a Poisson mean after observing ``count`` events.

    ``[χ²(α/2; 2k)/2, χ²(1 − α/2; 2k + 2)/2]``, the low end 0 when nothing was observed.
    """
    tail = (1.0 - level) / 2.0
    low = 0.0 if count <= 0 else float(chi2.ppf(tail, 2 * count)) / 2.0
    high = float(chi2.ppf(1.0 - tail, 2 * count + 2)) / 2.0
    return low, high


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float


@dataclass(frozen=True)
class _Sample:
    """A fit's data, ages divided by the largest (the likelihood ratio does not depend on the unit)."""

    ages: np.ndarray
    counts: np.ndarray
    failed: np.ndarray  # boolean mask of the failure rows
    scale: float

    def log_likelihood(self, beta: float, eta: float) -> float:
        """ℓ(β, η) with η in the scaled unit: Σ_failures (ln β − β ln η + (β − 1) ln t) − Σ_all (t/η)^β."""
        c_f, t_f = self.counts[self.failed], self.ages[self.failed]
        return float(
            np.dot(c_f, math.log(beta) - beta * math.log(eta) + (beta - 1.0) * np.log(t_f))
            - np.dot(self.counts, (self.ages / eta) ** beta)
        )

    def eta_given(self, beta: float) -> float:
        return float(np.dot(self.counts, self.ages**beta) / self.counts[self.failed].sum()) ** (1.0 / beta)


@dataclass(frozen=True)
class WeibullFit:
    """A maximum-likelihood Weibull fit, with likelihood-ratio bounds on β, η and the B-lives.

    The bounds are where the profile log-likelihood falls χ²₁(level)/2 below its maximum (Meeker &
    Escobar, ch. 8): they keep their coverage on small samples better than the Fisher-matrix bounds,
    whose covariance of (ln β, ln η) is kept as well (``covariance``).
    """

    beta: float  # shape: < 1 infant mortality, 1 random, > 1 wear-out
    eta: float  # scale (characteristic life): 63.2 % have failed by this age
    failures: int
    censored: int
    # covariance of (ln β, ln η) from the observed information (Fisher matrix); None when it is singular
    covariance: tuple[tuple[float, float], tuple[float, float]] | None = None
    sample: _Sample | None = field(default=None, repr=False, compare=False)

    def _profile_bounds(self, estimate: float, profile, level: float) -> Bounds | None:
        """Where ``profile`` (of a positive quantity) drops χ²₁(level)/2 below the maximum, either side."""
        if self.sample is None:
            return None
        top = self.sample.log_likelihood(self.beta, self.eta / self.sample.scale)
        drop = float(chi2.ppf(level, 1)) / 2.0

        def gap(log_value: float) -> float:
            return profile(math.exp(log_value)) - (top - drop)

        ends = []
        for direction in (-1.0, 1.0):
            step, centre = 0.05, math.log(estimate)
            while gap(centre + direction * step) > 0:
                step *= 2.0
                if step > 20:
                    return None
            ends.append(math.exp(brentq(gap, centre, centre + direction * step, xtol=1e-9)))
        return Bounds(ends[0], ends[1])

    def _best_over_beta(self, eta_of) -> float:
        """max over β of ℓ(β, eta_of(β)): the profile for a quantity fixed through ``eta_of``."""
        assert self.sample is not None
        sample = self.sample
        centre = math.log(self.beta)
        found = minimize_scalar(
            lambda b: -sample.log_likelihood(math.exp(b), eta_of(math.exp(b))),
            bounds=(centre - 5.0, centre + 5.0),
            method="bounded",
            options={"xatol": 1e-8},
        )
        return -float(found.fun)

    def beta_bounds(self, level: float = LEVEL) -> Bounds | None:
        sample = self.sample
        if sample is None:
            return None
        return self._profile_bounds(self.beta, lambda beta: sample.log_likelihood(beta, sample.eta_given(beta)), level)

    def eta_bounds(self, level: float = LEVEL) -> Bounds | None:
        sample = self.sample
        if sample is None:
            return None
        bounds = self._profile_bounds(
            self.eta / sample.scale, lambda eta: self._best_over_beta(lambda _beta: eta), level
        )
        return None if bounds is None else Bounds(bounds.low * sample.scale, bounds.high * sample.scale)

    def life_bounds(self, fraction: float = B10_FRACTION, level: float = LEVEL) -> Bounds | None:
        """Bounds on the age by which ``fraction`` have failed (B10 for 0.10): η = B / (−ln(1 − p))^(1/β)."""
        sample = self.sample
        if sample is None:
            return None
        k = -math.log(1.0 - fraction)
        bounds = self._profile_bounds(
            self.life_at(fraction) / sample.scale,
            lambda life: self._best_over_beta(lambda beta: life / k ** (1.0 / beta)),
            level,
        )
        return None if bounds is None else Bounds(bounds.low * sample.scale, bounds.high * sample.scale)

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
    n_failed = len(failed)
    covariance = _covariance(beta, eta / scale, ages, counts, failed_rows=n_failed)
    failed_mask = np.zeros(len(ages), dtype=bool)
    failed_mask[:n_failed] = True
    return WeibullFit(
        beta=beta,
        eta=eta,
        failures=r,
        censored=sum(count for _, count in survivors),
        covariance=covariance,
        sample=_Sample(ages=ages, counts=counts, failed=failed_mask, scale=scale),
    )


def _covariance(
    beta: float, eta: float, ages: np.ndarray, counts: np.ndarray, *, failed_rows: int
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The inverse observed information of (ln β, ln η) at the maximum (ages and η on the same scale).

    With u = ln t − ln η and z = (t/η)^β, each failure adds ``ln β − ln η + (β − 1)u − z`` to the
    log-likelihood and each survivor ``−z``; the second derivatives in (b = ln β, a = ln η) are
    ∂²/∂b² = Σ_failures βu − Σ_all zβu(1 + βu), ∂²/∂a² = −Σ_all zβ², ∂²/∂a∂b = −Σ_failures β + Σ_all zβ(1 + βu).
    """
    u = np.log(ages) - math.log(eta)
    z = np.exp(beta * u)
    is_failure = np.zeros(len(ages), dtype=bool)
    is_failure[:failed_rows] = True
    w = counts
    h_bb = float(np.dot(w[is_failure], beta * u[is_failure]) - np.dot(w, z * beta * u * (1 + beta * u)))
    h_aa = float(-np.dot(w, z * beta**2))
    h_ab = float(-w[is_failure].sum() * beta + np.dot(w, z * beta * (1 + beta * u)))
    information = -np.array([[h_bb, h_ab], [h_ab, h_aa]])
    if not np.all(np.isfinite(information)) or np.linalg.det(information) <= 0:
        return None
    inverse = np.linalg.inv(information)
    return ((float(inverse[0, 0]), float(inverse[0, 1])), (float(inverse[1, 0]), float(inverse[1, 1])))


@dataclass(frozen=True)
class KaplanMeierPoint:
    age: float
    at_risk: int
    failed: int
    unreliability: float  # 1 − S(age), the estimated fraction failed by this age
    low: float = 0.0  # Greenwood band on the unreliability (``LEVEL``), on the log(−log S) scale
    high: float = 0.0


def kaplan_meier(
    failures: Iterable[tuple[float, int]], censored: Iterable[tuple[float, int]] = (), *, level: float = LEVEL
) -> list[KaplanMeierPoint]:
    """The product-limit estimate at each failure age; survivors censored at an age are still at risk there.

    Each point carries its Greenwood band: Var(ln S) ≈ Σ d/(n(n − d)), mapped through log(−log S) so the
    band stays within [0, 1] (Kalbfleisch & Prentice); where every unit at risk failed the band is [est, 1].
    """
    z = float(norm.ppf(0.5 + level / 2.0))
    greenwood = 0.0
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
            greenwood += deaths / (at_risk * (at_risk - deaths)) if at_risk > deaths else math.inf
            low, high = _band(survival, greenwood, z)
            points.append(
                KaplanMeierPoint(
                    age=age, at_risk=at_risk, failed=deaths, unreliability=1.0 - survival, low=low, high=high
                )
            )
        at_risk -= deaths + dropped.get(age, 0)
    return points


def _band(survival: float, greenwood: float, z: float) -> tuple[float, float]:
    """The band on 1 − S from the log(−log S) transform of the Greenwood variance."""
    if survival <= 0.0 or not math.isfinite(greenwood):
        return 1.0 - max(survival, 0.0), 1.0
    if survival >= 1.0:
        return 0.0, 0.0
    log_log = math.log(-math.log(survival))
    spread = z * math.sqrt(greenwood) / abs(math.log(survival))
    upper_survival = math.exp(-math.exp(log_log - spread))
    lower_survival = math.exp(-math.exp(log_log + spread))
    return 1.0 - upper_survival, 1.0 - lower_survival

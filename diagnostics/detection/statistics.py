"""Sequential tests of observed against expected confirmed failures, and their alarm thresholds.

Under the baseline, a cell's confirmed failures form a Poisson process whose mean is the expected
count ``E`` (the cumulative hazard of its units in service). A fault multiplies the hazard by some
unknown ratio ``k > 1``. The likelihood ratio of ``k`` against 1 after ``O`` failures is
``k^O · e^{-(k-1)E}``; averaged over a prior on ``k`` (a few ratios from 1.5 to 8) it is a
non-negative martingale under the baseline, which bounds the false alarms without simulation:

* a cell whose fault, if any, is there from its start (a lot, a firmware version: its units are
  built or shipped that way) is tested with the mixture ratio accumulated since the start; by
  Ville's inequality it ever reaches ``1/α`` with probability at most ``α``;
* a model × component cell, watched for years and liable to change at any week (a supplier change),
  is tested with the Shiryaev–Roberts statistic ``R_t = Σ_{s ≤ t} M(s, t)`` over weekly steps;
  ``R_t − t`` is a martingale, so an alarm threshold ``A`` gives at most ``t/A`` false alarms in ``t``
  weeks (Pollak 1985; Lawless, Crowder & Lee 2012 use the Poisson CUSUM of the same ratios).

The thresholds spread the engineers' false-alarm budget (alarms per year over all cells) over the
cells: see ``thresholds``. Ville's bound is loose for the small counts of a lot, so a lot's or a
firmware version's threshold is then lowered to the one its baseline crosses with probability α
over the failures it is expected to have in its whole warranty, found by simulation
(``cohort_thresholds``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp
from scipy.stats import nbinom

FloatArray = np.ndarray

# The alternatives the tests average over: rate ratios, equally weighted.
RATIOS = np.array([1.5, 2.0, 3.0, 5.0, 8.0])
LOG_WEIGHTS = np.log(np.full(len(RATIOS), 1.0 / len(RATIOS)))

WEEKS_PER_YEAR = 365.25 / 7


def mixture_log_lr(observed: FloatArray | float, expected: FloatArray | float) -> FloatArray:
    """log of the prior-averaged likelihood ratio ``Σ w_k k^O e^{-(k-1)E}``, elementwise."""
    o = np.asarray(observed, dtype=np.float64)[..., None]
    e = np.asarray(expected, dtype=np.float64)[..., None]
    terms = LOG_WEIGHTS + o * np.log(RATIOS) - (RATIOS - 1.0) * e
    return logsumexp(terms, axis=-1)


def shiryaev_roberts_log(observed: FloatArray, expected: FloatArray) -> FloatArray:
    """log R_t of the mixture Shiryaev–Roberts statistic for each row (cell) over weekly columns.

    ``R_t = Σ_k w_k R_{k,t}`` with ``R_{k,t} = (1 + R_{k,t-1}) · k^{O_t} e^{-(k-1)E_t}``, ``R_{k,0} = 0``.
    Returns the whole path, shape ``(cells, weeks)``.
    """
    observed = np.atleast_2d(np.asarray(observed, dtype=np.float64))
    expected = np.atleast_2d(np.asarray(expected, dtype=np.float64))
    cells, weeks = observed.shape
    log_ratio = np.log(RATIOS)[None, :]
    log_r = np.full((cells, len(RATIOS)), -np.inf)
    path = np.empty((cells, weeks))
    for week in range(weeks):
        step = observed[:, week, None] * log_ratio - (RATIOS[None, :] - 1.0) * expected[:, week, None]
        log_r = np.logaddexp(0.0, log_r) + step
        path[:, week] = logsumexp(log_r + LOG_WEIGHTS[None, :], axis=1)
    return path


def change_window(observed: FloatArray, expected: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Per row, the trailing window (weeks back from the last) where the failures most exceed expectation.

    Returns the observed and expected counts over that window and its length in weeks: the window
    that maximises the Poisson likelihood-ratio statistic ``O log(O/E) − (O − E)`` (O > E).
    """
    observed = np.atleast_2d(np.asarray(observed, dtype=np.float64))
    expected = np.atleast_2d(np.asarray(expected, dtype=np.float64))
    o = np.cumsum(observed[:, ::-1], axis=1)
    e = np.maximum(np.cumsum(expected[:, ::-1], axis=1), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        glr = np.where(o > e, o * np.log(np.maximum(o, 1e-12) / e) - (o - e), 0.0)
    best = np.argmax(glr, axis=1)
    rows = np.arange(o.shape[0])
    none = glr[rows, best] <= 0  # no excess anywhere: the whole history
    best = np.where(none, o.shape[1] - 1, best)
    return o[rows, best], e[rows, best], best + 1


@dataclass(frozen=True)
class Thresholds:
    """Alarm thresholds on the log scale, and the false-alarm budget behind them."""

    lot: float  # lot cells: Ville's log(1/α), the most any lot cell's threshold can be (``cohort_thresholds``)
    firmware: float  # firmware cells: the same with their own α
    model: float  # model × component cells: log A for the Shiryaev–Roberts statistic
    alpha_lot: float
    alpha_firmware: float
    model_arl_weeks: float


# How the yearly budget is shared between the kinds of cells.
BUDGET_SHARES = {"lot": 0.7, "firmware": 0.1, "model": 0.2}


def thresholds(
    *,
    budget_per_year: float,
    lot_cells_per_year: float,
    firmware_cells_per_year: float,
    model_cells: int,
) -> Thresholds:
    """Thresholds that keep the expected false alarms over all cells within ``budget_per_year``.

    Lot and firmware cells are born at some rate (cells a year: new lots and releases times their
    components); each may falsely alarm once in its life with probability ``α``, so ``α`` is its share
    of the budget over that rate. Model cells live on; each may falsely alarm at most once per ``A``
    weeks, so ``A`` is their number times the weeks in a year over their share.
    """
    if budget_per_year <= 0:
        raise ValueError("The false-alarm budget must be positive.")
    alpha_lot = min(0.5, BUDGET_SHARES["lot"] * budget_per_year / max(lot_cells_per_year, 1.0))
    alpha_firmware = min(0.5, BUDGET_SHARES["firmware"] * budget_per_year / max(firmware_cells_per_year, 1.0))
    arl = max(model_cells, 1) * WEEKS_PER_YEAR / (BUDGET_SHARES["model"] * budget_per_year)
    return Thresholds(
        lot=float(-np.log(alpha_lot)),
        firmware=float(-np.log(alpha_firmware)),
        model=float(np.log(arl)),
        alpha_lot=alpha_lot,
        alpha_firmware=alpha_firmware,
        model_arl_weeks=arl,
    )


# Cohort thresholds calibrated by simulation --------------------------------------------------------------------
#
# Ville's bound is loose for a Poisson count: the mixture ratio jumps past the threshold, and a cell whose
# units will only ever be expected to fail a few times rarely gets near it. ``cohort_crossing_maxima``
# simulates the baseline (a Poisson process in "expected-failures time") up to a cell's lifetime
# expected count and records the highest statistic each path reached; the table below holds the
# thresholds that such paths exceed with probability α. ``cohort_threshold`` interpolates it, never
# above Ville's ``log(1/α)``. Regenerate with ``cohort_threshold_table()`` if RATIOS or the minimum count
# change.

COHORT_MIN_OBSERVED = 3
COHORT_FLOOR = 1.0


def cohort_crossing_maxima(
    expected_life: float, *, paths: int, rng: np.random.Generator, min_observed: int = COHORT_MIN_OBSERVED
) -> FloatArray:
    """The highest mixture statistic each simulated baseline path reaches before ``expected_life``."""
    columns = int(expected_life + 8 * np.sqrt(expected_life) + 10)
    times = np.cumsum(rng.exponential(1.0, size=(paths, columns)), axis=1)
    highest = np.full(paths, -np.inf)
    for count in range(min_observed, columns + 1):
        at = times[:, count - 1]
        alive = at <= expected_life
        if not alive.any():
            break
        # the statistic is highest just as a failure arrives, so checking at arrivals suffices
        highest[alive] = np.maximum(highest[alive], mixture_log_lr(np.full(alive.sum(), count), at[alive]))
    return highest


COHORT_EXPECTED = (0.3, 0.6, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 35.0, 60.0, 100.0)
COHORT_ALPHAS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)


def cohort_threshold_table(*, paths: int = 200_000, seed: int = 0, chunk: int = 100_000) -> list[list[float]]:
    """Thresholds [expected][alpha] exceeded with probability alpha by paths of the baseline."""
    rng = np.random.default_rng(seed)
    table = []
    for expected in COHORT_EXPECTED:
        highest = np.concatenate(
            [
                cohort_crossing_maxima(expected, paths=min(chunk, paths - done), rng=rng)
                for done in range(0, paths, chunk)
            ]
        )
        table.append([max(float(np.quantile(highest, 1.0 - alpha, method="higher")), 0.0) for alpha in COHORT_ALPHAS])
    return table


# cohort_threshold_table(paths=200_000, seed=0): rows COHORT_EXPECTED, columns COHORT_ALPHAS; 0 where fewer than
# a share α of the paths ever see the minimum count. ``cohort_thresholds`` makes it rise with the expected count.
COHORT_THRESHOLDS = (
    (5.474, 4.767, 3.865, 3.291, 0.000, 0.000, 0.000),
    (6.080, 5.402, 4.401, 3.728, 2.655, 0.000, 0.000),
    (6.928, 5.997, 5.082, 4.092, 3.074, 2.018, 0.000),
    (7.597, 6.471, 5.437, 4.378, 3.312, 2.276, 0.993),
    (7.895, 6.776, 5.618, 4.597, 3.483, 2.455, 1.189),
    (7.638, 6.719, 5.643, 4.698, 3.627, 2.586, 1.323),
    (7.989, 7.016, 5.917, 4.839, 3.783, 2.761, 1.464),
    (7.997, 7.286, 6.043, 4.970, 3.841, 2.821, 1.548),
    (8.461, 7.200, 6.131, 5.102, 3.978, 2.914, 1.634),
    (8.445, 7.525, 6.392, 5.268, 4.075, 3.000, 1.706),
    (8.501, 7.559, 6.476, 5.340, 4.144, 3.100, 1.774),
    (8.715, 7.694, 6.533, 5.407, 4.240, 3.145, 1.801),
)  # fmt: skip


def cohort_thresholds(alpha: float, expected_life: FloatArray | float) -> FloatArray:
    """The thresholds that cohort cells (lots, firmware versions) with ``expected_life`` failures expected
    over their watch exceed with probability ``alpha`` under their baseline; never above Ville's ``log(1/α)``."""
    ville = float(-np.log(alpha))
    clipped = float(np.clip(alpha, COHORT_ALPHAS[0], COHORT_ALPHAS[-1]))
    table = np.maximum.accumulate(np.asarray(COHORT_THRESHOLDS), axis=0)  # longer watches cross more often
    by_alpha = np.array([np.interp(np.log(clipped), np.log(COHORT_ALPHAS), row) for row in table])
    by_alpha += np.log(clipped / alpha)  # outside the table's alphas: shifted as Ville's bound shifts
    grid = np.log(COHORT_EXPECTED)
    log_e = np.log(np.maximum(np.asarray(expected_life, dtype=np.float64), COHORT_EXPECTED[0]))
    value = np.interp(log_e, grid, by_alpha)
    # past the table, towards Ville's bound (which large cells approach), reached at ten times its end
    share = np.clip((log_e - grid[-1]) / np.log(10.0), 0.0, 1.0)
    value = value + share * (ville - by_alpha[-1])
    # where almost nothing is expected any few failures would do (the table says 0); the statistic of
    # the minimum count is far above 1 there, and a cell with fewer failures, whose statistic is 0, stays quiet
    return np.clip(value, COHORT_FLOOR, ville)


# The projected excess's interval: 80 % (SPEC §7), calibrated on simulated fleets (benchmarks/README.md).
PROJECTION_LEVEL = 0.80
# A Gamma(1, 1) prior on the rate ratio (mean 1, worth one expected failure) on top of Jeffreys' ½: a cell
# is raised when its count happens to run high, so its raw ratio overstates the fault at first detection.
PRIOR_SHAPE, PRIOR_RATE = 1.0, 1.0


@dataclass(frozen=True)
class Projection:
    """Excess failures still to come over a cell's remaining warranty, with its interval."""

    excess: float
    low: float
    high: float


def projected_excess(
    observed: float, expected: float, remaining: float, *, level: float = PROJECTION_LEVEL
) -> Projection:
    """How many failures beyond the baseline a cell's units will have before their warranties end.

    The cell's rate ratio ``k`` is estimated from its ``observed`` against ``expected`` failures,
    shrunk towards 1 (posterior Gamma(O + ½ + a, E + b) with ``PRIOR_SHAPE`` a and ``PRIOR_RATE`` b:
    an alarm is raised when the count runs high, so the raw ratio overstates the fault); its units
    are then expected to have ``k·R`` failures of the ``remaining`` ``R`` the baseline expects, so the
    excess to come is ``(k̂ − 1)·R`` with k̂ the posterior mean. The interval is that of the
    predictive count (negative binomial: the Poisson count of the remaining exposure mixed over the
    uncertain ratio) less ``R``, so it holds both the ratio's uncertainty and the chance in the
    failures themselves.
    """
    if remaining <= 0 or expected <= 0:
        return Projection(0.0, 0.0, 0.0)
    shape, rate = observed + 0.5 + PRIOR_SHAPE, expected + PRIOR_RATE
    p = rate / (rate + remaining)
    tail = (1.0 - level) / 2.0
    low, high = nbinom.ppf([tail, 1.0 - tail], shape, p)
    return Projection(excess=(shape / rate - 1.0) * remaining, low=float(low) - remaining, high=float(high) - remaining)

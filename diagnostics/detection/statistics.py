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
cells: see ``thresholds``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp

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

    lot: float  # lot cells: log(1/α) for the mixture ratio since the cell's start
    firmware: float  # firmware cells: the same with their own α
    model: float  # model × component cells: log A for the Shiryaev–Roberts statistic
    alpha_lot: float
    alpha_firmware: float
    model_arl_weeks: float


# How the yearly budget is shared between the kinds of cells.
BUDGET_SHARES = {"lot": 0.6, "firmware": 0.15, "model": 0.25}


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

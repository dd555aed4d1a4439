"""Coverage of the life report's 90 % Weibull bounds (SPEC §8), by simulation.

    .venv/bin/python benchmarks/reliability_bounds.py --samples 500 --seed 1

Each sample: units entering service at staggered dates (uniform over two years) with Weibull
lifetimes of shape β and scale η, watched until the as-of date (right-censored there) and until the
20th failure in calendar order (so every sample has exactly 20 failures and censoring of two kinds);
``diagnostics.reliability.weibull_fit`` fits it and its likelihood-ratio 90 % bounds on β, η and B10
either cover the true value or not. Target: 85 % to 95 % for β and η. Several shapes (infant
mortality, random, wear-out) and censoring levels.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagnostics.reliability import weibull_fit

FAILURES = 20


def sample(rng: np.random.Generator, beta: float, eta: float, units: int) -> tuple[list, list]:
    """One data set: 20 failures in calendar order, everyone else censored when the 20th happened."""
    entry = rng.uniform(0.0, 730.0, units)
    life = eta * rng.weibull(beta, units)
    failed_on = entry + life
    stop = np.sort(failed_on)[FAILURES - 1]
    failed = failed_on <= stop
    ages = np.where(failed, life, np.maximum(stop - entry, 0.0))
    running = ages > 0
    return (
        [(float(a), 1) for a in ages[failed]],
        [(float(a), 1) for a in ages[~failed & running]],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.samples} samples of {FAILURES} failures each, 90 % likelihood-ratio bounds\n")
    print("| β | η (days) | units | censored (median) | β covered | η covered | B10 covered |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for beta, eta, units in ((0.7, 3000.0, 200), (1.0, 2000.0, 100), (1.8, 1000.0, 60), (3.0, 800.0, 40)):
        rng = np.random.default_rng(args.seed)
        hits = np.zeros(3)
        censored = []
        b10 = eta * (-math.log(0.9)) ** (1.0 / beta)
        for _ in range(args.samples):
            failures, survivors = sample(rng, beta, eta, units)
            fit = weibull_fit(failures, survivors)
            assert fit is not None
            bounds = (fit.beta_bounds(), fit.eta_bounds(), fit.life_bounds())
            for i, (truth, bound) in enumerate(zip((beta, eta, b10), bounds, strict=True)):
                hits[i] += bound is not None and bound.low <= truth <= bound.high
            censored.append(len(survivors))
        share = hits / args.samples
        print(
            f"| {beta} | {eta:,.0f} | {units} | {int(np.median(censored))} | "
            f"{share[0]:.1%} | {share[1]:.1%} | {share[2]:.1%} |"
        )


if __name__ == "__main__":
    main()

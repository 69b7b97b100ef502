"""Figures from timings: the one percentile every bench prints."""
from __future__ import annotations

import math
from typing import Sequence


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by nearest rank: the sorted
    value at ``round(q × (n − 1))``, so ``pct(v, 0.5)`` is a median and
    ``pct(v, 1)`` the maximum; NaN when there are none."""
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[round(q * (len(ordered) - 1))]

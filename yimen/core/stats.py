"""Summary statistics shared by reports, the digital twin and the cases' measurements, so a
"90% wait" means the same thing on every page. Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) by linear interpolation between the closest ranks (numpy's
    default, Excel's PERCENTILE.INC); None when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

"""Uncertainty of the numbers the dashboard compares: 95% intervals from counts.

* A share (favor / n, statements on a topic / all) gets the Wilson score interval, which
  stays inside [0, 1] and is honest for small n and shares near 0 or 1.
* Net stance, (favor - against) / n, is a difference of two proportions of one
  multinomial sample; it gets the adjusted Wald interval of Bonett & Price (2012): one
  pseudo-count added to favor and to against, two to n. It never collapses to a point
  (five statements all in favor give +0.19 to +1, not +1 to +1).
* Two independent figures differ beyond noise when their difference is more than 1.96
  standard errors from zero (the same adjusted estimates).
* A cell is too sparse to say anything when its net stance interval spans more than
  SPARSE_WIDTH of the scale's width of 2 (about fewer than 6 statements).
"""
from __future__ import annotations

import math

Z = 1.959964  # 95%
SPARSE_WIDTH = 0.5  # of the net stance scale (-1..1): an interval wider than 1.0 says nothing


def wilson(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of the share k / n ((0, 1) when n = 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return (0.0 if k == 0 else min(low, p)), (1.0 if k == n else max(high, p))


def _net_estimate(favor: int, against: int, n: int) -> tuple[float, float]:
    """Adjusted net stance and its standard error (Bonett & Price)."""
    pf, pa = (favor + 1) / (n + 2), (against + 1) / (n + 2)
    d = pf - pa
    return d, math.sqrt(max(pf + pa - d * d, 0.0) / (n + 2))


def net_interval(favor: int, against: int, n: int) -> tuple[float, float]:
    """95% interval of the net stance (favor - against) / n, within [-1, 1]."""
    d, se = _net_estimate(favor, against, n)
    return max(-1.0, d - Z * se), min(1.0, d + Z * se)


def is_sparse(favor: int, against: int, n: int) -> bool:
    """Too few statements for the net stance to say anything."""
    low, high = net_interval(favor, against, n)
    return high - low > 2 * SPARSE_WIDTH


def nets_differ(a: dict, b: dict) -> bool:
    """Whether two net stances (dicts with favor, against, n) differ beyond noise."""
    da, sa = _net_estimate(a["favor"], a["against"], a["n"])
    db, sb = _net_estimate(b["favor"], b["against"], b["n"])
    return abs(da - db) > Z * math.hypot(sa, sb)


def shares_differ(k1: int, n1: int, k2: int, n2: int) -> bool:
    """Whether two shares differ beyond noise (two-proportion test, plus-four adjusted)."""
    p1, p2 = (k1 + 1) / (n1 + 2), (k2 + 1) / (n2 + 2)
    return abs(p1 - p2) > Z * math.sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2))


def with_net_interval(rows: list[dict], pro: str = "favor", con: str = "against") -> list[dict]:
    """Add net_low, net_high and sparse to rows carrying counts `pro`, `con` and n (favor and
    against for stance, agree and disagree for agreement)."""
    for r in rows:
        r["net_low"], r["net_high"] = net_interval(r[pro], r[con], r["n"])
        r["sparse"] = is_sparse(r[pro], r[con], r["n"])
    return rows


def with_share_interval(rows: list[dict], k: str = "n", n: str = "total") -> list[dict]:
    """Add share_low and share_high (Wilson) to rows carrying counts k of n."""
    for r in rows:
        r["share_low"], r["share_high"] = wilson(r[k], r[n])
    return rows

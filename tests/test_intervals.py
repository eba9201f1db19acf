"""95% intervals (warehouse/intervals.py) against published values, and the rules built on them."""
from __future__ import annotations

import pytest

from warehouse.intervals import is_sparse, nets_differ, net_interval, shares_differ, wilson


@pytest.mark.parametrize("k, n, low, high", [  # Wilson score intervals as tabulated by Newcombe (1998), Table I
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombe(k, n, low, high):
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=5e-4)


def test_net_interval_is_honest_for_small_and_lopsided_counts():
    low, high = net_interval(5, 0, 5)  # five statements, all in favour
    assert 0.1 < low < 0.3 and high == 1.0
    assert net_interval(0, 0, 0) == (-1.0, 1.0)  # nothing known: the whole scale
    wide, narrow = net_interval(30, 10, 50), net_interval(600, 200, 1000)
    assert wide[0] < narrow[0] < 0.4 < narrow[1] < wide[1]  # more statements, narrower, around +0.4
    assert is_sparse(2, 1, 3) and not is_sparse(40, 10, 60)


def test_differences_beyond_noise():
    assert nets_differ({"favor": 80, "against": 10, "n": 100}, {"favor": 10, "against": 80, "n": 100})
    assert not nets_differ({"favor": 3, "against": 1, "n": 5}, {"favor": 1, "against": 3, "n": 5})
    assert not nets_differ({"favor": 50, "against": 40, "n": 100}, {"favor": 45, "against": 45, "n": 100})
    assert shares_differ(80, 100, 20, 100) and not shares_differ(3, 10, 4, 10)

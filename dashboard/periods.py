"""Time buckets: which bucket fits a date range, and where a period ends."""
from __future__ import annotations

import datetime as dt

BUCKETS = ("week", "month", "quarter", "year")
MAX_PERIODS = 40  # the finest bucket that gives at most this many periods is chosen


def period_end(start, bucket: str) -> dt.date:
    """The first day after a period that starts on `start` (a date or ISO string)."""
    day = dt.date.fromisoformat(str(start)[:10])
    if bucket == "week":
        return day + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    total = day.month - 1 + months
    return dt.date(day.year + total // 12, total % 12 + 1, 1)


def auto_bucket(first: dt.date | None, last: dt.date | None) -> str:
    """The finest bucket in which first..last spans at most MAX_PERIODS periods."""
    if not first or not last:
        return "month"
    days = (last - first).days + 1
    for bucket, length in (("week", 7), ("month", 30.44), ("quarter", 91.3)):
        if days / length <= MAX_PERIODS:
            return bucket
    return "year"


def bucket_for(choice: str | None, first: dt.date | None, last: dt.date | None) -> str:
    """The bucket chosen ('auto' or None: the one that fits the range)."""
    return choice if choice in BUCKETS else auto_bucket(first, last)

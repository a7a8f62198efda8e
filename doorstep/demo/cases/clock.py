"""The seed's clock: the simulated period, its time zone and making a move at a past moment."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

DAYS = 60
SWEEP_EVERY = dt.timedelta(hours=6)
TZ = dt.timezone(dt.timedelta(hours=8))


@contextmanager
def at_moment(moment: dt.datetime) -> Iterator[None]:
    """Let the services read `moment` as "now" (see the package docstring). In UTC, as the
    real `timezone.now` gives it: the audit chain hashes `at.isoformat()`, and a moment in
    another zone would read back from the database differently and break the chain."""
    real = timezone.now
    utc = moment.astimezone(dt.UTC)
    timezone.now = lambda: utc  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


def office_hours(t: dt.datetime, rng: random.Random) -> dt.datetime:
    """Move a moment into 08:30–18:30 local time (staff do not work at night)."""
    local = t.astimezone(TZ)
    if local.hour < 8 or (local.hour == 8 and local.minute < 30):
        local = local.replace(hour=8, minute=30 + rng.randint(0, 29))
    elif local.hour >= 19 or (local.hour == 18 and local.minute >= 30):
        local = (local + dt.timedelta(days=1)).replace(hour=8, minute=30 + rng.randint(0, 29))
    return local

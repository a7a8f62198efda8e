"""Background tasks of the service app: monthly duty points for posts held."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="doorstep.service.grant_post_duty")
def grant_post_duty() -> int:
    """Duty points for last month (beat runs it daily; a month is granted once per holder)."""
    from .teams import grant_post_duty as run

    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return run(last_month)

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


@shared_task(name="doorstep.service.credit_cases")
def credit_cases() -> int:
    """Hours and points for closed (and reopened) cases: after each commit that appended a
    case event, and periodically to catch up (beat; the in-process jobs on the embedded
    default)."""
    from .credits import credit_cases as run

    return run()


@shared_task(name="doorstep.service.credit_activities")
def credit_activities() -> int:
    """Hours and points for volunteers' check-outs (as credit_cases)."""
    from .credits import credit_activities as run

    return run()

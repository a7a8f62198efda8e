"""Background tasks of co-governance: the consumers that move matches as the cases and
activities they became move (cogov.follow)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="doorstep.cogov.follow_cases")
def follow_cases() -> int:
    """After each commit that appended a case event, and periodically to catch up."""
    from .follow import follow_cases as run

    return run()


@shared_task(name="doorstep.cogov.follow_activities")
def follow_activities() -> int:
    """After each volunteer's check-out, and periodically to catch up."""
    from .follow import follow_activities as run

    return run()

"""Background tasks of deliberation: the consumers that mark a resolution done as the
project or case it became ends (deliberation.follow)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="doorstep.deliberation.follow_projects")
def follow_projects() -> int:
    """After each commit that appended a project event, and periodically to catch up."""
    from .follow import follow_projects as run

    return run()


@shared_task(name="doorstep.deliberation.follow_cases")
def follow_cases() -> int:
    """After each commit that appended a case event, and periodically to catch up."""
    from .follow import follow_cases as run

    return run()

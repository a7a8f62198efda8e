"""Background tasks of sites: record no-shows (schedule it with beat, e.g. every 5 minutes)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="doorstep.nearby.sites.mark_no_shows")
def mark_no_shows() -> int:
    from .services import mark_no_shows as run

    return run()

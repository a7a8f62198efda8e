"""Background tasks of cases. The deadline sweep runs on the `deadlines` queue (beat)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="doorstep.cases.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """Run the deadline sweep once; return its counts."""
    from .sweep import sweep

    return sweep().as_dict()

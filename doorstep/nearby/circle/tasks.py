"""Background jobs of the service circle (queue "geo")."""

from __future__ import annotations

from celery import shared_task

from .coverage import store_run
from .models import RoadNetwork


@shared_task(name="doorstep.nearby.circle.recompute")
def recompute(
    network_id: int,
    sites: list[list[float]],
    minutes: float | None = None,
    speed: float | None = None,
    label: str = "",
) -> int:
    """Recompute coverage of every residential building; returns the CoverageRun id."""
    network = RoadNetwork.objects.get(pk=network_id)
    tuples = [(int(s[0]), float(s[1]), float(s[2])) for s in sites]
    return store_run(network, tuples, minutes, speed, label).pk


@shared_task(name="doorstep.nearby.circle.fill_run")
def fill(run_id: int) -> str:
    """Fill in a run queued from the circle page; returns its final status."""
    from .runs import fill_run

    return fill_run(run_id).status

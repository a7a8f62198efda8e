"""Coverage runs in the background: queue one from the page, fill it in on queue "geo".

`queue_run` stores the run as queued and hands its id to the job once the transaction
commits; `fill_run` (the job) computes coverage of every residential building for the
sites given and stores the summary, or records why it failed. One run at a time per
network: a second request while one is queued or running is refused.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from doorstep.core.errors import Conflict

from .coverage import SiteTuple, coverage_for
from .errors import CircleError
from .models import CoverageRun, RoadNetwork, RunStatus

# A queued or running run older than this is taken to have died with its worker.
STALE_AFTER = dt.timedelta(minutes=10)


class RunBusy(CircleError, Conflict):
    """A run for this network is already queued or running."""


def busy(network: RoadNetwork) -> CoverageRun | None:
    return (
        CoverageRun.objects.filter(
            network=network,
            status__in=(RunStatus.QUEUED, RunStatus.RUNNING),
            created_at__gte=timezone.now() - STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )


def queue_run(
    *,
    network: RoadNetwork,
    sites: Sequence[SiteTuple],
    kinds: list[str],
    minutes: float,
    speed: float,
    actor: Any,
    label: str = "",
) -> CoverageRun:
    """Store a queued run and start the job after commit (one per network at a time)."""
    from .tasks import fill

    if not sites:
        raise CircleError("所选类型暂无已定位的服务阵地，无法计算。", field="kind")
    with transaction.atomic():
        RoadNetwork.objects.select_for_update().filter(pk=network.pk).first()
        if busy(network) is not None:
            raise RunBusy("已有一次覆盖计算正在进行，请稍后刷新查看。")
        run = CoverageRun.objects.create(
            network=network,
            minutes=minutes,
            walking_speed_kmh=speed,
            label=label[:100],
            kinds=list(kinds),
            sites=[[int(s[0]), float(s[1]), float(s[2])] for s in sites],
            status=RunStatus.QUEUED,
            requested_by=actor,
        )
        transaction.on_commit(lambda: fill.delay(run.pk))
    return run


def fill_run(run_id: int) -> CoverageRun:
    """The job: compute and store the run's coverage (failed, with the reason, on bad data)."""
    updated = CoverageRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    run = CoverageRun.objects.select_related("network").get(pk=run_id)
    if not updated:
        return run  # already taken by another worker, or finished
    started = time.perf_counter()
    sites = [(int(s[0]), float(s[1]), float(s[2])) for s in run.sites]
    try:
        result = coverage_for(run.network, sites, run.minutes, run.walking_speed_kmh)
    except CircleError as exc:
        run.status, run.error = RunStatus.FAILED, exc.message[:200]
    else:
        run.status = RunStatus.DONE
        run.summary, run.buildings = result.summary(), result.rows()
    run.elapsed_ms = int((time.perf_counter() - started) * 1000)
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "summary", "buildings", "elapsed_ms", "finished_at"])
    return run

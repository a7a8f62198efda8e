"""The circle page's background runs: request a whole-area recompute, show the latest.

The page itself computes for what the viewer may see; a run covers every residential
building of the network and is filled in by the job on queue "geo". Staff who manage
sites may request one; everyone who may view the page sees the latest run, with the rows
of the communities and grids they may see."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from doorstep.atlas.organisations.models import Organisation
from doorstep.nearby.circle.errors import CircleError
from doorstep.nearby.circle.models import CoverageRun, RoadNetwork
from doorstep.nearby.circle.runs import queue_run
from doorstep.nearby.sites.models import ServiceSite


def latest_run(user: Any, network: RoadNetwork) -> dict[str, Any]:
    """The latest run of the network, with only the areas the user may see."""
    run = CoverageRun.objects.filter(network=network).defer("buildings").first()
    if run is None:
        return {}
    visible = set(Organisation.objects.visible_to(user).values_list("pk", flat=True))
    summary = run.summary or {}
    return {
        "run": run,
        "run_communities": [
            c for c in summary.get("communities", []) if c.get("org_id") in visible
        ],
        "run_grids": [g for g in summary.get("grids", []) if g.get("org_id") in visible],
        "run_totals": summary.get("totals"),
        "may_recompute": user.has_perm("sites.manage_site"),
    }


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    from .views_circle import BadInput, _may_view, _params

    user: Any = request.user
    if not (_may_view(user) and user.has_perm("sites.manage_site")):
        raise PermissionDenied("只有管理服务阵地的工作人员可以发起全区覆盖计算")
    network = RoadNetwork.objects.first()
    if network is None:
        return render(request, "nearby/circle_error.html", {"error": "尚未导入路网"}, status=409)
    try:
        params = _params(request, request.POST)
    except BadInput as exc:
        return render(request, "nearby/circle_error.html", {"error": exc.message}, status=400)
    # The whole area: every active, located site of the chosen kinds (not only the
    # viewer's), since the run serves everyone who looks at the page.
    sites = (
        ServiceSite.objects.outside_door("a whole-area run's sites: positions only")
        .filter(active=True, kind__in=params.kinds, lat__isnull=False, lon__isnull=False)
        .order_by("id")
        .values_list("pk", "lat", "lon")
    )
    try:
        queue_run(
            network=network,
            sites=[(pk, float(lat or 0.0), float(lon or 0.0)) for pk, lat, lon in sites],
            kinds=params.kinds,
            minutes=params.minutes,
            speed=params.speed,
            actor=user,
            label=f"{user} 发起",
        )
    except CircleError as exc:
        return render(
            request, "nearby/circle_error.html", {"error": exc.message}, status=exc.status
        )
    messages.success(request, "已提交后台计算，完成后刷新本页即可看到结果")
    return redirect("nearby:circle")

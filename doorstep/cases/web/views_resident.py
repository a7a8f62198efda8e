"""Filing pages: 群众点单/微心愿 for residents, 网格发现 for grid workers; my cases; tracking."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from doorstep.accounts.typing import actor_of
from doorstep.cases.errors import CaseError
from doorstep.cases.locating import home_building, locate
from doorstep.cases.models import Case, CaseKind, Source
from doorstep.cases.services import create_case
from doorstep.cases.workflow import S
from doorstep.core.options import select_options

from . import category_picker
from .forms import FileCaseForm
from .views_common import (
    BuildingChoice,
    building_for,
    buildings_for,
    check_number,
    require_any,
    visible_cases,
)

DEFAULT_CENTER = (39.99, 116.35)  # 学院路 (when no building has coordinates)


def _map_points(buildings: list[Any]) -> list[dict[str, Any]]:
    return [
        {"id": b.pk, "name": b.name, "lat": b.lat, "lon": b.lon}
        for b in buildings
        if b.lat is not None and b.lon is not None
    ]


def _community_of(user: Any, home: Any) -> Any:
    """The community whose most used categories the filer sees first."""
    from doorstep.accounts.models import Membership

    grid = home.grid if home is not None else None
    if grid is not None:
        return grid.parent if grid.kind == "grid" else grid
    m = (
        Membership.objects.active()
        .filter(user=user, organisation__kind__in=("community", "grid"))
        .select_related("organisation__parent")
        .first()
    )
    if m is None:
        return None
    org = m.organisation
    return org.parent if org.kind == "grid" else org


def _file(request: HttpRequest, *, patrol: bool) -> HttpResponse:
    user = actor_of(request)
    home = home_building(user)
    error = ""
    status = 200
    initial = {"building": str(home.pk) if home else "", "where": "building"}
    if request.GET.get("kind") == CaseKind.MICRO_WISH:  # the workbench's 微心愿 button
        initial["kind"] = CaseKind.MICRO_WISH
    if request.method == "POST":
        form = FileCaseForm(
            request.POST,
            find_building=lambda raw: building_for(user, home, raw),
            patrol=patrol,
            initial=initial,
        )
        if form.is_valid():
            d = form.cleaned_data
            try:
                where = d["where"]
                location = locate(
                    building=d["building"] if where == "building" else None,
                    lat=d["lat"] if where == "point" else None,
                    lon=d["lon"] if where == "point" else None,
                    address=d["address"],
                )
                kind = CaseKind.PATROL if patrol else d["kind"]
                case = create_case(
                    actor=user,
                    category=d["category"],
                    title=d["title"],
                    description=d["description"],
                    location=location,
                    kind=kind,
                    source=Source.PATROL if patrol else Source.WEB,
                    anonymous=bool(d.get("anonymous")),
                    photos=request.FILES.getlist("photos"),
                    draft=patrol,
                )
            except CaseError as exc:
                error, status = exc.message, exc.status
            else:
                return redirect("desk:filed", number=case.number)
        else:
            status = 400
    else:
        form = FileCaseForm(find_building=lambda raw: None, patrol=patrol, initial=initial)
    # the picker and the map (only for the form shown: a filing that succeeds needs neither)
    buildings = buildings_for(user, home)
    if home is not None and all(b.pk != home.pk for b in buildings):
        buildings.insert(0, BuildingChoice.of(home))
    points = _map_points(buildings)
    center = (points[0]["lat"], points[0]["lon"]) if points else DEFAULT_CENTER
    if home is not None and home.lat is not None:
        center = (home.lat, home.lon)
    return render(
        request,
        "cases/file.html",
        {
            "form": form,
            "patrol": patrol,
            "category_cascade": category_picker.kept_cascade(request.POST.get("category", "")),
            "common_categories": category_picker.common(_community_of(user, home)),
            "building_options": select_options(
                ((b.pk, f"{b.name}（{b.grid_name}）") for b in buildings),
                str(form["building"].value() or ""),
            ),
            "home": home,
            "points": points,
            "center": center,
            "error": error,
            "chosen_category": request.POST.get("category", ""),
        },
        status=status,
    )


@login_required
def new_case(request: HttpRequest) -> HttpResponse:
    """群众点单 / 微心愿."""
    require_any(request.user, "cases.add_case")
    return _file(request, patrol=False)


@login_required
def patrol_new(request: HttpRequest) -> HttpResponse:
    """网格发现: saved as a draft, submitted or handled on the spot from the case page."""
    require_any(request.user, "cases.report_patrol")
    return _file(request, patrol=True)


@login_required
def filed(request: HttpRequest, number: str) -> HttpResponse:
    """After filing: the tracking number."""
    check_number(number)
    mine = Case.objects.visible_to(request.user)
    case = mine.filter(number=number, reporter_id=request.user.pk).first()
    if case is None:
        return redirect("desk:case", number=number)
    return render(request, "cases/filed.html", {"case": case})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的诉求: what I filed, newest first."""
    require_any(request.user, "cases.add_case")
    waiting = request.GET.get("status") == "rating"
    qs = my_cases(request.user, waiting_for_rating=waiting)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "cases/mine.html", {"page": page, "waiting": waiting})


def my_cases(user: Any, *, waiting_for_rating: bool = False) -> QuerySet[Case]:
    """我的诉求: what the user filed, newest first; or only those waiting for their rating."""
    qs = (
        Case.objects.visible_to(user)
        .filter(reporter_id=user.pk)
        .select_related("category", "territory")
    )
    if waiting_for_rating:
        qs = qs.filter(status=S.PENDING_RATING)
    return qs.order_by("-created_at", "-id")


@login_required
def track(request: HttpRequest) -> HttpResponse:
    """Look up a tracking number: the reporter and staff in scope see it, nobody else."""
    number = (request.GET.get("number") or "").strip()
    not_found = False
    if "\x00" in number or len(number) > 64:
        number, not_found = "", True
    if number:
        case = visible_cases(request.user).filter(number=number).first()
        if case is not None:
            return redirect("desk:case", number=case.number)
        not_found = True
    return render(
        request,
        "cases/track.html",
        {"number": number, "not_found": not_found},
        status=404 if not_found else 200,
    )

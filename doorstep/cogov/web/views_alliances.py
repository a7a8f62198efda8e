"""党建联盟 pages: the alliances and lists of 联建 items, an alliance with its members'
agreements and 兼职委员, a co-building unit's page (what it offered, did and was rated) and
its profile."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.cogov import alliances, figures
from doorstep.cogov.errors import CogovError
from doorstep.cogov.models import (
    Agreement,
    Alliance,
    Project,
    Resource,
    Scheme,
    SchemeItem,
    Seat,
    Sector,
    UnitProfile,
)
from doorstep.cogov.models.alliances import LEAD_KINDS, UNIT_KINDS
from doorstep.core.ids import parse_id
from doorstep.nearby.activities.models import Activity

from .views_lists import day_param, within


def _alliances(user: Any) -> QuerySet[Alliance]:
    return Alliance.objects.visible_to(user).select_related("lead", "scheme")


@login_required
def alliance_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.has_perm("cogov.view_alliance"):
        raise PermissionDenied("没有查看党建联盟的权限")
    today = timezone.localdate()
    on = day_param(request.GET.get("on")) or today
    org = within(user, request.GET.get("org"))
    shown = _alliances(user)
    if org is not None:
        shown = shown.filter(path__startswith=org.path)
    in_force = Q(agreements__starts_on__lte=on, agreements__ends_on__gt=on)
    rows = shown.annotate(members=Count("agreements__unit", filter=in_force, distinct=True))
    units = (
        Agreement.objects.filter(alliance__in=shown, starts_on__lte=on, ends_on__gt=on)
        .values("unit")
        .distinct()
        .count()
    )
    leads = [
        o
        for o in Organisation.objects.visible_to(user).filter(kind__in=LEAD_KINDS).order_by("path")
        if alliances.may(user, "cogov.add_alliance", o)
    ]
    return render(
        request,
        "cogov/alliances.html",
        {
            "alliances": rows,
            "units_in_force": units,
            "org": org,
            "on": on,
            "leads": leads,
            "schemes": Scheme.objects.prefetch_related("items"),
            "may_scheme": user.has_perm("cogov.add_scheme"),
            "today": today,
        },
    )


@login_required
@require_POST
def alliance_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    post = request.POST
    lead = (
        Organisation.objects.visible_to(user)
        .filter(kind__in=LEAD_KINDS, pk=parse_id(post.get("lead")) or 0)
        .first()
    )
    scheme = Scheme.objects.filter(pk=parse_id(post.get("scheme")) or 0).first()
    try:
        alliance = alliances.found_alliance(
            actor=user, lead=lead, name=post.get("name"), scheme=scheme,
            founded_on=post.get("founded_on"), motto=post.get("motto"),
        )  # fmt: skip
    except CogovError as exc:
        messages.error(request, exc.message)
        return redirect("cogov:alliances")
    messages.success(request, f"已成立{alliance.name}，请签订成员单位的共建协议")
    return redirect("cogov:alliance", pk=alliance.pk)


@login_required
@require_POST
def scheme_new(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    try:
        scheme = alliances.create_scheme(
            actor=user,
            name=request.POST.get("name"),
            items=request.POST.get("items", ""),
            note=request.POST.get("note"),
        )
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已设置联建清单“{scheme.name}”")
    return redirect("cogov:alliances")


def _alliance(request: HttpRequest, pk: int) -> Alliance:
    found = _alliances(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("联盟不存在或无权查看")
    return found


@login_required
def alliance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alliance = _alliance(request, pk)
    user = actor_of(request)
    today = timezone.localdate()
    agreements = list(
        alliance.agreements.select_related("unit").prefetch_related(
            Prefetch("items", queryset=SchemeItem.objects.order_by("order"))
        )
    )
    units = sorted({a.unit_id for a in agreements})
    seats = (
        Seat.objects.filter(unit_id__in=units)
        .filter(node__in=alliances.seat_nodes(alliance.lead))
        .select_related("node", "unit")
        .order_by("node__path", "starts_on")
    )
    keeper = alliances.may(user, "cogov.add_agreement", alliance.lead)
    return render(
        request,
        "cogov/alliance.html",
        {
            "alliance": alliance,
            "agreements": [(a, a.in_force(today), a.starts_on > today) for a in agreements],
            "members_now": len({a.unit_id for a in agreements if a.in_force(today)}),
            "items": alliance.scheme.items.all(),
            "seats": [(s, s.starts_on <= today < s.ends_on) for s in seats],
            "keeper": keeper,
            "may_end": alliances.may(user, "cogov.change_agreement", alliance.lead),
            "may_seat": alliances.may(user, "cogov.add_seat", alliance.lead),
            "units": alliances.candidate_units(alliance.lead) if keeper else [],
            "seat_nodes": alliances.seat_nodes(alliance.lead),
            "seat_units": [a.unit for a in agreements if a.in_force(today)],
            "today": today,
        },
    )


@login_required
@require_POST
def alliance_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    alliance = _alliance(request, int(pk))
    user = actor_of(request)
    post = request.POST
    try:
        if act == "sign":
            unit = alliances.candidate_units(alliance.lead).filter(
                pk=parse_id(post.get("unit")) or 0
            )
            agreement = alliances.sign_agreement(
                actor=user, alliance=alliance, unit=unit.first(),
                starts_on=post.get("starts_on"), ends_on=post.get("ends_on"),
                items=post.getlist("items"), signed_on=post.get("signed_on"),
                pledge=post.get("pledge"), document=request.FILES.get("document"),
            )  # fmt: skip
            messages.success(request, f"已签订与{agreement.unit}的共建协议")
        elif act == "end":
            found = alliance.agreements.filter(pk=parse_id(post.get("agreement")) or 0).first()
            if found is None:
                raise CogovError("请选择协议", "agreement")
            alliances.end_agreement(actor=user, agreement=found, on=post.get("on"))
            messages.success(request, f"{found.unit}的共建协议已终止")
        elif act == "seat":
            node = (
                alliances.seat_nodes(alliance.lead)
                .filter(pk=parse_id(post.get("node")) or 0)
                .first()
            )
            unit = alliances.candidate_units(alliance.lead).filter(
                pk=parse_id(post.get("unit")) or 0
            )
            seat = alliances.seat_member(
                actor=user, node=node, unit=unit.first(), name=post.get("name"),
                post=post.get("post") or "兼职委员", starts_on=post.get("starts_on"),
                ends_on=post.get("ends_on"),
            )  # fmt: skip
            messages.success(request, f"{seat.name}已任{seat.node}{seat.post}")
        else:
            raise Http404("没有这个操作")
    except CogovError as exc:
        messages.error(request, exc.message)
    return redirect("cogov:alliance", pk=alliance.pk)


@login_required
def agreement_document(request: HttpRequest, pk: int) -> FileResponse:
    found = (
        Agreement.objects.filter(alliance__in=_alliances(request.user), pk=pk)
        .exclude(document="")
        .first()
    )
    if found is None:
        raise Http404("协议文本不存在或无权查看")
    name = (found.document.name or "").rsplit("/", 1)[-1]
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(found.document.open("rb"), content_type=kind, filename=name)


# -- co-building units ----------------------------------------------------------------


def _unit(org_id: int) -> Organisation:
    """A co-building unit or department by id: its page is public to everyone signed in,
    like the published lists (what it offers the neighbourhood, no personal data)."""
    found = (
        Organisation.objects.outside_door("a co-building unit's public page")
        .filter(kind__in=UNIT_KINDS, pk=org_id)
        .first()
    )
    if found is None:
        raise Http404("单位不存在")
    return found


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    profiles = UnitProfile.objects.visible_to(user).select_related("unit").order_by("sector")
    sector = request.GET.get("sector", "")
    if sector in Sector.values:
        profiles = profiles.filter(sector=sector)
    return render(
        request,
        "cogov/units.html",
        {"profiles": profiles, "sectors": Sector.choices, "sector": sector},
    )


@login_required
def unit_turnout(request: HttpRequest) -> HttpResponse:
    """The list behind the cockpit's 共建志愿人次: the finished projects co-building units
    took part in, with their volunteers, and the activities units ran or co-ran, with the
    volunteers who checked in."""
    user = actor_of(request)
    if not user.has_perm("cogov.view_project"):
        raise PermissionDenied("没有查看共建项目的权限")
    org = within(user, request.GET.get("org")) or (
        Organisation.objects.visible_to(user, "cockpit").order_by("path").first()
    )
    if org is None:
        raise PermissionDenied("没有可查看的区域")
    projects = list(
        Project.objects.visible_to(user)
        .filter(pk__in=figures.unit_project_volunteers(org).values("pk"))
        .prefetch_related("partners")
        .order_by("-volunteers", "id")
    )
    checkins = figures.unit_activity_turnout(org)
    shown = Activity.objects.visible_to(user).filter(pk__in=checkins.values("activity"))
    activities = list(
        shown.select_related("organiser")
        .prefetch_related("co_organisers")
        .annotate(
            turnout=Count(
                "signups",
                filter=Q(signups__in=checkins.values("pk")),
                distinct=True,
            )
        )
        .order_by("-starts_at")
    )
    on_projects = sum(p.volunteers for p in projects)
    at_activities = checkins.filter(activity__in=shown).values("pk").distinct().count()
    return render(
        request,
        "cogov/turnout.html",
        {
            "org": org,
            "projects": projects,
            "activities": activities,
            "on_projects": on_projects,
            "at_activities": at_activities,
            "total": on_projects + at_activities,
        },
    )


@login_required
def unit_detail(request: HttpRequest, org_id: int) -> HttpResponse:
    user = actor_of(request)
    unit = _unit(org_id)
    profile = UnitProfile.objects.visible_to(user).filter(unit=unit).first()
    today = timezone.localdate()
    agreements = (
        Agreement.objects.filter(unit=unit)
        .select_related("alliance__lead")
        .prefetch_related("items")
        .order_by("-starts_on")
    )
    return render(
        request,
        "cogov/unit.html",
        {
            "unit": unit,
            "profile": profile,
            "record": alliances.record_of(unit),
            "agreements": [(a, a.in_force(today)) for a in agreements],
            "seats": [
                (s, s.starts_on <= today < s.ends_on)
                for s in Seat.objects.filter(unit=unit).select_related("node")
            ],
            "resources": Resource.objects.visible_to(user).filter(provider=unit)[:20],
            "projects": Project.objects.visible_to(user)
            .filter(Q(partners=unit) | Q(match__resource__provider=unit))
            .distinct()
            .order_by("-created_at")[:20],
            "may_edit": alliances.may(user, "cogov.change_unitprofile", unit),
            "sectors": Sector.choices,
        },
    )


@login_required
@require_POST
def unit_profile(request: HttpRequest, org_id: int) -> HttpResponse:
    user = actor_of(request)
    unit = _unit(org_id)
    post = request.POST
    try:
        alliances.save_profile(
            actor=user, unit=unit, sector=post.get("sector"), party_org=post.get("party_org"),
            address=post.get("address"), intro=post.get("intro"),
        )  # fmt: skip
    except CogovError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "单位档案已保存")
    return redirect("cogov:unit", org_id=unit.pk)

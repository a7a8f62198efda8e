"""两代表一委员 reception pages: the studios' coming slots (社情民意日 marked) with a
resident's booking and their own visits with the outcome; the street's schedule and its
deputies; a slot's page where the deputy notes walk-ins, records each visit and turns it
into a case or a topic with one click; a visit's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.cases.models import Category
from doorstep.cogov.web.forms import leaf_categories
from doorstep.core.ids import parse_id
from doorstep.deliberation import receptions
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.models import (
    Deputy,
    DeputyKind,
    DeputyLevel,
    ReceptionSlot,
    ReceptionVisit,
    VisitStatus,
)
from doorstep.nearby.sites.models import ServiceSite

from .lists import narrowed


def _times(slot: ReceptionSlot) -> list[dt.datetime]:
    """The times a resident may pick within a slot: every quarter of an hour."""
    out: list[dt.datetime] = []
    t = slot.starts_at
    while t < slot.ends_at and len(out) < 40:
        out.append(timezone.localtime(t))
        t += dt.timedelta(minutes=15)
    return out


def _home(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = actor_of(request)
    now = timezone.now()
    slots = list(
        ReceptionSlot.objects.visible_to(user)
        .filter(ends_at__gte=now)
        .select_related("site")
        .prefetch_related("deputies")
        .distinct()
        .order_by("starts_at")[:60]
    )
    keeps = user.has_perm(receptions.KEEP)
    return render(
        request,
        "deliberation/receptions.html",
        {
            "slots": [(s, _times(s), receptions.lives_near(user, s)) for s in slots],
            "mine": ReceptionVisit.objects.filter(resident=user)
            .visible_to(user)
            .select_related("slot__site", "case")
            .order_by("-at")[:50],
            "keeps": keeps,
            "studios": ServiceSite.objects.visible_to(user).filter(
                kind=receptions.STUDIO, active=True
            )
            if keeps
            else [],
            "deputies": Deputy.objects.visible_to(user).filter(active=True) if keeps else [],
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def reception_home(request: HttpRequest) -> HttpResponse:
    return _home(request)


def _slot(user: Any, pk: Any) -> ReceptionSlot:
    found = (
        ReceptionSlot.objects.visible_to(user)
        .select_related("site")
        .filter(pk=parse_id(pk) or 0)
        .distinct()
        .first()
    )
    if found is None:
        raise Http404("接待时段不存在或无权查看")
    return found


@login_required
@require_POST
def reception_act(request: HttpRequest, act: str) -> HttpResponse:
    """Book (a resident) or schedule (the street or community)."""
    user = actor_of(request)
    post = request.POST
    try:
        if act == "book":
            slot = _slot(user, post.get("slot"))
            visit = receptions.book(
                actor=user, slot=slot, at=post.get("at"), issue=post.get("issue", "")
            )
            return redirect("deliberation:reception_visit", pk=visit.pk)
        site = (
            ServiceSite.objects.visible_to(user).filter(pk=parse_id(post.get("site")) or 0).first()
        )
        picked = {parse_id(v) for v in post.getlist("deputies")}
        deputies = [d for d in Deputy.objects.visible_to(user) if d.pk in picked]
        if act == "public_days":
            receptions.schedule_public_days(
                actor=user, site=site, deputies=deputies, months=post.get("months", "3")
            )
        else:
            receptions.schedule(
                actor=user, site=site, deputies=deputies, starts_at=post.get("starts_at"),
                ends_at=post.get("ends_at"), capacity=post.get("capacity", "10"),
            )  # fmt: skip
    except DeliberationError as exc:
        return _home(request, error=exc.message, status=exc.status)
    return redirect("deliberation:receptions")


def _slot_page(
    request: HttpRequest, slot: ReceptionSlot, *, error: str = "", status: int = 200
) -> Any:
    user = actor_of(request)
    return render(
        request,
        "deliberation/reception_slot.html",
        {
            "slot": slot,
            # a resident sees their own visit here, never another's
            "visits": ReceptionVisit.objects.visible_to(user)
            .filter(slot=slot)
            .exclude(status=VisitStatus.CANCELLED)
            .distinct()
            .select_related("case", "topic", "category"),
            "receives": receptions.may_receive(user, slot),
            "categories": leaf_categories(),
            "error": error,
        },
        status=status,
    )


@login_required
def slot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _slot_page(request, _slot(actor_of(request), pk))


@login_required
@require_POST
def slot_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    slot = _slot(user, pk)
    post = request.POST
    try:
        if act == "walk_in":
            receptions.walk_in(actor=user, slot=slot, visitor=post.get("visitor"))
        else:
            visit = (
                ReceptionVisit.objects.visible_to(user)
                .filter(slot=slot, pk=parse_id(post.get("visit")) or 0)
                .distinct()
                .first()
            )
            if visit is None:
                raise Http404("接待记录不存在")
            category = Category.objects.filter(
                active=True, children__isnull=True, pk=parse_id(post.get("category")) or 0
            ).first()
            if act == "record":
                receptions.record(actor=user, visit=visit, issue=post.get("issue"),
                                  reply=post.get("reply"), category=category)  # fmt: skip
            elif act == "case":
                receptions.to_case(actor=user, visit=visit, category=category)
            else:
                receptions.to_topic(actor=user, visit=visit)
    except DeliberationError as exc:
        return _slot_page(request, _slot(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:reception_slot", pk=slot.pk)


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    visit = (
        ReceptionVisit.objects.visible_to(user)
        .select_related("slot__site", "case", "topic", "deputy", "category")
        .filter(pk=parse_id(pk) or 0)
        .distinct()
        .first()
    )
    if visit is None:
        raise Http404("接待记录不存在或无权查看")
    if request.method == "POST" and request.POST.get("cancel"):
        try:
            receptions.cancel(actor=user, visit=visit)
        except DeliberationError as exc:
            return render(
                request,
                "deliberation/reception_visit.html",
                {"visit": visit, "error": exc.message},
                status=exc.status,
            )
        return redirect("deliberation:reception_visit", pk=visit.pk)
    return render(
        request,
        "deliberation/reception_visit.html",
        {"visit": visit, "mine": visit.resident_id == user.pk},
    )


VISIT_FIELDS = {"recorded": "recorded_at", "resolved": "outcome_at"}


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    """The visits the user sees (received ones), narrowed to a cockpit figure: by the day
    of the visit, of its record (`?by=recorded`) or of its outcome (`?by=resolved`)."""
    from doorstep.deliberation.figures import received

    user = actor_of(request)
    field = VISIT_FIELDS.get(request.GET.get("by", ""), "at")
    seen, asked = narrowed(request, user, received(ReceptionVisit.objects.visible_to(user)), field)
    seen = seen.distinct()
    return render(
        request,
        "deliberation/reception_visits.html",
        {
            "rows": seen.select_related("slot__site", "deputy", "case").order_by("-at")[:500],
            "pending_count": seen.count(),
            "deputies": seen.exclude(deputy=None).values("deputy").distinct().count(),
            "asked": asked,
        },
    )


@login_required
def deputy_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    error, status = "", 200
    nodes = (
        [n for n in Organisation.objects.visible_to(user).filter(kind__in=[Kind.STREET, Kind.COMMUNITY])
         if receptions.may(user, receptions.DEPUTIES, n.path)]
        if user.has_perm(receptions.DEPUTIES)
        else []
    )  # fmt: skip
    if request.method == "POST":
        post = request.POST
        node = next((n for n in nodes if n.pk == parse_id(post.get("node"))), None)
        account = None
        if post.get("username"):
            account = (
                get_user_model()
                .objects.filter(username=str(post["username"]).strip()[:150])
                .first()
            )
        try:
            if post.get("username") and account is None:
                raise DeliberationError("找不到该账号", "username")
            receptions.add_deputy(actor=user, name=post.get("name"), kind=post.get("kind"),
                                  level=post.get("level"), node=node,
                                  constituency=post.get("constituency", ""), user=account)  # fmt: skip
            return redirect("deliberation:deputies")
        except DeliberationError as exc:
            error, status = exc.message, exc.status
    return render(
        request,
        "deliberation/deputies.html",
        {
            "deputies": Deputy.objects.visible_to(user).select_related("node")[:300],
            "nodes": nodes,
            "kinds": DeputyKind.choices,
            "levels": DeputyLevel.choices,
            "error": error,
            "form": request.POST,
        },
        status=status,
    )

"""Service hours pages: report one's own hours with evidence, the staff review queue
(approve, or reject with a reason), and logging a visit to a linked household."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.atlas.people.models import HouseholdLink
from doorstep.nearby.sites.scoping import home_street_q
from doorstep.service import records, visits
from doorstep.service.errors import ServiceError
from doorstep.service.models import ServiceRecord


def _service_orgs(user: Any) -> Any:
    """Where one may report service: the communities of one's home street(s)."""
    choices = Organisation.objects.outside_door("the communities one may report service in")
    return choices.filter(home_street_q(user, "path"), kind=Kind.COMMUNITY).order_by("path")


class RecordForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="服务所在社区", queryset=Organisation.objects.none()
    )
    started_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ended_at = forms.DateTimeField(
        label="结束时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(label="服务内容", max_length=500, widget=forms.Textarea)
    evidence = forms.FileField(label="佐证材料（照片或PDF，不超过5MB）", required=False)
    evidence_note = forms.CharField(label="佐证说明（可选）", max_length=300, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _service_orgs(user)  # type: ignore[attr-defined]


@login_required
def record_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = RecordForm(request.POST or None, request.FILES or None, user=user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                records.self_report(
                    user=user,
                    organisation=data["organisation"],
                    started_at=data["started_at"],
                    ended_at=data["ended_at"],
                    description=data["description"],
                    evidence=data.get("evidence"),
                    evidence_note=data.get("evidence_note") or "",
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, "已提交，等待社区审核后计入已认定时长")
                return redirect("serve:me")
        else:
            status = 400
    return render(request, "service/record_new.html", {"form": form}, status=status)


def _reviewer(request: HttpRequest) -> None:
    if not request.user.has_perm("service.approve_servicerecord"):
        raise PermissionDenied("没有审核服务时长的权限")


def _scoped_records(request: HttpRequest) -> Any:
    """Records staff may review: those they may see, never their own."""
    user: Any = request.user
    return ServiceRecord.objects.visible_to(user).exclude(user=user)


@login_required
def review(request: HttpRequest) -> HttpResponse:
    _reviewer(request)
    pending = pending_records(request.user)
    rows = pending.select_related("user", "organisation")[:200]
    return render(request, "service/review.html", {"rows": rows, "pending_count": pending.count()})


def pending_records(user: Any) -> Any:
    """Service records waiting for the user's review (never their own), oldest first."""
    return (
        ServiceRecord.objects.visible_to(user)
        .exclude(user=user)
        .filter(status="pending")
        .order_by("created_at")
    )


def _record(request: HttpRequest, pk: int) -> ServiceRecord:
    record = _scoped_records(request).filter(pk=pk).first()
    if record is None:
        raise Http404("服务记录不存在或无权审核")
    return record


def _decided(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    _reviewer(request)
    record = _record(request, pk)
    try:
        if approve:
            records.approve(record, actor=actor_of(request))
        else:
            records.reject(
                record, actor=actor_of(request), reason=str(request.POST.get("reason") or "")[:300]
            )
    except ServiceError as exc:
        messages.error(request, exc.message)
        response = review(request)
        response.status_code = exc.status
        return response
    messages.success(
        request, f"已{'认定' if approve else '退回'}：{record.user} {record.hours}小时"
    )
    return redirect("serve:review")


@login_required
@require_POST
def record_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decided(request, pk, True)


@login_required
@require_POST
def record_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decided(request, pk, False)


class VisitForm(forms.Form):
    household = forms.ModelChoiceField(label="联系户", queryset=HouseholdLink.objects.none())
    visited_on = forms.DateField(label="走访日期", widget=forms.DateInput(attrs={"type": "date"}))
    found = forms.CharField(label="走访情况", max_length=500, widget=forms.Textarea)
    follow_up = forms.CharField(
        label="后续工单编号（发现问题已点单的，填写工单编号）", max_length=32, required=False
    )

    def __init__(self, *args: Any, links: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        field.queryset = links  # type: ignore[attr-defined]
        field.label_from_instance = lambda link: link.household.address  # type: ignore[attr-defined]


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    central = visits.central_of(user)
    if central is None:
        raise PermissionDenied("只有党员中心户可以记录联户走访")
    links = HouseholdLink.objects.filter(central=central).select_related(
        "household__unit__building"
    )
    form = VisitForm(
        request.POST or None, links=links, initial={"visited_on": timezone.localdate()}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            case = None
            number = (data.get("follow_up") or "").strip()
            if number:
                from doorstep.cases.models import Case

                case = Case.objects.visible_to(user).filter(number=number).first()
            try:
                if number and case is None:
                    raise ServiceError("找不到该工单（须是您可以查看的工单）", "follow_up")
                visits.log_visit(
                    actor=user,
                    household=data["household"].household,
                    visited_on=data["visited_on"],
                    found=data["found"],
                    follow_up_case=case,
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, "走访已记录")
                return redirect("serve:me")
        else:
            status = 400
    return render(request, "service/visit_new.html", {"form": form}, status=status)


@login_required
def record_evidence(request: HttpRequest, pk: int) -> Any:
    """The evidence file, to its owner and to reviewers of the area only (never public)."""
    from django.http import FileResponse

    user: Any = request.user
    record = ServiceRecord.objects.visible_to(user).filter(pk=pk).exclude(evidence="").first()
    if record is None:
        raise Http404("材料不存在")
    may = record.user_id == user.pk or (
        user.has_perm("service.approve_servicerecord")
        and _scoped_records(request).filter(pk=pk).exists()
    )
    if not may:
        raise Http404("材料不存在")
    name = (record.evidence.name or "evidence").rsplit("/", 1)[-1]
    return FileResponse(record.evidence.open("rb"), filename=name)

"""Resident and household pages for grid workers and community staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.atlas.people import services
from doorstep.atlas.people.models import PartyMember, PartyStatus, Resident
from doorstep.atlas.places.models import Building, Household
from doorstep.core.masking import mask_birth_date, mask_id_card, mask_phone
from doorstep.core.paging import SortedIds

from .forms import MoveHouseholdForm


def _form_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def masked(resident: Resident) -> dict[str, str]:
    return {
        "id_card": mask_id_card(resident.id_card),
        "phone": mask_phone(resident.phone),
        "birth": mask_birth_date(resident.birth_date),
    }


@login_required
@permission_required("people.view_resident", raise_exception=True)
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household__unit__building"),
        pk=pk,
    )
    party = (
        PartyMember.objects.visible_to(request.user)
        .filter(resident=resident)
        .select_related("organisation", "reported_community")
        .first()
    )
    return render(
        request,
        "atlas/resident.html",
        {
            "resident": resident,
            "masked": masked(resident),
            "party": party,
            "can_unmask": request.user.has_perm("people.unmask_personal_data"),
            "can_edit": request.user.has_perm("people.change_resident"),
            "can_delete": request.user.has_perm("people.delete_resident"),
        },
    )


@require_POST
@login_required
@permission_required("people.unmask_personal_data", raise_exception=True)
def resident_unmask(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: show the numbers in clear to an allowed role; writes an audit entry."""
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    values = services.unmask(resident=resident, actor=actor_of(request))
    return render(request, "atlas/_unmasked.html", {"values": values})


def _resident_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    kwargs = {
        "name": data["name"],
        "residence_type": data["residence_type"],
        "relation": data["relation"],
        "gender": data.get("gender") or "",
        "note": data.get("note") or "",
    }
    if data.get("birth_date"):  # blank when editing keeps the stored date (never shown)
        kwargs["birth_date"] = data["birth_date"]
    return kwargs


@require_POST
@login_required
@permission_required("people.delete_resident", raise_exception=True)
def resident_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """注销: remove a resident from the ledger (audited), back to their household."""
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    household_id = resident.household_id
    try:
        services.delete_resident(resident=resident, actor=actor_of(request))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("atlas:resident", pk=pk)
    messages.success(request, f"已注销居民 {resident.name}")
    return redirect("atlas:household", pk=household_id)


@login_required
@permission_required("people.add_resident", raise_exception=True)
def resident_create(request: HttpRequest, pk: int) -> HttpResponse:
    from .forms import ResidentForm

    household = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.create_resident(
                household=household,
                actor=actor_of(request),
                id_card=form.cleaned_data["id_card"],
                phone=form.cleaned_data["phone"],
                tags=form.cleaned_data["tags"],
                **_resident_kwargs(form.cleaned_data),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"已新增居民 {resident.name}")
            return redirect("atlas:household", pk=household.pk)
    return render(
        request,
        "atlas/resident_form.html",
        {"form": form, "household": household, "resident": None},
    )


@login_required
@permission_required("people.change_resident", raise_exception=True)
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    from .forms import EditResidentForm

    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    initial: dict[str, Any] = {
        "name": resident.name,
        "residence_type": resident.residence_type,
        "relation": resident.relation,
        "gender": resident.gender,
        "tags": resident.tags or [],
        "note": resident.note,
    }
    # The birth date is never put into the form: it would show in clear what the page masks.
    # Left blank, the stored one stays.
    form = EditResidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_resident(
                resident=resident,
                actor=actor_of(request),
                id_card=data["id_card"] or None,
                phone=data["phone"] or None,
                tags=data["tags"],
                **_resident_kwargs(data),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("atlas:resident", pk=resident.pk)
    return render(
        request,
        "atlas/resident_form.html",
        {
            "form": form,
            "household": resident.household,
            "resident": resident,
            "masked": masked(resident),
        },
    )


@login_required
@permission_required("places.change_household", raise_exception=True)
def household_move(request: HttpRequest, pk: int) -> HttpResponse:
    """迁移户: move a household to another building/unit/room within the user's scope."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("unit__building"), pk=pk
    )
    buildings = Building.objects.visible_to(request.user).order_by("name")
    error = ""
    if request.method == "POST":
        form = MoveHouseholdForm(request.POST)
        building = None
        if form.is_valid():
            building = buildings.filter(pk=form.cleaned_data["building"]).first()
        if building is None:
            error = "请选择您负责范围内的楼栋，并填写单元和室号（各不超过20个字）"
        else:
            try:
                services.move_household(
                    household=household,
                    building=building,
                    unit_number=form.cleaned_data["unit"],
                    room=form.cleaned_data["room"],
                    actor=actor_of(request),
                )
            except ValidationError as exc:
                error = "；".join(exc.messages)
            else:
                messages.success(request, f"已迁移至 {household.address}")
                return redirect("atlas:household", pk=household.pk)
    return render(
        request,
        "atlas/household_move.html",
        {"household": household, "buildings": buildings, "error": error},
    )


@login_required
@permission_required("people.view_partymember", raise_exception=True)
def party_members(request: HttpRequest) -> HttpResponse:
    """党员名册: members in scope, with organisation relationship and dual reporting."""
    qs = PartyMember.objects.visible_to(request.user)
    status = request.GET.get("status")
    if status not in PartyStatus.values:
        status = None
    if status:
        qs = qs.filter(status=status)
    if request.GET.get("in_service"):
        qs = qs.filter(in_service=True)
    # A street's roll is thousands of members sorted by name across the scope's joins: the
    # page's ids and the total are kept until a table they were read from is written.
    rows = qs.select_related(
        "resident__household__unit__building", "organisation", "reported_community"
    )
    listed: Any = SortedIds(qs.order_by("resident__name", "pk"), rows, "party_roll")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    if page.paginator.count == 0 and request.GET.get("page"):
        raise Http404
    return render(request, "atlas/party_members.html", {"page": page, "status": status})

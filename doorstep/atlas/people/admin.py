"""People in the back office: residents, party members, central households and links.

Personal numbers never appear in clear here: the encrypted fields and their hashes are left
out of every form, and lists and pages show the masked forms only (unmasking is a separate,
audited action on the resident page). Residents are registered through the ledger pages
and imports, which validate the numbers; edits and deletions here go through the audited
services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from doorstep.accounts.typing import actor_of
from doorstep.atlas.organisations.models import Organisation
from doorstep.atlas.places.models import Household
from doorstep.core import audit
from doorstep.core.admin import ScopedAdminMixin, ScopedChoicesMixin
from doorstep.core.masking import mask_birth_date, mask_id_card, mask_phone
from doorstep.core.models import AuditAction

from . import households, services
from .models import CentralHousehold, HouseholdLink, PartyMember, Resident


class DeletesThroughService:
    """Deleting, one row or a selection, goes through the domain's service (audited, and
    keeping the population counters): `delete_through(obj, actor)`."""

    def delete_through(self, obj: Any, actor: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_through(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_through(obj, request.user)


class ResidentForm(forms.ModelForm):
    # An allow-list, so a personal field added to the model later stays out until chosen.
    # Never here: id_card, phone, tags (encrypted), their hashes and last-4 digits.
    class Meta:
        model = Resident
        fields = ("name", "user", "gender", "birth_date", "residence_type", "relation", "note")


@admin.register(Resident)
class ResidentAdmin(DeletesThroughService, ScopedAdminMixin, admin.ModelAdmin):
    form = ResidentForm
    list_display = ("name", "household", "grid", "residence_type", "masked_id_card", "masked_phone")
    list_filter = ("residence_type", "relation")
    search_fields = ("name", "search_text", "=id_last4", "=phone_last4")
    list_select_related = ("household__unit__building", "grid")
    autocomplete_fields = ("household", "user")
    fields = (
        "name",
        "household",
        "grid",
        "user",
        "gender",
        "birth_date",
        "residence_type",
        "relation",
        "note",
        "masked_id_card",
        "masked_phone",
    )
    readonly_fields = ("household", "grid", "masked_id_card", "masked_phone", "birth_year")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The birth date is eight digits of the ID number: only the year to those who may
        # not unmask (and the form leaves the stored date alone).
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("people.unmask_personal_data"):
            fields[fields.index("birth_date")] = "birth_year"
        return fields

    @admin.display(description=_("出生年份"))
    def birth_year(self, obj: Resident) -> str:
        return mask_birth_date(obj.birth_date) or "—"

    @admin.display(description=_("身份证号"))
    def masked_id_card(self, obj: Resident) -> str:
        return mask_id_card(obj.id_card) or "—"

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: Resident) -> str:
        return mask_phone(obj.phone) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registration validates ID numbers: ledger pages and imports

    def save_model(self, request: HttpRequest, obj: Resident, form: Any, change: bool) -> None:
        # `obj` already carries the new values; the service compares against the stored row.
        stored = Resident.objects.get(pk=obj.pk)
        fields = {f: getattr(obj, f) for f in services.EDITABLE if f in form.fields}
        if "user" in form.changed_data:
            stored.user = obj.user
        services.update_resident(resident=stored, actor=actor_of(request), **fields)
        if "user" in form.changed_data:
            audit.record(
                actor=request.user,
                action=AuditAction.UPDATE,
                target=stored,
                detail={"fields": ["user"], "user": obj.user.get_username() if obj.user else None},
            )

    def delete_through(self, obj: Resident, actor: Any) -> None:
        services.delete_resident(resident=obj, actor=actor)


@admin.register(PartyMember)
class PartyMemberAdmin(DeletesThroughService, ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "resident",
        "organisation",
        "status",
        "in_service",
        "reported_community",
        "mobile",
    )
    list_filter = ("status", "in_service", "mobile")
    search_fields = ("resident__name", "resident__search_text", "work_unit")
    autocomplete_fields = ("resident", "organisation", "reported_community")
    list_select_related = ("resident", "organisation", "reported_community")

    def save_model(self, request: HttpRequest, obj: PartyMember, form: Any, change: bool) -> None:
        households.save_party_member(member=obj, actor=actor_of(request))

    def delete_through(self, obj: PartyMember, actor: Any) -> None:
        households.delete_party_member(member=obj, actor=actor)


@admin.register(CentralHousehold)
class CentralHouseholdAdmin(DeletesThroughService, ScopedChoicesMixin, admin.ModelAdmin):
    list_display = ("organisation", "household", "keeper", "links")
    search_fields = ("organisation__name", "keeper__resident__name")
    autocomplete_fields = ("organisation", "household", "keeper")
    list_select_related = ("organisation", "household__unit__building", "keeper__resident")

    @admin.display(description=_("联系户数"))
    def links(self, obj: CentralHousehold) -> int:
        return obj.links.count()

    def delete_through(self, obj: CentralHousehold, actor: Any) -> None:
        households.delete_central_household(central=obj, actor=actor)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CentralHousehold]:
        visible = Organisation.objects.visible_to(request.user)
        return super().get_queryset(request).filter(organisation__in=visible)


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(DeletesThroughService, ScopedChoicesMixin, admin.ModelAdmin):
    list_display = ("household", "central", "since")
    search_fields = ("central__organisation__name", "household__unit__building__name")
    autocomplete_fields = ("central", "household")
    list_select_related = ("central__organisation", "household__unit__building")

    def get_queryset(self, request: HttpRequest) -> QuerySet[HouseholdLink]:
        visible = Household.objects.visible_to(request.user)
        return super().get_queryset(request).filter(household__in=visible)

    def save_model(self, request: HttpRequest, obj: HouseholdLink, form: Any, change: bool) -> None:
        households.save_link(link=obj, actor=actor_of(request))

    def delete_through(self, obj: HouseholdLink, actor: Any) -> None:
        households.delete_link(link=obj, actor=actor)


# Households (a places model) are managed here: they save through people.households, which
# keeps the population counters. A household's grid is derived from its building and is
# never typed in; moving one to another unit carries its residents along and is audited,
# so it happens on the 迁移户 page (people.services.move_household), not here.
@admin.register(Household)
class HouseholdAdmin(DeletesThroughService, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("address", "grid", "tenure")
    list_filter = ("tenure",)
    search_fields = ("room", "unit__building__name", "unit__building__search_text")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit__building", "grid")
    readonly_fields = ("grid",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("unit")  # moves go through 迁移户, which carries the residents along
        return fields

    def save_model(self, request: HttpRequest, obj: Household, form: Any, change: bool) -> None:
        households.save_household(household=obj, actor=actor_of(request))

    def delete_through(self, obj: Household, actor: Any) -> None:
        households.delete_household(household=obj, actor=actor)

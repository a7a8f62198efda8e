"""Service sites, rooms and bookings in the back office.

Sites are edited with their rooms, weekly hours, special days and photos inline, by users
holding `sites.manage_site`, and only the sites their staff scope covers (`managed_by`).
The contact phone is stored encrypted and shown masked; it can be replaced, never read
back. Bookings are read-only here: their status changes only through the services (the
approve / decline / cancel actions call them, with their checks and notifications).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from doorstep.accounts.typing import actor_of
from doorstep.core.admin import ScopedAdminMixin, ScopedChoicesMixin
from doorstep.core.masking import mask_phone

from . import services
from .errors import SiteError
from .models import (
    Booking,
    OpeningHours,
    Room,
    ServiceKind,
    ServiceSite,
    SitePhoto,
    SpecialDay,
)

PHONE_CHARS = set("0123456789-+ ")


class ManageSitePermission:
    """Add, change and delete need `sites.manage_site`; viewing needs it or a view perm."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.has_perm("sites.manage_site"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site")) or super().has_view_permission(  # type: ignore[misc]
            request, obj
        )


class ServiceSiteForm(forms.ModelForm):
    new_contact_phone = forms.CharField(
        label=_("联系电话（新）"),
        required=False,
        max_length=20,
        help_text=_("已保存的号码加密存储、脱敏显示；填写则替换，留空则不变"),
    )

    class Meta:
        model = ServiceSite
        fields = (
            "name",
            "kind",
            "organisation",
            "territory",
            "building",
            "address",
            "lat",
            "lon",
            "contact_name",
            "services",
            "open_on_holidays",
            "description",
            "active",
        )

    def clean_new_contact_phone(self) -> str:
        value = (self.cleaned_data.get("new_contact_phone") or "").strip()
        digits = [c for c in value if c.isdigit()]
        if value and (not set(value) <= PHONE_CHARS or not 7 <= len(digits) <= 15):
            raise forms.ValidationError("请填写有效的电话号码（7到15位数字）")
        return value

    def save(self, commit: bool = True) -> Any:
        phone = self.cleaned_data.get("new_contact_phone")
        if phone:
            self.instance.contact_phone = phone
        return super().save(commit=commit)


class SiteScopedInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site"))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.manage_site")) or super().has_view_permission(
            request, obj
        )


class RoomInline(SiteScopedInline):
    model = Room
    fields = (
        "name",
        "capacity",
        "equipment",
        "bookable_by_residents",
        "bookable_by_teams",
        "bookable_by_co_building",
        "bookable_by_staff",
        "needs_approval",
        "buffer_minutes",
        "active",
    )
    show_change_link = True


class SiteHoursInline(SiteScopedInline):
    model = OpeningHours
    fk_name = "site"
    fields = ("weekday", "opens", "closes")


class RoomHoursInline(SiteScopedInline):
    model = OpeningHours
    fk_name = "room"
    fields = ("weekday", "opens", "closes")
    verbose_name_plural = _("房间自己的开放时间（不填则按阵地开放时间）")


class SpecialDayInline(SiteScopedInline):
    model = SpecialDay
    fields = ("date", "room", "closed", "opens", "closes", "note")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "room":
            site_id = (
                request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            )
            kwargs["queryset"] = (
                Room.objects.filter(site_id=site_id) if site_id else Room.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SitePhotoInline(SiteScopedInline):
    model = SitePhoto
    fields = ("image", "caption", "order")


@admin.register(ServiceSite)
class ServiceSiteAdmin(ManageSitePermission, ScopedChoicesMixin, admin.ModelAdmin):
    form = ServiceSiteForm
    list_display = ("name", "kind", "territory", "organisation", "masked_phone", "active")
    list_filter = ("kind", "active", "open_on_holidays", "services")
    search_fields = ("name", "address")
    list_select_related = ("territory", "organisation")
    filter_horizontal = ("services",)
    readonly_fields = ("masked_phone",)
    inlines = (RoomInline, SiteHoursInline, SpecialDayInline, SitePhotoInline)
    fieldsets = (
        (None, {"fields": ("name", "kind", "organisation", "territory", "active")}),
        (_("位置"), {"fields": ("building", "address", "lat", "lon")}),
        (_("联系"), {"fields": ("contact_name", "masked_phone", "new_contact_phone")}),
        (_("服务"), {"fields": ("services", "open_on_holidays", "description")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceSite]:
        return super().get_queryset(request).managed_by(request.user)  # type: ignore[attr-defined]

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: ServiceSite) -> str:
        return mask_phone(obj.contact_phone)

    def save_model(self, request: HttpRequest, obj: ServiceSite, form: Any, change: bool) -> None:
        obj.full_clean(exclude=["contact_phone"])
        super().save_model(request, obj, form, change)


@admin.register(ServiceKind)
class ServiceKindAdmin(ManageSitePermission, admin.ModelAdmin):
    list_display = ("name", "code", "order", "active")
    list_editable = ("order", "active")
    search_fields = ("name", "code")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # sites refer to them: switch 启用 off instead


@admin.register(Room)
class RoomAdmin(ManageSitePermission, admin.ModelAdmin):
    list_display = ("name", "site", "capacity", "needs_approval", "buffer_minutes", "active")
    list_filter = ("needs_approval", "active", "site__kind")
    search_fields = ("name", "site__name")
    list_select_related = ("site",)
    inlines = (RoomHoursInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Room]:
        sites = ServiceSite.objects.managed_by(request.user).values("pk")
        return super().get_queryset(request).filter(site_id__in=sites)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = ServiceSite.objects.managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReasonActionForm(ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


@admin.register(Booking)
class BookingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("room", "start", "end", "booker", "organisation", "attendees", "status")
    list_filter = ("status", "room__site__kind")
    search_fields = ("purpose", "room__name", "room__site__name")
    date_hierarchy = "start"
    list_select_related = ("room__site", "booker", "organisation")
    show_full_result_count = False
    action_form = ReasonActionForm
    actions = ("approve_selected", "decline_selected", "cancel_selected")
    fields = (
        "room",
        "booker",
        "organisation",
        "purpose",
        "start",
        "end",
        "attendees",
        "status",
        "decided_by",
        "decided_at",
        "decline_reason",
        "cancel_reason",
        "checked_in_at",
        "series",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("sites.approve_booking")) or super().has_view_permission(
            request, obj
        )

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("sites.approve_booking"))

    def _run(self, request: HttpRequest, queryset: QuerySet[Booking], verb: str, fn: Any) -> None:
        done = 0
        for booking in queryset.order_by("start"):
            try:
                fn(booking)
                done += 1
            except SiteError as exc:
                self.message_user(request, f"{booking}：{exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"已{verb} {done} 条预订", messages.SUCCESS)

    @admin.action(description=_("通过所选预订"), permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        self._run(
            request,
            queryset,
            "通过",
            lambda b: services.approve(actor=actor_of(request), booking=b),
        )

    @admin.action(description=_("不通过所选预订（须填写原因）"), permissions=["approve"])
    def decline_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        reason = request.POST.get("reason", "")
        if not reason.strip():
            self.message_user(request, "请在“原因”中填写不通过的原因", messages.ERROR)
            return
        self._run(
            request,
            queryset,
            "驳回",
            lambda b: services.decline(actor=actor_of(request), booking=b, reason=reason),
        )

    @admin.action(description=_("取消所选预订"), permissions=["approve"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        reason = request.POST.get("reason", "")
        self._run(
            request,
            queryset,
            "取消",
            lambda b: services.cancel(actor=actor_of(request), booking=b, reason=reason),
        )

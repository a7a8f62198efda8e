"""Cases in the back office: the category tree and the holiday table are configured here;
cases and their events are only read.

A case changes only through `services.perform` (which checks the move, writes the event,
the rollups and the notifications), so the admin offers no add, change or delete for
cases or events, superusers included. Contact details are shown masked.

Categories are deactivated (启用 off), not deleted: cases refer to them, and their codes
are Open311 service codes that clients keep. A category's parent and code are fixed once
it exists; its level and full name follow from its parent.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from doorstep.core.admin import ScopedAdminMixin, ScopedChoicesMixin
from doorstep.core.masking import mask_name, mask_phone

from .catalogue import SEPARATOR
from .models import (
    Assignment,
    Case,
    CaseEvent,
    Category,
    HolidayOverride,
    HotlineLabel,
    LimitUnit,
)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = (
            "code",
            "name",
            "parent",
            "source",
            "kind",
            "urgency",
            "sign_limit",
            "sign_unit",
            "resolve_limit",
            "resolve_unit",
            "escalate_when_overdue",
            "default_handler",
            "active",
            "description",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent = data.get("parent")
        if self.instance.pk is None and parent is not None and parent.level >= 3:
            self.add_error("parent", "分类最多三级，不能再往下加")
        if self.instance.pk is None and parent is not None and parent.cases.exists():
            self.add_error("parent", "该分类下已有工单，不能再加下级分类")
        for field, unit_field in (("sign_limit", "sign_unit"), ("resolve_limit", "resolve_unit")):
            amount, unit = data.get(field), data.get(unit_field)
            if amount is None:
                continue
            top = 720 if unit == LimitUnit.HOURS else 365
            if not 1 <= amount <= top:
                self.add_error(field, f"时限须在1到{top}之间")
        return data


@admin.register(Category)
class CategoryAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    form = CategoryForm
    list_display = (
        "code",
        "indented_name",
        "urgency",
        "sign_limit_display",
        "resolve_limit_display",
        "escalate_when_overdue",
        "default_handler",
        "active",
    )
    list_display_links = ("code", "indented_name")
    list_filter = ("source", "level", "urgency", "kind", "active", "escalate_when_overdue")
    search_fields = ("code", "name", "full_name")
    ordering = ("code",)
    list_select_related = ("default_handler",)
    autocomplete_fields = ("parent", "default_handler")
    readonly_fields = ("level", "full_name")
    list_per_page = 100
    actions = ("activate", "deactivate")

    @admin.display(description=_("名称"), ordering="code")
    def indented_name(self, obj: Category) -> str:
        return "\u3000" * (obj.level - 1) + obj.name

    @admin.display(description=_("签收时限"))
    def sign_limit_display(self, obj: Category) -> str:
        return f"{obj.sign_limit}{obj.get_sign_unit_display()}"

    @admin.display(description=_("办结时限"))
    def resolve_limit_display(self, obj: Category) -> str:
        if not obj.resolve_limit:
            return "按紧急程度"
        return f"{obj.resolve_limit}{obj.get_resolve_unit_display()}"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The code is the Open311 service code; moving a node renames its subtree.
            fields += ["code", "parent", "source"]
        return fields

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        obj.level = obj.parent.level + 1 if obj.parent else 1
        obj.full_name = _path_of(obj)
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            _rename_below(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("启用所选分类"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        n = queryset.update(active=True)
        self.message_user(request, f"已启用 {n} 个分类", messages.SUCCESS)

    @admin.action(
        description=_("停用所选分类（不再可选，已有工单不受影响）"), permissions=["change"]
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        n = queryset.update(active=False)
        self.message_user(request, f"已停用 {n} 个分类", messages.SUCCESS)


def _path_of(category: Category) -> str:
    names = [category.name]
    node = category.parent
    while node is not None:
        names.insert(0, node.name)
        node = node.parent
    return SEPARATOR.join(names)


def _rename_below(parent: Category) -> None:
    """Keep the full names of the descendants in line after a rename."""
    for child in parent.children.all():
        child.full_name = parent.full_name + SEPARATOR + child.name
        child.save(update_fields=["full_name"])
        _rename_below(child)


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "name")
    list_filter = ("is_workday",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description=_("星期"))
    def weekday(self, obj: HolidayOverride) -> str:
        return "一二三四五六日"[obj.date.weekday()]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("seq", "at", "move", "from_status", "to_status", "actor_name", "note")
    readonly_fields = fields
    ordering = ("seq",)


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ("role", "organisation", "user", "state", "via", "sign_due_at", "signed_at")
    readonly_fields = fields


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = (
        "number",
        "title",
        "category",
        "status",
        "flag",
        "territory",
        "owner",
        "created_at",
        "due_at",
    )
    list_filter = ("status", "flag", "kind", "source", "urgency")
    search_fields = ("number", "title", "external_no")
    date_hierarchy = "created_at"
    list_select_related = ("category", "territory", "owner")
    show_full_result_count = False
    fields = (
        "number",
        "kind",
        "source",
        "external_no",
        "category",
        "title",
        "description",
        "urgency",
        "status",
        "flag",
        "territory",
        "owner",
        "building",
        "address",
        "reporter",
        "anonymous",
        "masked_contact_name",
        "masked_contact_phone",
        "created_at",
        "accepted_at",
        "due_at",
        "resolved_at",
        "closed_at",
        "resolution",
        "rating",
        "solved",
        "rating_comment",
        "merged_into",
        "version",
    )
    readonly_fields = fields
    inlines = (AssignmentInline, CaseEventInline)

    @admin.display(description=_("联系人"))
    def masked_contact_name(self, obj: Case) -> str:
        return mask_name(obj.contact_name)

    @admin.display(description=_("联系电话"))
    def masked_contact_phone(self, obj: Case) -> str:
        return mask_phone(obj.contact_phone)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "seq", "at", "move", "from_status", "to_status", "actor_name")
    list_filter = ("move",)
    search_fields = ("case__number", "actor_name")
    date_hierarchy = "at"
    list_select_related = ("case",)
    show_full_result_count = False
    fields = ("case", "seq", "at", "move", "from_status", "to_status", "actor_name", "note", "data")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        visible = Case.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(case_id__in=visible)


@admin.register(HotlineLabel)
class HotlineLabelAdmin(admin.ModelAdmin):
    """热线分类对照: other systems' 问题分类 and the category our dispatchers chose."""

    list_display = ("label", "category", "chosen_by", "chosen_at")
    search_fields = ("label",)
    autocomplete_fields = ("category",)
    readonly_fields = ("chosen_by", "chosen_at")

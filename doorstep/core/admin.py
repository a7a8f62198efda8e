"""Back-office pieces of the shared kernel.

`ScopedAdminMixin` makes an admin list, and offer as choices, only rows inside the admin
user's data scope (`.visible_to(user)`), like every other user-facing queryset;
`ScopedChoicesMixin` scopes the choices only, for models without `visible_to`.

The audit log is readable by audit admins and writable by nobody: the database refuses
UPDATE and DELETE on the table anyway (triggers); the admin does not even offer them, to
superusers included.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


class ScopedChoicesMixin:
    """Foreign-key choices limited to what the admin user may see."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if "queryset" not in kwargs and hasattr(related._default_manager, "visible_to"):
            kwargs["queryset"] = related._default_manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A sidebar filter by a related row that offers only the rows the admin user may see
    (Django's own lists every row of the related table)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        related = field.related_model
        if not hasattr(related._default_manager, "visible_to"):
            return super().field_choices(field, request, model_admin)
        rows = related._default_manager.visible_to(request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return [(r.pk, str(r)) for r in rows.order_by(*ordering)[:500]]


class ScopedAdminMixin(ScopedChoicesMixin):
    """Rows, foreign-key choices and sidebar filters limited to what the admin user may
    see."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = []
        for entry in super().get_list_filter(request):  # type: ignore[misc]
            field = None
            if isinstance(entry, str) and "__" not in entry:
                field = self.model._meta.get_field(entry)  # type: ignore[attr-defined]
            if field is not None and field.is_relation and field.many_to_one:
                filters.append((entry, ScopedRelatedFilter))
            else:
                filters.append(entry)
        return filters


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "at", "actor_name", "action", "target_type", "target_id", "ip")
    list_filter = ("action", "at", "target_type")
    date_hierarchy = "at"
    search_fields = ("actor_name", "target_id", "ip")
    ordering = ("-id",)
    actions = None
    show_full_result_count = False  # no COUNT(*) over the whole log on every page
    fields = (
        "id",
        "at",
        "actor_name",
        "action",
        "target_type",
        "target_id",
        "ip",
        "detail_pretty",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description=_("详情"))
    def detail_pretty(self, obj: AuditEntry) -> Any:
        text = json.dumps(obj.detail, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre style='margin:0'>{}</pre>", text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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


class ScopedAdminMixin(ScopedChoicesMixin):
    """Rows and foreign-key choices limited to what the admin user may see."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[misc]


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

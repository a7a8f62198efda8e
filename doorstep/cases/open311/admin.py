"""API keys in the back office: made here (the secret is shown once), revoked here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import keys
from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "active",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("active",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    actions = ("revoke",)
    READ_ONLY = ("prefix", "user", "active", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("name", "user", "rate_limit_per_minute")
        return ("name", "rate_limit_per_minute", *self.READ_ONLY)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.READ_ONLY

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead, so the record of who held a key stays

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        with transaction.atomic():
            secret = keys.fill_secret(obj)
            super().save_model(request, obj, form, change)
            keys.record_issue(obj, request.user)
        self.message_user(
            request,
            f"接口密钥已生成，只显示这一次，请立即复制并妥善保存：{secret}",
            messages.WARNING,
        )

    @admin.action(description=_("吊销所选密钥"), permissions=("change",))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        n = keys.revoke_keys(queryset, actor=request.user)
        self.message_user(request, f"已吊销 {n} 个密钥。", messages.SUCCESS)

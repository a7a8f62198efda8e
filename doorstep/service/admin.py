"""Back office for the service app: themes, points rules, the reward catalogue (editable,
scoped), and read-only lists of teams, posts, records and ledger lines (these change
through the services, which keep the ledgers and balances in step)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from doorstep.accounts.scopes import path_q, scope_of
from doorstep.core.admin import ScopedAdminMixin, ScopedChoicesMixin

from .models import PointLine, PointRule, Post, Reward, ServiceRecord, Team, Theme
from .models.points import scoped_rewards


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "colour", "order")


@admin.register(PointRule)
class PointRuleAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Rules of one's own area, plus the district-wide defaults (read-only unless one's
    scope is everything)."""

    list_display = ("code", "organisation", "points", "cap", "period", "active")
    list_filter = ("code", "period", "active")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PointRule]:
        scope = scope_of(request.user)
        qs = super().get_queryset(request)
        if scope.everything:
            return qs
        return qs.filter(path_q("organisation__path", scope) | Q(organisation__isnull=True))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.organisation_id is None:
            return bool(scope_of(request.user).everything)
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


@admin.register(Reward)
class RewardAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    list_display = ("name", "organisation", "cost", "stock", "active")
    list_filter = ("active",)
    readonly_fields = ("organisation_path",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reward]:
        return scoped_rewards(request.user)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(ScopedAdminMixin, ReadOnly):
    list_display = ("name", "organisation", "theme", "leader", "active")


@admin.register(Post)
class PostAdmin(ScopedAdminMixin, ReadOnly):
    list_display = ("title", "organisation", "slots", "active")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ScopedAdminMixin, ReadOnly):
    list_display = ("user", "organisation", "source", "hours", "status", "started_at")
    list_filter = ("source", "status")


@admin.register(PointLine)
class PointLineAdmin(ScopedAdminMixin, ReadOnly):
    list_display = ("user", "kind", "rule", "amount", "balance_after", "source", "created_at")
    list_filter = ("kind", "rule")

"""Authentication backend: permissions come from the roles a user holds right now."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils import timezone

from doorstep.core.access import held


class RoleBackend(ModelBackend):
    """Django's ModelBackend, with roles held through active memberships in place of groups."""

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        now = timezone.now()
        return Permission.objects.filter(
            Q(role__membership__valid_from__isnull=True) | Q(role__membership__valid_from__lte=now),
            Q(role__membership__valid_to__isnull=True) | Q(role__membership__valid_to__gt=now),
            role__membership__user=user_obj,
        ).distinct()

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """The user's own and their roles' permissions (ModelBackend asks twice), read with
        the rest of what the user holds (`core.access.held`: the scopes and the workbench
        read the same two queries) and kept on the user object for the request."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
                user_obj._perm_cache = {
                    f"{app}.{codename}"
                    for app, codename in perms.values_list("content_type__app_label", "codename")
                }
            else:
                user_obj._perm_cache = held(user_obj).perms
        return user_obj._perm_cache

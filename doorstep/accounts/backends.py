"""Authentication backend: permissions come from the roles a user holds right now."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils import timezone


class RoleBackend(ModelBackend):
    """Django's ModelBackend, with roles held through active memberships in place of groups."""

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        now = timezone.now()
        return Permission.objects.filter(
            Q(role__membership__valid_from__isnull=True) | Q(role__membership__valid_from__lte=now),
            Q(role__membership__valid_to__isnull=True) | Q(role__membership__valid_to__gt=now),
            role__membership__user=user_obj,
        ).distinct()

"""Who a service acts for: the types of its `actor` and `user` parameters (never `Any`).

`Actor` is a signed-in user: the one who acts (files, approves, books …) or the one a
record is about. `Viewer` is whoever asks, signed in or not (`request.user`), for the
predicates and reads a page calls before anyone has signed in. A page behind
`login_required` hands its user to a service as `actor_of(request)`.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User

Actor: TypeAlias = User
Viewer: TypeAlias = User | AnonymousUser


def actor_of(request: HttpRequest) -> Actor:
    """The signed-in user of a request behind `login_required`, typed as the actor."""
    user = request.user
    if not isinstance(user, User):  # behind login_required this cannot happen
        raise PermissionDenied
    return user

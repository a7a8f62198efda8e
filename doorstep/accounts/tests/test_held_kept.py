"""What a user holds (core.access.held: memberships, scopes, permissions) is kept across
requests in the figure cache, and the keeping never outlives a change: a membership
revoked, a role's permission withdrawn, a membership that ends by its date."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone

from doorstep.accounts.models import Membership, User
from doorstep.core.access import held

pytestmark = pytest.mark.django_db(transaction=True)


def _now_held(pk: int):
    return held(User.objects.get(pk=pk))  # a new user object: as a new request sees it


def test_held_is_kept_until_a_membership_or_role_changes_or_ends(world, django_assert_num_queries):
    officer = world.personas["community_officer"]
    first = _now_held(officer.pk)
    assert first.rows and "cases.view_case" in first.perms
    assert _now_held(officer.pk) == first  # a new process learns the tables first, then keeps
    with django_assert_num_queries(1):  # the user's row; what they hold comes kept
        assert _now_held(officer.pk) == first

    # a role loses a permission: seen at once
    role = Membership.objects.filter(user=officer).first().role
    perm = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    role.permissions.remove(perm)
    assert "cases.view_case" not in _now_held(officer.pk).perms
    role.permissions.add(perm)
    assert "cases.view_case" in _now_held(officer.pk).perms

    # a membership that ends in an hour: held now, gone then, with no write in between
    ends = timezone.now() + dt.timedelta(hours=1)
    Membership.objects.filter(user=officer).update(valid_to=ends)
    assert _now_held(officer.pk).rows == first.rows
    with django_assert_num_queries(1):
        assert _now_held(officer.pk).rows == first.rows
    with time_machine.travel(ends + dt.timedelta(minutes=1)):
        assert _now_held(officer.pk).rows == []

    # revoked: seen at once
    Membership.objects.filter(user=officer).update(valid_to=None)
    assert _now_held(officer.pk).rows == first.rows
    Membership.objects.filter(user=officer).delete()
    assert _now_held(officer.pk).rows == []

"""The security admin cannot take over an account that reads personal data (trust probe,
finding 2).

Before: the security admin set a grid leader's password in the admin, logged in as them
and unmasked ID numbers; the change was only in Django's editable admin log. Now the
password (and the e-mail address a reset link would go to) of such an account cannot be
set in the admin; a reset is requested, approved by a second admin, carried out by a
one-time link or a temporary password that must be changed at the next login, written to
the hash-chained audit log and told to the owner.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from doorstep.accounts.models import Approval, User
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PASSWORD
from doorstep.inbox.models import Notification

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_the_security_admin_cannot_set_the_password_of_a_personal_data_account(world, client):
    leader = world.personas["grid_leader_a"]  # may unmask
    client.force_login(world.personas["security_admin"])
    url = reverse("admin:auth_user_password_change", args=[leader.pk])

    page = client.get(url)
    assert page.status_code == 403
    assert "申请重置密码" in page.content.decode()
    posted = client.post(
        url,
        {"password1": "Taken-over-2026", "password2": "Taken-over-2026", "usable_password": "true"},
    )

    assert posted.status_code == 403
    leader = _fresh(leader)
    assert leader.check_password(PASSWORD) and not leader.check_password("Taken-over-2026")
    assert not AuditEntry.objects.filter(action=AuditAction.PASSWORD).exists()
    assert not Client().login(username=leader.username, password="Taken-over-2026")


def test_nor_redirect_its_reset_link_by_changing_the_email(world, client):
    leader = world.personas["grid_leader_a"]
    client.force_login(world.personas["security_admin"])
    client.post(
        reverse("admin:accounts_user_change", args=[leader.pk]),
        {
            "username": leader.username,
            "display_name": leader.display_name,
            "email": "attacker@example.org",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert _fresh(leader).email == ""


def test_an_account_without_personal_data_is_still_reset_directly(world, client):
    sysadmin = world.personas["system_admin"]  # configures the tree, reads no ledger
    client.force_login(world.personas["security_admin"])
    response = client.post(
        reverse("admin:auth_user_password_change", args=[sysadmin.pk]),
        {
            "password1": "New-sys-pass-2026",
            "password2": "New-sys-pass-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert _fresh(sysadmin).check_password("New-sys-pass-2026")


def _request_reset(client, world, target: User) -> Approval:
    client.force_login(world.personas["security_admin"])
    client.post(
        reverse("accounts:request_password_reset", args=[target.pk]),
        {"reason": "本人来电称忘记密码，已核实身份"},
    )
    return Approval.objects.get(kind="password_reset", target=target)


def test_a_reset_by_temporary_password_needs_a_second_admin_and_a_change_at_login(
    world, client, django_capture_on_commit_callbacks
):
    leader = world.personas["grid_leader_a"]  # no e-mail address
    approval = _request_reset(client, world, leader)
    assert (
        approval.status == "pending" and approval.requested_by == world.personas["security_admin"]
    )
    assert _fresh(leader).check_password(PASSWORD)

    # The requester cannot approve it; nor can anyone approve a request about themselves.
    denied = client.post(
        reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"}
    )
    assert denied.status_code == 302
    approval.refresh_from_db()
    assert approval.status == "pending"

    client.force_login(world.personas["audit_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        shown = client.post(
            reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"}
        )
    temporary = re.search(r"<code>([A-Za-z0-9]{12})</code>", shown.content.decode()).group(1)
    assert _fresh(leader).check_password(temporary) and _fresh(leader).must_change_password

    # The owner is told, and on the temporary password sees only the change page.
    assert Notification.objects.filter(user=leader, kind="security").exists()
    owner = Client()
    assert owner.login(username=leader.username, password=temporary)
    assert owner.get("/cases/")["Location"] == reverse("accounts:password_change")
    api = owner.get("/api/residents")
    assert api.status_code == 403 and api.json()["error"] == "password_change_required"
    with django_capture_on_commit_callbacks(execute=True):
        changed = owner.post(
            reverse("accounts:password_change"),
            {
                "old_password": temporary,
                "new_password1": "Leader-own-2026!",
                "new_password2": "Leader-own-2026!",
            },
        )
    assert changed.status_code == 302
    assert not _fresh(leader).must_change_password
    assert owner.get("/cases/").status_code == 200

    steps = [
        (e.action, e.actor_name, e.detail.get("op"))
        for e in AuditEntry.objects.filter(
            action__in=[AuditAction.APPROVAL, AuditAction.PASSWORD]
        ).order_by("id")
    ]
    assert steps == [
        ("approval", "secadmin", "request"),
        ("approval", "auditor", "approve"),
        ("password", "auditor", "reset_temporary"),
        ("password", leader.username, "changed"),
    ]
    assert temporary not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_a_reset_by_link_goes_to_the_owners_address_and_works_once(
    world, client, django_capture_on_commit_callbacks
):
    leader = world.personas["grid_leader_a"]
    User.objects.filter(pk=leader.pk).update(email="leader@example.org")
    approval = _request_reset(client, world, _fresh(leader))
    client.force_login(world.personas["audit_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"}
        )
    (message,) = [m for m in mail.outbox if "重置密码" in m.subject]
    assert message.to == ["leader@example.org"]
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)
    assert _fresh(leader).check_password(PASSWORD)  # nothing changes until the owner acts

    owner = Client()
    form = owner.get(path, follow=True)
    assert "设置新密码" in form.content.decode()
    done = owner.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Leader-link-2026!", "new_password2": "Leader-link-2026!"},
    )
    assert done.status_code == 302
    assert _fresh(leader).check_password("Leader-link-2026!")
    again = Client().get(path, follow=True)
    assert "链接无效或已使用过" in again.content.decode()
    ops = list(
        AuditEntry.objects.filter(action=AuditAction.PASSWORD)
        .order_by("id")
        .values_list("detail__op", flat=True)
    )
    assert ops == ["reset_link", "reset_by_link"]


def test_a_rejected_reset_changes_nothing(world, client):
    leader = world.personas["grid_leader_a"]
    approval = _request_reset(client, world, leader)
    client.force_login(world.personas["audit_admin"])
    client.post(
        reverse("accounts:approval_decide", args=[approval.pk]),
        {"decision": "reject", "note": "未核实身份"},
    )
    approval.refresh_from_db()
    assert (approval.status, approval.note) == ("rejected", "未核实身份")
    assert _fresh(leader).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action=AuditAction.PASSWORD).exists()


def test_forgotten_password_by_email_looks_the_same_for_unknown_addresses(world, client):
    User.objects.filter(pk=world.personas["grid_worker_a"].pk).update(email="gw@example.org")
    known = client.post(reverse("accounts:password_reset"), {"email": "gw@example.org"})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["gw@example.org"]]


def test_only_approvers_see_the_queue(world, client):
    _request_reset(client, world, world.personas["grid_leader_a"])
    for persona, sees in [
        ("audit_admin", True),
        ("security_admin", True),
        ("grid_worker_a", False),
        ("system_admin", False),
    ]:
        client.force_login(world.personas[persona])
        page = client.get(reverse("accounts:approvals")).content.decode()
        assert ("重置" in page and "网格长" in page) == sees, persona

"""The back office: role grants are audited, the audit log is read-only, numbers stay masked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doorstep.accounts.models import ApiToken, Approval, Membership, Role, User
from doorstep.accounts.tokens import issue_token
from doorstep.atlas.organisations.models import Kind, Organisation
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="Root-pass-2026")


def _fresh(user: User) -> User:
    # Permissions are cached on the user object: read them from a new one.
    return User.objects.get(pk=user.pk)


def _role_changes():
    return AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGE)


def test_a_grant_of_a_personal_data_role_waits_for_a_second_admin(world, client):
    """The security admin alone cannot hand out the ledger (trust probe, finding 2): the
    grant is filed; the audit admin approves; only then the membership exists, audited
    with both names."""
    outsider = world.personas["outsider"]
    assert not _fresh(outsider).has_perm("people.view_resident")
    client.force_login(world.personas["security_admin"])
    grid_worker = Role.objects.get(code="grid_worker")

    response = client.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": outsider.pk,
            "organisation": world.grid_a.pk,
            "role": grid_worker.pk,
            "valid_from_0": "",
            "valid_from_1": "",
            "valid_to_0": "",
            "valid_to_1": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("accounts:approvals")
    assert not Membership.objects.filter(user=outsider).exists()
    approval = Approval.objects.get()
    assert (approval.kind, approval.status, approval.target) == ("role_grant", "pending", outsider)
    # The requester cannot approve their own request.
    client.post(reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.status == "pending"
    assert not Membership.objects.filter(user=outsider).exists()

    client.force_login(world.personas["audit_admin"])
    client.post(reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"})

    membership = Membership.objects.get(user=outsider, role=grid_worker)
    entry = _role_changes().get(target_id=str(membership.pk))
    assert entry.actor_id == world.personas["audit_admin"].pk
    assert entry.detail["op"] == "add"
    assert entry.detail["role"] == "grid_worker"
    assert entry.detail["user"] == "outsider"
    assert entry.detail["requested_by"] == "secadmin"
    steps = AuditEntry.objects.filter(action=AuditAction.APPROVAL).order_by("id")
    assert [(e.actor_name, e.detail["op"]) for e in steps] == [
        ("secadmin", "request"),
        ("auditor", "approve"),
    ]
    assert _fresh(outsider).has_perm("people.view_resident")


def test_granting_a_back_office_role_makes_the_user_staff(world, client):
    outsider = world.personas["outsider"]
    client.force_login(world.personas["security_admin"])
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": outsider.pk,
            "organisation": world.street.pk,
            "role": Role.objects.get(code="audit_admin").pk,
        },
    )
    assert response.status_code == 302
    assert _fresh(outsider).is_staff


def _user_change_data(user: User, rows: list[dict], initial: int) -> dict:
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{i}-{key}"] = value
    return data


def test_memberships_changed_on_the_user_page_are_audited(world, client):
    worker = world.personas["grid_worker_b"]
    held = Membership.objects.get(user=worker)
    client.force_login(world.personas["security_admin"])
    data = _user_change_data(
        worker,
        [
            {
                "id": held.pk,
                "user": worker.pk,
                "organisation": world.grid_b.pk,
                "role": held.role_id,
                "DELETE": "on",
            },
            {
                "user": worker.pk,
                "organisation": world.grid_c.pk,
                "role": Role.objects.get(code="grid_leader").pk,
            },
        ],
        initial=1,
    )

    response = client.post(reverse("admin:accounts_user_change", args=[worker.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    # Taking a role away is immediate; the new one reads personal data: it waits for a
    # second admin (approvals.py).
    assert [e.detail["op"] for e in _role_changes()] == ["delete"]
    assert not Membership.objects.filter(user=worker).exists()
    client.force_login(world.personas["audit_admin"])
    approval = Approval.objects.get(kind="role_grant", target=worker)
    client.post(reverse("accounts:approval_decide", args=[approval.pk]), {"decision": "approve"})
    ops = sorted(e.detail["op"] for e in _role_changes())
    assert ops == ["add", "delete"]
    assert list(Membership.objects.filter(user=worker).values_list("role__code", flat=True)) == [
        "grid_leader"
    ]
    assert _fresh(worker).has_perm("people.unmask_personal_data")


def test_security_admin_cannot_change_their_own_roles(world, client):
    me = world.personas["security_admin"]
    client.force_login(me)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": me.pk,
            "organisation": world.street.pk,
            "role": Role.objects.get(code="audit_admin").pk,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Membership.objects.filter(user=me, role__code="audit_admin").exists()
    assert not _role_changes().exists()


def test_role_permission_change_is_audited(world, client):
    client.force_login(world.personas["security_admin"])
    role = Role.objects.get(code="street_officer")
    perms = list(role.permissions.values_list("pk", flat=True))
    dropped = role.permissions.get(codename="export_ledger")
    response = client.post(
        reverse("admin:accounts_role_change", args=[role.pk]),
        {
            "code": role.code,
            "name": role.name,
            "scope": role.scope,
            "description": role.description,
            "permissions": [p for p in perms if p != dropped.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = _role_changes().get(target_id=str(role.pk))
    assert entry.detail["removed"] == ["people.export_ledger"]
    assert entry.detail["added"] == []
    assert not _fresh(world.personas["street_officer"]).has_perm("people.export_ledger")


def test_deleting_memberships_in_bulk_is_audited(world, client):
    client.force_login(world.personas["security_admin"])
    targets = Membership.objects.filter(user__username__in=["grid_a", "grid_b"])
    ids = list(targets.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:accounts_membership_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk__in=ids).exists()
    audited = set(_role_changes().filter(detail__op="delete").values_list("target_id", flat=True))
    assert audited == {str(i) for i in ids}


def test_deleting_a_user_is_audited(world, client, superuser):
    outsider = world.personas["outsider"]
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_user_delete", args=[outsider.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=outsider.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.DELETE, target_id=str(outsider.pk))
    assert entry.detail["username"] == "outsider"


def test_revoking_an_api_token_is_audited(world, client):
    secret = issue_token(user=world.personas["street_officer"], name="大屏", actor=None)
    token = ApiToken.objects.get()
    client.force_login(world.personas["security_admin"])
    page = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash in page and secret not in page
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action=AuditAction.TOKEN, detail__op="revoke").count() == 1


def test_audit_admin_reads_the_log_but_cannot_change_it(world, client):
    entry = AuditEntry.objects.order_by("id").last()
    before = (entry.hash, entry.detail, entry.action)
    client.force_login(world.personas["audit_admin"])

    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 200
    filtered = client.get(reverse("admin:core_auditentry_changelist"), {"action": "create"})
    assert filtered.status_code == 200
    assert client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).status_code == 200
    change = client.post(
        reverse("admin:core_auditentry_change", args=[entry.pk]),
        {"action": "delete", "actor_name": "nobody", "detail": "{}"},
    )
    delete = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    add = client.post(reverse("admin:core_auditentry_add"), {"action": "login"})

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.hash, entry.detail, entry.action) == before


def test_superuser_cannot_delete_audit_entries_either(world, client, superuser):
    entry = AuditEntry.objects.order_by("id").first()
    client.force_login(superuser)  # (logging in writes an entry of its own)
    count = AuditEntry.objects.count()

    delete = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})
    bulk = client.post(
        reverse("admin:core_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    listing = client.get(reverse("admin:core_auditentry_changelist")).content.decode()

    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert "delete_selected" not in listing
    assert AuditEntry.objects.count() == count
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_other_admins_do_not_see_the_audit_log(world, client):
    client.force_login(world.personas["security_admin"])
    assert client.get(reverse("admin:core_auditentry_changelist")).status_code == 403


def test_resident_admin_never_shows_numbers_in_clear(world, client, superuser):
    client.force_login(superuser)
    change = client.get(reverse("admin:people_resident_change", args=[world.planted.pk]))
    listing = client.get(reverse("admin:people_resident_changelist"))
    for response in (change, listing):
        body = response.content.decode()
        assert response.status_code == 200
        assert PLANTED_ID_CARD not in body
        assert PLANTED_PHONE not in body
        assert world.planted.id_card_hash not in body
    assert "110***********000X" in change.content.decode()
    assert 'name="id_card"' not in change.content.decode()


def test_resident_edited_in_admin_goes_through_the_audited_service(world, client, superuser):
    client.force_login(superuser)
    resident = world.planted
    response = client.post(
        reverse("admin:people_resident_change", args=[resident.pk]),
        {
            "name": "王芳",
            "user": resident.user_id,
            "gender": "F",
            "birth_date": "1985-03-07",
            "residence_type": "registered",
            "relation": "head",
            "note": "行动不便",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    resident.refresh_from_db()
    assert resident.note == "行动不便"
    assert resident.id_card == PLANTED_ID_CARD  # untouched by a form that never had it
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("id")
    assert entry.target_id == str(resident.pk)
    assert entry.detail["fields"] == ["note"]


def test_admin_lists_are_scoped_to_the_admin_users_scope(world, client):
    # A staff user whose only role is at grid A sees grid A's buildings only.
    staff = world.personas["grid_worker_a"]
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(staff)
    body = client.get(reverse("admin:places_building_changelist")).content.decode()
    assert world.building_a.name in body
    assert world.building_b.name not in body
    other = client.get(reverse("admin:places_building_change", args=[world.building_b.pk]))
    assert other.status_code == 302  # Django admin redirects a missing object to the index


def test_organisation_created_in_admin_gets_its_path(world, client):
    client.force_login(world.personas["system_admin"])
    response = client.post(
        reverse("admin:organisations_organisation_add"),
        {"name": "清华东路第三网格", "kind": Kind.GRID, "parent": world.community_1.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grid = Organisation.objects.get(name="清华东路第三网格")
    assert grid.path == f"{world.community_1.path}{grid.pk}/"
    assert grid.depth == world.community_1.depth + 1
    assert "qinghua" in grid.search_text


def test_organisation_placement_rules_hold_in_admin(world, client):
    client.force_login(world.personas["system_admin"])
    response = client.post(
        reverse("admin:organisations_organisation_add"),
        {"name": "错放的网格", "kind": Kind.GRID, "parent": world.street.pk},
    )
    assert response.status_code == 200
    assert not Organisation.objects.filter(name="错放的网格").exists()


def test_organisation_parent_cannot_be_changed_in_admin(world, client):
    client.force_login(world.personas["system_admin"])
    grid = world.grid_a
    response = client.post(
        reverse("admin:organisations_organisation_change", args=[grid.pk]),
        {"name": "清华东路第一网格（改）", "code": "", "parent": world.community_2.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    grid.refresh_from_db()
    assert grid.name == "清华东路第一网格（改）"
    assert grid.parent_id == world.community_1.pk


def test_every_admin_page_renders_for_a_superuser(world, client, superuser):
    from django.contrib import admin

    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200, name
        if model_admin.has_add_permission(_request_for(superuser)):
            assert client.get(reverse(f"{name}_add")).status_code == 200, name
        first = model.objects.first()
        if first is not None:
            assert client.get(reverse(f"{name}_change", args=[first.pk])).status_code == 200, name


def _request_for(user: User):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_organisation_autocomplete_works_for_the_security_admin(world, client):
    client.force_login(world.personas["security_admin"])
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "accounts",
            "model_name": "membership",
            "field_name": "organisation",
            "term": "清华",
        },
    )
    assert response.status_code == 200
    names = {r["text"] for r in response.json()["results"]}
    assert "清华东路第一网格" in names

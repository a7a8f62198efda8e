"""An ID number registered elsewhere is no oracle (trust probe, finding 1).

Before: PATCH /api/residents/{own} {"id_card": guess} answered "该身份证号已登记在其他居民
名下" for a number held anywhere in the district, so a grid worker could test candidates
until one was confirmed. Now a conflict out of the caller's scope gets one generic answer,
goes to the staff queue and the audit log, and a day's budget bounds the guesses; once it
is spent, a registered and an unregistered number get the same answer.
"""

from __future__ import annotations

import json

import pytest

from doorstep.atlas.people import conflicts
from doorstep.atlas.people.ledger import importer, sample
from doorstep.atlas.people.models import IdentityConflict, Resident
from doorstep.atlas.web.tests.api_helpers import API, as_
from doorstep.core.crypto import lookup_hash
from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD

from .test_ledger_import import upload

pytestmark = pytest.mark.django_db

RESIDENT_C_ID = "110108198803030042"  # 赵磊, grid C (二里庄社区)


def patch_id(client, resident, number):
    return client.patch(
        f"{API}/residents/{resident.pk}",
        json.dumps({"id_card": number}),
        content_type="application/json",
    )


def stored(resident) -> tuple:
    r = Resident.objects.get(pk=resident.pk)
    return (r.id_card, r.id_card_hash, r.birth_date, r.name)


def test_a_number_held_out_of_scope_gets_the_generic_answer_and_goes_to_the_queue(world, client):
    c = as_(client, world, "grid_worker_b")  # grid B cannot see 王芳 (grid A)
    before = stored(world.resident_b)

    response = patch_id(c, world.resident_b, PLANTED_ID_CARD)

    assert response.status_code == 400
    text = response.content.decode()
    assert conflicts.FORWARDED in text
    assert "名下" not in text and "已登记" not in text
    assert stored(world.resident_b) == before
    conflict = IdentityConflict.objects.get()
    assert (conflict.holder, conflict.requested_by, conflict.source) == (
        world.planted,
        world.personas["grid_worker_b"],
        "api",
    )
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.CONFLICT, actor=world.personas["grid_worker_b"]
        ).count()
        == 1
    )


def test_a_number_held_in_scope_is_named_plainly(world, client):
    c = as_(client, world, "grid_worker_a")
    response = c.post(
        f"{API}/residents",
        json.dumps(
            {
                "household": world.household_a2.pk,
                "name": "冒名",
                "residence_type": "registered",
                "id_card": PLANTED_ID_CARD,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert conflicts.IN_SCOPE in response.content.decode()
    assert not IdentityConflict.objects.exists()
    assert not Resident.objects.filter(name="冒名").exists()


def test_once_the_budget_is_spent_true_and_false_guesses_look_the_same(world, client, settings):
    """A bounded brute force: candidate numbers for 赵磊, tried from grid B. The budget
    (3 here) lets three conflicts through to the queue; after that a number held by
    someone and a number held by no one get the same answer and nothing is written."""
    settings.IDENTITY_CONFLICT_DAILY_LIMIT = 3
    c = as_(client, world, "grid_worker_b")
    for _ in range(3):
        assert conflicts.FORWARDED in patch_id(c, world.resident_b, RESIDENT_C_ID).content.decode()
    before = stored(world.resident_b)
    unregistered = sample.id_card(424242)
    assert not Resident.objects.filter(id_card_hash=lookup_hash(unregistered)).exists()

    held = patch_id(c, world.resident_b, RESIDENT_C_ID)
    free = patch_id(c, world.resident_b, unregistered)

    assert (held.status_code, held.content) == (free.status_code, free.content)
    assert conflicts.SPENT in free.content.decode()
    assert stored(world.resident_b) == before
    assert IdentityConflict.objects.count() == 3
    # Another account's budget is its own.
    other = as_(client, world, "grid_worker_a")
    assert patch_id(other, world.planted, PLANTED_ID_CARD).status_code == 200


def test_the_page_form_says_the_same_as_the_api(world, client):
    c = as_(client, world, "grid_worker_b")
    response = c.post(
        f"/residents/{world.resident_b.pk}/edit/",
        {
            "name": world.resident_b.name,
            "residence_type": "tenant",
            "relation": "other",
            "id_card": PLANTED_ID_CARD,
        },
    )
    assert response.status_code == 200
    assert conflicts.FORWARDED in response.content.decode()
    assert IdentityConflict.objects.get().source == "page"


def test_an_import_row_with_a_number_out_of_scope_is_forwarded(world, tmp_path, settings):
    """The community officer of 清华东路社区 imports a row with 赵磊's number (二里庄社区)."""
    settings.MEDIA_ROOT = tmp_path
    rows = [sample.resident_row(1, "静淑苑1号楼"), sample.resident_row(2, "静淑苑1号楼")]
    rows[1][1] = RESIDENT_C_ID
    path = sample.write_xlsx(tmp_path / "居民台账.xlsx", rows)
    job = importer.start_import(
        kind="residents", upload=upload(path), actor=world.personas["community_officer"]
    )
    importer.run_job(job.pk)
    job.refresh_from_db()

    assert (job.imported, job.error_count) == (1, 1)
    assert [e["message"] for e in job.errors] == [conflicts.FORWARDED]
    conflict = IdentityConflict.objects.get()
    assert (conflict.holder, conflict.source) == (world.resident_c, "import")
    assert Resident.objects.filter(id_card_hash=world.resident_c.id_card_hash).count() == 1


def test_the_queue_is_seen_and_closed_by_staff_who_see_the_holder(world, client):
    patch_id(as_(client, world, "grid_worker_b"), world.resident_b, PLANTED_ID_CARD)
    conflict = IdentityConflict.objects.get()

    for persona, status in [
        ("grid_worker_b", 403),  # the one who tried: no queue
        ("grid_worker_a", 403),
        ("security_admin", 403),
    ]:
        assert as_(client, world, persona).get("/conflicts/").status_code == status

    # A street officer of another street would see nothing; here the community sees it.
    page = as_(client, world, "community_officer").get("/conflicts/").content.decode()
    assert "王芳" in page and f"#{conflict.pk}" in page

    denied = as_(client, world, "grid_worker_b").post(
        f"/conflicts/{conflict.pk}/resolve/", {"resolution": "关掉"}
    )
    assert denied.status_code == 403
    conflict.refresh_from_db()
    assert conflict.resolved_at is None

    as_(client, world, "community_officer").post(
        f"/conflicts/{conflict.pk}/resolve/", {"resolution": "录入错误，已告知网格员"}
    )
    conflict.refresh_from_db()
    assert conflict.resolution == "录入错误，已告知网格员"
    assert conflict.resolved_by == world.personas["community_officer"]
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, target_type="people.identityconflict"
    ).exists()
    closed = as_(client, world, "community_officer").get("/conflicts/?closed=1")
    assert "录入错误" in closed.content.decode()


def test_a_conflict_out_of_the_officers_scope_is_not_in_their_queue(world, client):
    """赵磊 lives in 二里庄社区: the 清华东路社区 officer does not see that conflict."""
    patch_id(as_(client, world, "grid_worker_b"), world.resident_b, RESIDENT_C_ID)
    assert IdentityConflict.objects.count() == 1
    page = as_(client, world, "community_officer").get("/conflicts/").content.decode()
    assert "赵磊" not in page and "暂无" in page
    street = as_(client, world, "street_officer").get("/conflicts/").content.decode()
    assert "赵磊" in street

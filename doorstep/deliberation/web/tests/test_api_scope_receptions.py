"""The data-scope matrix of the reception API: every persona × every endpoint over a
coming slot of community 1's studio and one resident's booking. Slots are seen as the
community's topics are; only residents of the street book; a visit is its resident's,
its deputy's and the staff's who keep receptions, never a neighbour's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.deliberation import receptions
from doorstep.deliberation.models import ReceptionVisit
from doorstep.nearby.sites.models import ServiceSite

from .test_scope_pages import SEES

pytestmark = pytest.mark.django_db

SEES_C1 = {p for p, communities in SEES.items() if "c1" in communities}
RESIDENTS = {"party_member", "resident"}
SEES_VISITS = {"community_officer", "street_officer"}


@pytest.fixture
def slot(world):
    studio = ServiceSite.objects.create(
        name="代表委员工作室", kind="studio", organisation=world.community_1,
        territory=world.community_1, territory_path=world.community_1.path,
    )  # fmt: skip
    deputy = receptions.add_deputy(
        actor=world.personas["street_officer"], name="李代表", kind="npc", level="district",
        node=world.street, user=make_user("deputy_li", "李代表"),
    )  # fmt: skip
    start = timezone.now() + dt.timedelta(days=2)
    slot = receptions.schedule(actor=world.personas["street_officer"], site=studio,
                               deputies=[deputy], starts_at=start, ends_at=start + dt.timedelta(hours=2))  # fmt: skip
    receptions.book(actor=world.personas["resident"], slot=slot, at=start, issue="路灯坏了")
    return slot


def _slots(client, world, slot, persona):
    r = client.get("/api/receptions/slots")
    assert [s["id"] for s in r.json()] == ([slot.pk] if persona in SEES_C1 else []), persona


def _book(client, world, slot, persona):
    at = (slot.starts_at + dt.timedelta(minutes=30)).isoformat()
    r = client.post(f"/api/receptions/slots/{slot.pk}/book", json.dumps({"at": at}),
                    content_type="application/json")  # fmt: skip
    if persona == "party_member":
        assert r.status_code == 201 and r.json()["status"] == "booked"
    elif persona == "resident":  # booked already
        assert r.status_code == 409
    else:
        assert r.status_code == (403 if persona in SEES_C1 else 404), persona
        assert ReceptionVisit.objects.count() == 1


def _visits(client, world, slot, persona):
    r = client.get("/api/receptions/visits")
    want = 1 if persona in SEES_VISITS | {"resident"} else 0
    assert len(r.json()) == want, persona
    if want:
        assert r.json()[0]["issue"] == "路灯坏了"


MATRIX = {
    ("get", "/api/receptions/slots"): _slots,
    ("post", "/api/receptions/slots/{slot_id}/book"): _book,
    ("get", "/api/receptions/visits"): _visits,
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_persona_gets_exactly_its_scope(world, slot, client, endpoint):
    for persona in SEES:
        client.force_login(world.personas[persona])
        with transaction.atomic():
            MATRIX[endpoint](client, world, slot, persona)
            transaction.set_rollback(True)


def test_a_time_outside_the_studio_hours_is_a_json_400(world, slot, client):
    client.force_login(world.personas["party_member"])
    at = (slot.ends_at + dt.timedelta(hours=1)).isoformat()
    r = client.post(f"/api/receptions/slots/{slot.pk}/book", json.dumps({"at": at}),
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 400 and "不在工作室接待时间内" in r.json()["detail"]
    assert ReceptionVisit.objects.count() == 1

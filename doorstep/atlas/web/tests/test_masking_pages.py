"""No page shows the planted ID-card or phone number in clear, except an audited unmask."""

import pytest
from django.urls import reverse

from doorstep.core.models import AuditAction, AuditEntry
from doorstep.core.testing import PLANTED_ID_CARD, PLANTED_PHONE

from .test_scope_pages import OBJECT_PAGES, PERSONAS, _objects


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_get_page_shows_the_planted_numbers(world, client, persona):
    client.force_login(world.personas[persona])
    urls = [
        reverse("atlas:tree"),
        reverse("atlas:party_members"),
        reverse("atlas:search") + "?q=王芳",
        reverse("atlas:search") + "?q=000X",
    ]
    for page, (kind, method, _) in OBJECT_PAGES.items():
        if method == "get":
            urls += [reverse(page, args=[o.pk]) for o in _objects(world, kind)]
    for url in urls:
        body = client.get(url).content.decode()
        assert PLANTED_ID_CARD not in body and PLANTED_PHONE not in body, url
        assert PLANTED_ID_CARD.lower() not in body


def test_the_resident_page_offers_unmask_only_to_roles_that_may(world, client):
    url = reverse("atlas:resident", args=[world.planted.pk])
    client.force_login(world.personas["grid_worker_a"])
    assert "查看明文" not in client.get(url).content.decode()
    client.force_login(world.personas["grid_leader_a"])
    assert "查看明文" in client.get(url).content.decode()


def test_unmask_shows_the_numbers_and_writes_one_audit_row(world, client):
    client.force_login(world.personas["grid_leader_a"])
    response = client.post(reverse("atlas:resident_unmask", args=[world.planted.pk]))
    body = response.content.decode()
    assert PLANTED_ID_CARD in body and PLANTED_PHONE in body
    entry = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert (entry.actor_name, entry.target_id) == ("leader_a", str(world.planted.pk))
    assert PLANTED_ID_CARD not in entry.payload()


def test_a_denied_unmask_writes_nothing(world, client):
    client.force_login(world.personas["street_officer"])
    response = client.post(reverse("atlas:resident_unmask", args=[world.planted.pk]))
    assert response.status_code == 403
    assert PLANTED_ID_CARD not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()

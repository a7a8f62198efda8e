"""Trust probe, finding 8: a JSON body over 5 MB was a 500 in the demo (an English 400
page otherwise). Every mode answers 413, in JSON for the API, in Chinese for pages, and
nothing is written."""

from __future__ import annotations

import pytest
from django.test import override_settings

from doorstep.cases.models import Case

pytestmark = pytest.mark.django_db

BIG = '{"description": "' + "修" * 2_000_000 + '"}'  # 6 MB of UTF-8


@pytest.mark.parametrize("debug", [False, True])
def test_a_json_body_over_the_limit_is_413_with_a_json_error(world, client, debug):
    client.force_login(world.personas["resident"])
    with override_settings(DEBUG=debug):
        response = client.generic("POST", "/api/cases", BIG, "application/json")
    assert response.status_code == 413
    assert response.json() == {"error": "too_large", "detail": "请求内容过大（上限 5 MB）"}
    assert not Case.objects.exists()


def test_a_form_over_the_limit_is_413_in_chinese(world, client):
    client.force_login(world.personas["resident"])
    response = client.post("/cases/new/", {"description": "修" * 2_000_000})
    assert response.status_code == 413
    assert "请求内容过大" in response.content.decode()
    assert not Case.objects.exists()


@override_settings(REQUEST_MAX_BYTES=1024 * 1024)
def test_an_upload_over_its_own_limit_is_413_before_it_is_read(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.personas["community_officer"])
    big = SimpleUploadedFile("台账.xlsx", b"0" * (2 * 1024 * 1024))
    response = client.post("/ledger/import/", {"file": big})
    assert response.status_code == 413
    assert "上限 1 MB" in response.content.decode()


def test_an_ordinary_request_is_untouched(world, client):
    client.force_login(world.personas["resident"])
    assert client.get("/cases/mine/").status_code == 200

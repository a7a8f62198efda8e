"""长辈模式: a person switches it on in the top bar and keeps it — on their account once
signed in (any device), in a cookie before (carried onto the account at login)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from doorstep.accounts.models import User
from doorstep.accounts.preferences import COOKIE
from doorstep.core.testing import PASSWORD

URL = reverse("accounts:elder_mode")


def _body_class(response) -> bool:
    return "<body hx-headers=" in (html := response.content.decode()) and 'class="elder"' in html


def test_a_resident_switches_it_on_and_it_follows_them_to_another_device(world, client):
    resident = User.objects.get(username="resident")
    client.force_login(resident)
    assert not _body_class(client.get("/"))
    response = client.post(URL, {"on": "1", "next": "/cases/mine/"})
    assert response.status_code == 302 and response["Location"] == "/cases/mine/"
    resident.refresh_from_db()
    assert resident.elder_mode
    page = client.get("/")
    assert _body_class(page) and 'aria-pressed="true"' in page.content.decode()
    other = Client()  # a second device: the account carries the choice
    other.force_login(resident)
    assert _body_class(other.get("/"))
    # and off again
    client.post(URL, {"on": "0", "next": "/"})
    resident.refresh_from_db()
    assert not resident.elder_mode and not _body_class(client.get("/"))


def test_switched_on_at_the_login_page_it_is_kept_by_the_account(world, client):
    response = client.post(URL, {"on": "1", "next": "/accounts/login/"})
    assert response.cookies[COOKIE].value == "1"
    assert _body_class(client.get("/accounts/login/"))
    login = client.post(reverse("accounts:login"), {"username": "resident", "password": PASSWORD})
    assert login.status_code == 302
    assert User.objects.get(username="resident").elder_mode
    assert login.cookies[COOKIE].value == ""  # the cookie's work is done
    # someone else signing in on a clean browser is not affected
    assert not User.objects.get(username="street").elder_mode


def test_one_persons_switch_leaves_everyone_else_as_they_were(world, client):
    client.force_login(User.objects.get(username="resident"))
    client.post(URL, {"on": "1"})
    assert list(User.objects.filter(elder_mode=True).values_list("username", flat=True)) == [
        "resident"
    ]


@pytest.mark.parametrize(
    "data",
    [{}, {"on": "2"}, {"on": "yes"}, {"on": "1\x00"}, {"on": "1" * 5000}],
    ids=["missing", "two", "word", "control", "long"],
)
def test_a_bad_switch_is_a_clear_400_and_changes_nothing(world, client, data):
    resident = User.objects.get(username="resident")
    client.force_login(resident)
    response = client.post(URL, data)
    assert response.status_code == 400
    said = response.content.decode()
    assert (
        ("控制字符" in said) if "\x00" in data.get("on", "") else ("参数 on 只能是 0 或 1" in said)
    )
    resident.refresh_from_db()
    assert not resident.elder_mode


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"]
)
def test_it_never_sends_you_off_the_site(world, client, target):
    client.force_login(User.objects.get(username="resident"))
    response = client.post(URL, {"on": "1", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_it_is_a_form_post_with_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    resident = User.objects.get(username="resident")
    client.force_login(resident)
    assert client.get(URL).status_code == 405
    refused = client.post(URL, {"on": "1"})
    assert refused.status_code == 403 and "为了安全" in refused.content.decode()
    resident.refresh_from_db()
    assert not resident.elder_mode

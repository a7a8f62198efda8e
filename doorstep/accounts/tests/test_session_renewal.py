"""A signed-in session slides: each request keeps it alive for SESSION_COOKIE_AGE, but it
is written at most once every RENEW_EVERY_SECONDS, not on every request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from doorstep.accounts.middleware import RENEW_EVERY_SECONDS, RENEWED_KEY

pytestmark = pytest.mark.django_db


def _stored(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _age_the_session(client, seconds: int) -> None:
    """Move the session back in time, as if its last renewal was `seconds` ago."""
    row = _stored(client)
    data = row.get_decoded()
    data[RENEWED_KEY] -= seconds
    row.session_data = Session.objects.encode(data)
    row.expire_date -= dt.timedelta(seconds=seconds)
    row.save()


def test_requests_inside_the_interval_leave_the_session_unwritten(world, client):
    client.force_login(world.personas["resident"])
    assert client.get("/").status_code == 200
    first = _stored(client)
    assert isinstance(first.get_decoded()[RENEWED_KEY], int)
    for _ in range(3):
        assert client.get("/").status_code == 200
    again = _stored(client)
    assert (again.expire_date, again.session_data) == (first.expire_date, first.session_data)


def test_a_request_after_the_interval_renews_the_idle_timeout(world, client):
    client.force_login(world.personas["resident"])
    client.get("/")
    _age_the_session(client, RENEW_EVERY_SECONDS + 1)
    aged = _stored(client).expire_date
    client.get("/")
    renewed = _stored(client).expire_date
    assert renewed > aged
    full = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((renewed - full).total_seconds()) < 60


def test_an_idle_session_ends_and_the_next_request_signs_in_again(world, client):
    client.force_login(world.personas["resident"])
    client.get("/")
    row = _stored(client)
    row.expire_date = timezone.now() - dt.timedelta(seconds=1)
    row.save()
    answer = client.get("/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_visitor_without_a_session_gets_none_written(client):
    count = Session.objects.count()
    client.get("/accounts/login/")
    assert Session.objects.count() == count

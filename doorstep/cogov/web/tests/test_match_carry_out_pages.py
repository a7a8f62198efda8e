"""A confirmed match carried out from the matches page: staff file it as a case with a
deadline, the unit's liaison publishes it as an activity; the page then names what it
became, and a bad deadline changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from doorstep.cogov.models import Match
from doorstep.cogov.tests.test_follow import _confirmed

pytestmark = pytest.mark.django_db


def test_staff_file_a_match_as_a_case_and_the_liaison_publishes_another_as_an_activity(
    co, cw, client
):
    match = _confirmed(co)
    client.force_login(co.p["community_officer"])
    page = client.get(reverse("cogov:matches") + "?tab=confirmed").content.decode()
    assert "转为工单" in page and "办成活动" not in page
    url = reverse("cogov:match_act", args=[match.pk, "as_case"])
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    r = client.post(url, {"category": cw.repair.pk, "deadline": yesterday}, follow=True)
    assert "完成期限不能早于今天" in r.content.decode()
    assert Match.objects.get(pk=match.pk).case is None
    deadline = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    r = client.post(url, {"category": cw.repair.pk, "deadline": deadline}, follow=True)
    case = Match.objects.get(pk=match.pk).case
    assert f"已转办工单 {case.number}" in r.content.decode()
    page = client.get(reverse("cogov:matches") + "?tab=confirmed").content.decode()
    assert f'<a href="/cases/{case.number}/">已转办工单 {case.number}（' in page

    other = _confirmed(co)
    client.force_login(co.p["liaison_904"])
    start = timezone.localtime() + dt.timedelta(days=3)
    r = client.post(
        reverse("cogov:match_act", args=[other.pk, "as_activity"]),
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "address": "静淑苑1号楼前广场",
            "capacity": "8",
        },
        follow=True,
    )
    activity = Match.objects.get(pk=other.pk).activity
    assert activity is not None and activity.capacity == 8
    assert f"已发布活动“{activity.title}”" in r.content.decode()

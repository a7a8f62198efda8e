"""The owners' vote pages: staff draw up and open a vote, owners vote on their phones,
staff enter paper ballots, the result shows both thresholds, a tenant and an outsider
get nothing, and each part's choice is shown only to staff allowed to see it (audited)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from doorstep.core.models import AuditEntry
from doorstep.deliberation.models import Ballot, BallotVote, RollEntry

pytestmark = pytest.mark.django_db


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _draw_up(client, world, estate, **over) -> Ballot | None:
    client.force_login(world.personas["community_officer"])
    now = timezone.now()
    form = {
        "compound": estate.compound.pk, "matter": "ordinary", "title": "选聘新的物业服务企业",
        "question": "是否同意选聘××物业？", "opens_at": _local(now - dt.timedelta(hours=1)),
        "closes_at": _local(now + dt.timedelta(days=7)),
    }  # fmt: skip
    r = client.post(reverse("deliberation:ballot_new"), {**form, **over})
    if r.status_code != 302:
        return None
    return Ballot.objects.get(pk=int(r["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_staff_draw_up_and_open_owners_vote_and_the_result_shows_both_thresholds(
    client, world, estate
):
    # bad input: a clear message, a 4xx, nothing saved
    assert _draw_up(client, world, estate, closes_at="2020-01-01T00:00") is None
    r = client.post(reverse("deliberation:ballot_new"), {"compound": estate.compound.pk})
    assert r.status_code == 400 and "请填写表决事项" in r.content.decode()
    assert not Ballot.objects.exists()

    ballot = _draw_up(client, world, estate)
    assert ballot is not None and ballot.status == "draft"
    act = reverse("deliberation:ballot_act", args=[ballot.pk, "open"])
    assert client.post(act).status_code == 302
    assert RollEntry.objects.filter(ballot=ballot).count() == 8

    # owners vote on their phones
    for login, room in (("owner_chen", "104"), ("proxy", "105"), ("owner_zhou", "106")):
        client.force_login(estate.people[login])
        page = client.get(reverse("deliberation:ballot", args=[ballot.pk])).content.decode()
        assert "我的表决" in page and 'value="yes"' in page
        cast = reverse("deliberation:ballot_act", args=[ballot.pk, "cast"])
        r = client.post(cast, {"household": estate.parts[room].pk, "choice": "yes"})
        assert r.status_code == 302
    page = client.get(reverse("deliberation:ballot", args=[ballot.pk])).content.decode()
    assert "已投票（同意）" in page
    # a second vote for the same part is refused with a message
    r = client.post(cast, {"household": estate.parts["106"].pk, "choice": "no"})
    assert r.status_code == 409 and "已投票" in r.content.decode()

    # staff enter the developer's paper ballot
    client.force_login(world.personas["grid_worker_a"])
    paper = reverse("deliberation:ballot_act", args=[ballot.pk, "paper"])
    assert (
        client.post(paper, {"household": estate.parts["107"].pk, "choice": "yes"}).status_code
        == 302
    )
    assert BallotVote.objects.filter(ballot=ballot).count() == 5  # 104, 105, 106, 107, 108

    client.force_login(world.personas["community_officer"])
    close = reverse("deliberation:ballot_act", args=[ballot.pk, "close"])
    r = client.post(close)
    assert r.status_code == 400 and "截止前不能结束" in r.content.decode()
    with time_machine.travel(ballot.closes_at + dt.timedelta(minutes=5)):
        client.force_login(world.personas["community_officer"])  # a week on: a new session
        assert client.post(close).status_code == 302
        assert Ballot.objects.get(pk=ballot.pk).status == "closed"
        page = client.get(reverse("deliberation:ballot", args=[ballot.pk])).content.decode()
    assert "表决结果：未通过" in page
    # headcount 4 of 5 met, area 490.00 of the 506.67 m² needed not met
    rows = re.findall(r'<tr data-met="(\d)">\s*<td>([^<（]+)', page)
    assert rows[:2] == [("0", "参与表决的专有部分面积"), ("1", "参与表决的业主人数")]
    assert "490.00㎡" in page and "≥ 506.67㎡" in page and "≥ 4 人" in page


def test_a_tenant_and_a_resident_elsewhere_see_no_vote_and_cannot_cast(client, world, estate):
    ballot = _draw_up(client, world, estate)
    client.post(reverse("deliberation:ballot_act", args=[ballot.pk, "open"]))
    for who in (estate.people["tenant"], world.personas["resident"]):
        client.force_login(who)
        assert client.get(reverse("deliberation:ballot", args=[ballot.pk])).status_code == 404
        r = client.post(
            reverse("deliberation:ballot_act", args=[ballot.pk, "cast"]),
            {"household": estate.parts["104"].pk, "choice": "yes"},
        )
        assert r.status_code == 404
        assert ballot.title not in client.get(reverse("deliberation:ballots")).content.decode()
    assert not BallotVote.objects.exists()


def test_each_parts_choice_only_for_staff_allowed_and_each_view_is_audited(client, world, estate):
    ballot = _draw_up(client, world, estate)
    client.post(reverse("deliberation:ballot_act", args=[ballot.pk, "open"]))
    client.force_login(estate.people["owner_chen"])
    client.post(
        reverse("deliberation:ballot_act", args=[ballot.pk, "cast"]),
        {"household": estate.parts["104"].pk, "choice": "no"},
    )
    choices = reverse("deliberation:ballot_choices", args=[ballot.pk])
    for who in (estate.people["owner_zhou"], world.personas["grid_worker_a"]):
        client.force_login(who)
        assert client.get(choices).status_code in (403, 404)
        page = client.get(reverse("deliberation:ballot", args=[ballot.pk])).content.decode()
        assert "反对" not in page.split("实时计票")[0] or who == estate.people["owner_zhou"]
    assert not AuditEntry.objects.filter(action="view_vote_choices").exists()
    client.force_login(world.personas["community_officer"])
    page = client.get(choices).content.decode()
    assert "5号楼1单元104室" in page and "反对" in page
    assert (
        AuditEntry.objects.filter(action="view_vote_choices", target_id=str(ballot.pk)).count() == 1
    )

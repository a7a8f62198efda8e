"""The council and meeting pages as a community uses them: staff set up a 1+6 council and
its members, call a 议事圆桌会 on an accepted topic, members sign in by the QR code's
address, the quorum shows, a council vote is recorded, the chair signs the minutes off,
and the adopted decision is published as a resolution. Bad input is a 400 with the
message and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.deliberation import topics
from doorstep.deliberation.models import Council, CouncilMember, Meeting, Resolution, SignIn

pytestmark = pytest.mark.django_db

SEATS = ("branch", "owners", "property", "grid_leader", "grid_worker", "building", "resident")


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_1_plus_6_meeting_through_the_pages(client, world, estate, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    officer = world.personas["community_officer"]
    secretary = make_user("secretary", "党支部书记", ("resident", world.community_1))
    topic = topics.accept(
        actor=officer,
        topic=topics.raise_topic(actor=estate.people["owner_zhou"], title="5号楼加装电梯"),
    )
    client.force_login(officer)
    form = {"community": world.community_1.pk, "compound": estate.compound.pk,
            "name": "静淑苑小区议事会", "quorum": "half", "majority": "half",
            **{f"seat_{k}": "1" for k in SEATS}}  # fmt: skip
    r = client.post(reverse("deliberation:council_new"), {**form, "seat_branch": "0"})
    assert r.status_code == 400 and "党支部席位为1个" in r.content.decode()
    assert not Council.objects.exists()
    r = client.post(reverse("deliberation:council_new"), form)
    council = Council.objects.get()
    today = timezone.localdate()
    term = {
        "starts_on": str(today - dt.timedelta(days=10)),
        "ends_on": str(today + dt.timedelta(days=700)),
    }
    people = [("branch", "党支部书记", "secretary", "1"), ("owners", "业委会主任", "owner_wang", ""),
              ("property", "物业经理", "", ""), ("grid_leader", "网格长甲", "leader_a", ""),
              ("grid_worker", "网格员甲", "grid_a", ""), ("building", "楼栋长", "owner_chen", ""),
              ("resident", "居民代表", "owner_lin", "")]  # fmt: skip
    for kind, name, username, chair in people:
        r = client.post(reverse("deliberation:council_act", args=[council.pk, "member"]),
                        {"kind": kind, "name": name, "username": username, "is_chair": chair, **term})  # fmt: skip
        assert r.status_code == 302, r.content.decode()[:300]
    page = client.get(reverse("deliberation:council", args=[council.pk])).content.decode()
    assert "席位（1+6）" in page and "召集人" in page
    now = timezone.now()
    r = client.post(
        reverse("deliberation:council_act", args=[council.pk, "meeting"]),
        {"title": "五月议事圆桌会", "format": "roundtable", "place": "静淑苑党群服务站",
         "starts_at": _local(now - dt.timedelta(minutes=20)),
         "ends_at": _local(now + dt.timedelta(hours=2)), "topics": [topic.pk]},
    )  # fmt: skip
    meeting = Meeting.objects.get()
    page = client.get(reverse("deliberation:meeting", args=[meeting.pk])).content.decode()
    assert '应到 <b>7</b> 人，实到 <b id="present">0</b> 人' in page and "<svg" in page
    # members scan the QR code: its address signs them in
    sign = reverse("deliberation:meeting_sign_in", args=[meeting.pk, meeting.token])
    for user in (secretary, estate.people["owner_wang"], estate.people["owner_chen"]):
        client.force_login(user)
        assert "确认签到" in client.get(sign).content.decode()
        client.post(sign)
    client.force_login(estate.people["tenant"])  # not a member: refused, nothing written
    assert client.post(sign).status_code == 403
    assert SignIn.objects.filter(meeting=meeting).count() == 3
    client.force_login(officer)
    decide = reverse("deliberation:meeting_act", args=[meeting.pk, "decide"])
    item = meeting.agenda.get()
    r = client.post(decide, {"item": item.pk, "decision": "同意加装", "yes": "3"})
    assert r.status_code == 400 and "应到7人，实到3人，至少需4人" in r.content.decode()
    property_manager = CouncilMember.objects.get(council=council, kind="property")
    client.post(reverse("deliberation:meeting_act", args=[meeting.pk, "sign_in_for"]),
                {"member": property_manager.pk})  # fmt: skip
    client.post(
        decide,
        {
            "item": item.pk,
            "decision": "同意加装，费用按楼层分摊",
            "yes": "4",
            "no": "0",
            "abstain": "0",
        },
    )
    client.post(reverse("deliberation:meeting_act", args=[meeting.pk, "minutes"]),
                {"minutes": "议题一：5号楼加装电梯，4票同意，通过。"})  # fmt: skip
    pdf = SimpleUploadedFile("签到表.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
    client.post(reverse("deliberation:meeting_act", args=[meeting.pk, "attach"]), {"file": pdf})
    assert meeting.attachments.count() == 1
    assert (
        client.post(reverse("deliberation:meeting_act", args=[meeting.pk, "sign"])).status_code
        == 403
    )
    client.force_login(secretary)
    page = client.get(reverse("deliberation:meeting", args=[meeting.pk])).content.decode()
    assert "召集人签发纪要" in page
    client.post(reverse("deliberation:meeting_act", args=[meeting.pk, "sign"]))
    meeting.refresh_from_db()
    assert meeting.signed_at is not None
    # a resident of the community reads the signed minutes
    client.force_login(estate.people["owner_zhou"])
    page = client.get(reverse("deliberation:meeting", args=[meeting.pk])).content.decode()
    assert "4票同意，通过" in page and "纪要已签发" in page
    client.force_login(officer)
    r = client.post(reverse("deliberation:meeting_act", args=[meeting.pk, "resolve"]),
                    {"item": item.pk, "notice_days": "7"})  # fmt: skip
    resolution = Resolution.objects.get()
    assert (resolution.item, resolution.topic, resolution.text) == (
        item,
        topic,
        "同意加装，费用按楼层分摊",
    )

"""议事会 "1+N" and its meetings: seats per place and members within them, a 议事圆桌会
with an agenda of accepted topics, sign-in by QR against the quorum, decisions (a council
vote where one seat is one vote and an absent member counts against), minutes signed off
by the chair only, attachments, an online consultation, and a resolution from the signed
minutes. A refusal writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from doorstep.core.testing import make_user
from doorstep.deliberation import councils, meetings, resolutions, topics
from doorstep.deliberation.errors import Conflict, DeliberationError, NotAllowed
from doorstep.deliberation.models import (
    AgendaItem,
    Attachment,
    Council,
    CouncilMember,
    Meeting,
    SignIn,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SEATS = {"branch": 1, "owners": 1, "property": 1, "grid_leader": 1, "grid_worker": 1,
         "building": 1, "resident": 1}  # fmt: skip  # 1+6


def _council(world, estate, **kw) -> Council:
    return councils.set_up(
        actor=world.personas["community_officer"], community=world.community_1,
        compound=estate.compound, name="静淑苑小区议事会", seats=kw.pop("seats", SEATS), **kw,
    )  # fmt: skip


def _members(world, estate, council) -> dict[str, CouncilMember]:
    officer = world.personas["community_officer"]
    secretary = make_user("secretary", "党支部书记", ("resident", world.community_1))
    people = [
        ("branch", "党支部书记", secretary, True), ("owners", "业委会主任", estate.people["owner_wang"], False),
        ("property", "物业经理", None, False), ("grid_leader", "网格长甲", world.personas["grid_leader_a"], False),
        ("grid_worker", "网格员甲", world.personas["grid_worker_a"], False),
        ("building", "楼栋长", estate.people["owner_chen"], False), ("resident", "居民代表", estate.people["owner_lin"], False),
    ]  # fmt: skip
    return {
        kind: councils.add_member(
            actor=officer,
            council=council,
            kind=kind,
            name=name,
            user=user,
            is_chair=chair,
            starts_on=TODAY - dt.timedelta(days=100),
            ends_on=TODAY + dt.timedelta(days=900),
        )  # fmt: skip
        for kind, name, user, chair in people
    }


def _accepted(world, estate, title="5号楼加装电梯"):
    topic = topics.raise_topic(actor=estate.people["owner_zhou"], title=title)
    return topics.accept(actor=world.personas["community_officer"], topic=topic)


def _meeting(world, council, agenda, **kw) -> Meeting:
    now = timezone.now()
    return meetings.convene(
        actor=world.personas["community_officer"], council=council, title="四月议事圆桌会",
        starts_at=kw.pop("starts_at", now - dt.timedelta(minutes=30)),
        ends_at=kw.pop("ends_at", now + dt.timedelta(hours=2)), place=kw.pop("place", "静淑苑党群服务站"),
        topics=agenda, **kw,
    )  # fmt: skip


def test_a_1_plus_6_council_keeps_its_seats_and_terms(world, estate):
    council = _council(world, estate)
    assert {s.kind: s.count for s in council.seats.all()} == SEATS
    members = _members(world, estate, council)
    assert councils.in_force(council).count() == 7
    officer = world.personas["community_officer"]
    with pytest.raises(Conflict, match="名额已满"):
        councils.add_member(actor=officer, council=council, kind="resident", name="第二位代表",
                            starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=30))  # fmt: skip
    # when a term ends, the seat is free from the next day
    councils.end_term(actor=officer, member=members["resident"], on=TODAY)
    councils.add_member(actor=officer, council=council, kind="resident", name="新居民代表",
                        starts_on=TODAY + dt.timedelta(days=1), ends_on=TODAY + dt.timedelta(days=700))  # fmt: skip
    councils.set_seats(actor=officer, council=council, seats={**SEATS, "owners": 2})
    with pytest.raises(Conflict, match="召集人"):
        councils.add_member(actor=officer, council=council, kind="owners", name="x", is_chair=True,
                            starts_on=TODAY, ends_on=TODAY)  # fmt: skip
    with pytest.raises(DeliberationError, match="没有共建单位席位"):
        councils.add_member(actor=officer, council=council, kind="unit", name="x",
                            starts_on=TODAY, ends_on=TODAY)  # fmt: skip
    with pytest.raises(Conflict, match="不能少于"):
        councils.set_seats(actor=officer, council=council, seats={**SEATS, "owners": 0})
    assert CouncilMember.objects.filter(council=council).count() == 8


@pytest.mark.parametrize(
    ("seats", "message"),
    [({**SEATS, "branch": 0}, "党支部席位为1个"), ({**SEATS, "branch": 2}, "党支部席位为1个"),
     ({"branch": 1, "owners": 1}, "至少还应有两名"), ({**SEATS, "owners": "三"}, "名额为0至30人")],
)  # fmt: skip
def test_a_council_needs_the_1_and_the_n(world, estate, seats, message):
    with pytest.raises(DeliberationError, match=message):
        _council(world, estate, seats=seats)
    assert not Council.objects.exists()


def test_only_community_staff_set_up_councils(world, estate):
    for persona in ("grid_worker_a", "street_officer", "resident", "outsider"):
        with pytest.raises(NotAllowed):
            councils.set_up(actor=world.personas[persona], community=world.community_1,
                            name="议事会", seats=SEATS)  # fmt: skip
    assert not Council.objects.exists()


def test_a_meeting_decides_only_with_its_quorum_and_the_chair_signs_the_minutes(world, estate):
    officer = world.personas["community_officer"]
    council = _council(world, estate)
    members = _members(world, estate, council)
    lift, parking = _accepted(world, estate), _accepted(world, estate, "规范停车")
    meeting = _meeting(world, council, [lift, parking])
    assert meeting.invitations.count() == 7
    items = list(meeting.agenda.order_by("order"))
    # three of seven present: below 过半数 (4)
    meetings.sign_in(actor=estate.people["owner_wang"], meeting=meeting, token=meeting.token)
    meetings.sign_in(actor=world.personas["grid_worker_a"], meeting=meeting, token=meeting.token)
    meetings.sign_in_for(actor=officer, meeting=meeting, member=members["property"])
    with pytest.raises(Conflict, match="已签到"):
        meetings.sign_in(actor=estate.people["owner_wang"], meeting=meeting, token=meeting.token)
    with pytest.raises(NotAllowed, match="签到码无效"):
        meetings.sign_in(actor=estate.people["owner_chen"], meeting=meeting, token="guess")
    with pytest.raises(NotAllowed, match="参会成员"):
        meetings.sign_in(actor=estate.people["tenant"], meeting=meeting, token=meeting.token)
    q = meetings.quorum(meeting)
    assert (q.invited, q.present, q.needed, q.met) == (7, 3, 4, False)
    with pytest.raises(DeliberationError, match="应到7人，实到3人，至少需4人"):
        meetings.decide(actor=officer, item=items[0], decision="同意", yes="3")
    assert AgendaItem.objects.filter(meeting=meeting).exclude(outcome="").count() == 0
    meetings.sign_in(actor=estate.people["owner_chen"], meeting=meeting, token=meeting.token)
    meetings.sign_in(actor=world.personas["grid_leader_a"], meeting=meeting, token=meeting.token)
    # five present; 4 yes of 7 seats is 过半数; 3 yes is not (the absent count against)
    with pytest.raises(DeliberationError, match="不能多于到会人数"):
        meetings.decide(actor=officer, item=items[0], decision="同意", yes="4", no="2")
    passed = meetings.decide(actor=officer, item=items[0], decision="同意加装，费用按楼层分摊",
                             yes="4", no="1", abstain="0")  # fmt: skip
    failed = meetings.decide(actor=officer, item=items[1], decision="方案再议", yes="3", no="2")
    assert (passed.outcome, failed.outcome) == ("adopted", "rejected")
    with pytest.raises(DeliberationError, match="纪要"):
        meetings.sign_off(actor=members["branch"].user, meeting=meeting)
    meetings.write_minutes(
        actor=officer, meeting=meeting, minutes="一、5号楼加装电梯：通过。二、停车：再议。"
    )
    with pytest.raises(NotAllowed, match="召集人"):
        meetings.sign_off(actor=officer, meeting=meeting)
    signed = meetings.sign_off(actor=members["branch"].user, meeting=meeting)
    assert signed.signed_at is not None
    with pytest.raises(Conflict, match="已签发"):
        meetings.write_minutes(actor=officer, meeting=meeting, minutes="改写")
    # the adopted decision becomes a resolution; the rejected one cannot
    resolution = resolutions.publish(actor=officer, title="5号楼加装电梯", text_="同意加装",
                                     item=passed)  # fmt: skip
    assert (resolution.topic, resolution.item) == (lift, passed)
    with pytest.raises(DeliberationError, match="协商通过"):
        resolutions.publish(actor=officer, title="停车", text_="x", item=failed)


def test_sign_in_only_around_the_meeting_and_nothing_on_an_unaccepted_topic(world, estate):
    council = _council(world, estate)
    _members(world, estate, council)
    open_topic = topics.raise_topic(actor=estate.people["owner_zhou"], title="楼道堆物")
    with pytest.raises(DeliberationError, match="已受理"):
        _meeting(world, council, [open_topic])
    with pytest.raises(DeliberationError, match="议题"):
        _meeting(world, council, [])
    start = timezone.now() + dt.timedelta(days=2)
    meeting = _meeting(world, council, [_accepted(world, estate)], starts_at=start,
                       ends_at=start + dt.timedelta(hours=2))  # fmt: skip
    with pytest.raises(DeliberationError, match="签到时间"):
        meetings.sign_in(actor=estate.people["owner_wang"], meeting=meeting, token=meeting.token)
    with time_machine.travel(start - dt.timedelta(minutes=50)):
        meetings.sign_in(actor=estate.people["owner_wang"], meeting=meeting, token=meeting.token)
    assert SignIn.objects.filter(meeting=meeting).count() == 1
    assert Meeting.objects.count() == 1


def test_an_online_consultation_counts_who_took_part(world, estate):
    officer = world.personas["community_officer"]
    council = _council(world, estate)
    _members(world, estate, council)
    meeting = _meeting(world, council, [_accepted(world, estate)], format="online", place="",
                       ends_at=timezone.now() + dt.timedelta(days=7))  # fmt: skip
    item = meeting.agenda.get()
    for login in ("owner_wang", "owner_chen", "owner_lin"):
        meetings.give_opinion(actor=estate.people[login], item=item, text_="同意，建议低层减免")
    meetings.give_opinion(actor=estate.people["owner_wang"], item=item, text_="补充：夜间不施工")
    assert meetings.quorum(meeting).present == 3 and item.opinions.count() == 4
    with pytest.raises(NotAllowed):
        meetings.give_opinion(actor=estate.people["tenant"], item=item, text_="我也说两句")
    with pytest.raises(DeliberationError, match="1天"):
        _meeting(world, council, [_accepted(world, estate, "x")], format="roundtable",
                 ends_at=timezone.now() + dt.timedelta(days=3))  # fmt: skip
    assert Meeting.objects.filter(council=council).count() == 1
    with pytest.raises(NotAllowed):  # only staff keeping the council convene
        meetings.convene(actor=estate.people["owner_wang"], council=council, title="私开会议",
                         starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(hours=1),
                         topics=[item.topic], place="家里")  # fmt: skip
    assert officer.has_perm(meetings.KEEP)


def test_attachments_are_pdfs_or_photos(world, estate, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    council = _council(world, estate)
    _members(world, estate, council)
    meeting = _meeting(world, council, [_accepted(world, estate)])
    officer = world.personas["community_officer"]
    pdf = SimpleUploadedFile("签到表.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n")
    meetings.attach(actor=officer, meeting=meeting, upload=pdf)
    with pytest.raises(DeliberationError):
        meetings.attach(
            actor=officer, meeting=meeting, upload=SimpleUploadedFile("x.exe", b"MZ\x90")
        )
    with pytest.raises(NotAllowed):
        meetings.attach(actor=world.personas["grid_worker_a"], meeting=meeting, upload=pdf)
    assert list(Attachment.objects.values_list("name", flat=True)) == ["签到表.pdf"]


def test_the_members_in_force_with_a_login_are_invited_in_their_inbox(
    world, estate, django_capture_on_commit_callbacks
):
    from doorstep.inbox.models import Notification

    council = _council(world, estate)
    members = _members(world, estate, council)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = _meeting(world, council, [_accepted(world, estate)])
    invited = {m.user_id for m in members.values() if m.user_id}
    assert len(invited) == 6  # the property manager has no login
    got = Notification.objects.filter(kind="meeting")
    assert set(got.values_list("user_id", flat=True)) == invited
    note = got.first()
    assert note.title == "议事会议邀请：四月议事圆桌会"
    assert "静淑苑党群服务站" in note.body and "5号楼加装电梯" in note.body
    assert note.url.endswith(f"/meetings/{meeting.pk}/")

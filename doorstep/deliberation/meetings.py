"""议事会议: convening a meeting of a council with an agenda of accepted topics (the members
in force invited), sign-in — a member's own QR scan, staff from the paper sheet, or taking
part in an online consultation — against the council's quorum, a decision per topic (with
a council vote when one is taken: one seat one vote, the council's majority of the
members invited, an absent member counting against), the minutes, attachments, and the
chair signing the minutes off. Nothing is decided without the quorum, and signed minutes
never change.

Keyword-only, take the acting user, atomic; a refusal is a `DeliberationError` (400),
`NotAllowed` (403) or `Conflict` (409) and leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from doorstep.accounts.typing import Actor
from doorstep.core import audit
from doorstep.core.access import scope_of
from doorstep.inbox.services import notify

from . import councils
from .clean import choice, moment, text
from .errors import Conflict, DeliberationError, NotAllowed, relayed
from .models import (
    AgendaItem,
    Attachment,
    Council,
    CouncilMember,
    Invitation,
    MajorityRule,
    Meeting,
    MeetingFormat,
    Opinion,
    Outcome,
    SignIn,
    Topic,
    TopicStatus,
)
from .vote_rule import HALF, TWO_THIRDS, Choice, Majority, RuleError, council_tally

KEEP = "deliberation.change_meeting"
MAX_DAYS = 31  # an online consultation runs at most a month
SIGN_IN_EARLY = dt.timedelta(hours=1)
RULES: dict[str, Majority] = {MajorityRule.HALF: HALF, MajorityRule.TWO_THIRDS: TWO_THIRDS}


def may_keep(user: Actor, meeting: Meeting | Council) -> bool:
    return bool(user.has_perm(KEEP)) and scope_of(user, KEEP).covers(meeting.path)


@dataclass(frozen=True)
class Quorum:
    invited: int
    present: int
    needed: int

    @property
    def met(self) -> bool:
        return self.invited > 0 and self.present >= self.needed


def needed(invited: int, rule: Majority) -> int:
    """The fewest members that meet the rule (过半数 of 7 is 4; 三分之二以上 of 7 is 5)."""
    return next((k for k in range(invited + 1) if rule.met(k, invited)), invited + 1)


def quorum(meeting: Meeting) -> Quorum:
    invited = meeting.invitations.count()
    return Quorum(
        invited=invited,
        present=meeting.sign_ins.count(),
        needed=needed(invited, RULES[meeting.council.quorum]),
    )


@transaction.atomic
def convene(
    *,
    actor: Actor,
    council: Council,
    title: Any,
    starts_at: Any,
    ends_at: Any,
    topics: Sequence[Topic],
    format: Any = MeetingFormat.ROUNDTABLE,
    place: Any = "",
) -> Meeting:
    """Call a meeting with an agenda of the community's accepted topics; the members in
    force on its day are invited."""
    if not may_keep(actor, council):
        raise NotAllowed("您不能召集该议事会的会议")
    kind = choice(format, MeetingFormat, "format", "会议形式")
    start, end = moment(starts_at, "starts_at", "开始时间"), moment(ends_at, "ends_at", "结束时间")
    if end <= start:
        raise DeliberationError("结束时间应晚于开始时间", "ends_at")
    if end - start > dt.timedelta(days=MAX_DAYS if kind == MeetingFormat.ONLINE else 1):
        limit = f"{MAX_DAYS}天" if kind == MeetingFormat.ONLINE else "1天"
        raise DeliberationError(f"会议时长最多{limit}", "ends_at")
    where = text(place, "place", "地点", 100, required=kind != MeetingFormat.ONLINE)
    if not topics:
        raise DeliberationError("请至少选择一个议题列入议程", "topics")
    for topic in topics:
        if topic.path != council.path or topic.status != TopicStatus.ACCEPTED:
            raise DeliberationError(f"议题“{topic.title}”不是本社区已受理的议题", "topics")
    members = list(councils.in_force(council, timezone.localdate(start)))
    if not members:
        raise DeliberationError("议事会在会议当天没有在任成员", "starts_at")
    meeting = Meeting.objects.create(
        council=council,
        path=council.path,
        title=text(title, "title", "会议名称", 60),
        format=kind,
        starts_at=start,
        ends_at=end,
        place=where,
        created_by=actor,
        created_at=timezone.now(),
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, topic=t, order=n) for n, t in enumerate(topics, start=1)
    )
    Invitation.objects.bulk_create(Invitation(meeting=meeting, member=m) for m in members)
    audit.record(actor=actor, action="create", target=meeting, detail={"topics": len(topics)})
    when = timezone.localtime(start)
    notify(
        [m.user_id for m in members], kind="meeting", title=f"议事会议邀请：{meeting.title}",
        body=f"{when:%m月%d日 %H:%M}，{where or '线上协商'}；议题："
        + "、".join(t.title for t in topics)[:150],
        url=reverse("deliberation:meeting", args=[meeting.pk]),
    )  # fmt: skip
    return meeting


def _open(meeting: Meeting) -> Meeting:
    locked = Meeting.objects.select_for_update().select_related("council").get(pk=meeting.pk)
    if locked.signed_at is not None:
        raise Conflict("会议纪要已签发，不能再更改")
    return locked


def invited_member(meeting: Meeting, user: Actor) -> CouncilMember | None:
    return (
        CouncilMember.objects.filter(user=user, pk__in=meeting.invitations.values("member_id"))
        .order_by("pk")
        .first()
    )


def _sign(meeting: Meeting, member: CouncilMember, method: str, by: Actor) -> SignIn:
    try:
        with transaction.atomic():
            return SignIn.objects.create(
                meeting=meeting, member=member, method=method, by=by, at=timezone.now()
            )
    except IntegrityError:
        raise Conflict(f"{member.name}已签到") from None


@transaction.atomic
def sign_in(*, actor: Actor, meeting: Meeting, token: Any) -> SignIn:
    """A member scans the meeting's QR code (from an hour before it starts to its end)."""
    locked = _open(meeting)
    if not secrets.compare_digest(str(token or ""), locked.token):
        raise NotAllowed("签到码无效，请扫描会场的二维码")
    member = invited_member(locked, actor)
    if member is None:
        raise NotAllowed("您不是本次会议的参会成员")
    now = timezone.now()
    if not locked.starts_at - SIGN_IN_EARLY <= now <= locked.ends_at:
        raise DeliberationError("不在签到时间内（会前1小时至会议结束）")
    return _sign(locked, member, SignIn.Method.QR, actor)


@transaction.atomic
def sign_in_for(*, actor: Actor, meeting: Meeting, member: CouncilMember) -> SignIn:
    """Staff sign a member in from the paper sheet."""
    locked = _open(meeting)
    if not may_keep(actor, locked):
        raise NotAllowed("您不能为该会议代签到")
    if not locked.invitations.filter(member=member).exists():
        raise DeliberationError("该成员不在本次会议的参会名单中", "member")
    return _sign(locked, member, SignIn.Method.STAFF, actor)


@transaction.atomic
def give_opinion(*, actor: Actor, item: AgendaItem, text_: Any) -> Opinion:
    """A member's opinion in an online consultation, within its period; taking part counts
    as being present."""
    locked = _open(item.meeting)
    if locked.format != MeetingFormat.ONLINE:
        raise DeliberationError("只有线上协商可以在线发表意见")
    member = invited_member(locked, actor)
    if member is None:
        raise NotAllowed("您不是本次协商的参与成员")
    if not locked.starts_at <= timezone.now() <= locked.ends_at:
        raise DeliberationError("不在线上协商期间")
    opinion = Opinion.objects.create(
        item=item, member=member, text=text(text_, "text", "意见", 1000), at=timezone.now()
    )
    if not SignIn.objects.filter(meeting=locked, member=member).exists():
        _sign(locked, member, SignIn.Method.ONLINE, actor)
    return opinion


def _count(value: Any, field: str) -> int | None:
    raw = str(value if value is not None else "").strip()
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 1000:
        raise DeliberationError("票数应为整数", field)
    return int(raw)


@transaction.atomic
def decide(
    *,
    actor: Actor,
    item: AgendaItem,
    decision: Any,
    outcome: Any = "",
    yes: Any = None,
    no: Any = None,
    abstain: Any = None,
) -> AgendaItem:
    """Record what the meeting decided on a topic; with a council vote the outcome is the
    vote's. Refused until the quorum is present."""
    locked = _open(item.meeting)
    if not may_keep(actor, locked):
        raise NotAllowed("您不能记录该会议")
    q = quorum(locked)
    if not q.met:
        raise DeliberationError(
            f"未达到到会人数要求（应到{q.invited}人，实到{q.present}人，至少需{q.needed}人），不能形成决定"
        )
    row = AgendaItem.objects.select_for_update().get(pk=item.pk, meeting=locked)
    counts = [_count(yes, "yes"), _count(no, "no"), _count(abstain, "abstain")]
    if any(c is not None for c in counts):
        y, n, a = (c or 0 for c in counts)
        if y + n + a > q.present:
            raise DeliberationError(f"票数合计不能多于到会人数（{q.present}人）", "yes")
        try:
            tally = council_tally(
                q.invited,
                [Choice.YES] * y + [Choice.NO] * n + [Choice.ABSTAIN] * a,
                RULES[locked.council.majority],
            )
        except RuleError as exc:
            raise DeliberationError(exc.message) from exc
        row.votes_yes, row.votes_no, row.votes_abstain = y, n, a
        row.outcome = Outcome.ADOPTED if tally.passed else Outcome.REJECTED
    else:
        row.votes_yes = row.votes_no = row.votes_abstain = None
        row.outcome = choice(outcome, Outcome, "outcome", "协商结果")
    row.decision = text(decision, "decision", "协商意见", 1000)
    row.save(update_fields=["outcome", "decision", "votes_yes", "votes_no", "votes_abstain"])
    audit.record(actor=actor, action="update", target=row, detail={"outcome": row.outcome})
    return row


@transaction.atomic
def write_minutes(*, actor: Actor, meeting: Meeting, minutes: Any) -> Meeting:
    locked = _open(meeting)
    if not may_keep(actor, locked):
        raise NotAllowed("您不能记录该会议")
    locked.minutes = text(minutes, "minutes", "会议纪要", 5000)
    locked.save(update_fields=["minutes"])
    return locked


@transaction.atomic
def attach(*, actor: Actor, meeting: Meeting, upload: Any, name: Any = "") -> Attachment:
    """A PDF or a photo kept with the meeting (a sign-in sheet, the plan discussed)."""
    from doorstep.cogov.errors import CogovError
    from doorstep.cogov.uploads import check_document

    locked = _open(meeting)
    if not may_keep(actor, locked):
        raise NotAllowed("您不能为该会议上传附件")
    if upload is None:
        raise DeliberationError("请选择附件", "file")
    try:
        check_document(upload, "附件", "file")
    except CogovError as exc:
        raise relayed(exc) from exc
    label = text(name or getattr(upload, "name", ""), "name", "附件名称", 100)
    return Attachment.objects.create(
        meeting=locked, file=upload, name=label, uploaded_by=actor, uploaded_at=timezone.now()
    )


def why_not_sign(meeting: Meeting) -> str | None:
    q = quorum(meeting)
    if not q.met:
        return f"未达到到会人数要求（应到{q.invited}人，实到{q.present}人，至少需{q.needed}人）"
    if meeting.agenda.filter(outcome="").exists():
        return "还有议题没有记录协商结果"
    if not meeting.minutes.strip():
        return "请先填写会议纪要"
    return None


@transaction.atomic
def sign_off(*, actor: Actor, meeting: Meeting) -> Meeting:
    """The chair signs the minutes off; from then on they are public and never change."""
    locked = _open(meeting)
    chair = (
        CouncilMember.objects.filter(pk__in=locked.invitations.values("member_id"), is_chair=True)
        .order_by("pk")
        .first()
    )
    if chair is None or chair.user_id is None or chair.user_id != actor.pk:
        raise NotAllowed("会议纪要须由议事会召集人签发")
    if reason := why_not_sign(locked):
        raise DeliberationError(reason)
    locked.signed_by, locked.signed_at = actor, timezone.now()
    locked.save(update_fields=["signed_by", "signed_at"])
    audit.record(actor=actor, action="update", target=locked, detail={"signed": True})
    return locked

"""A meeting's page (议事会议): the agenda with each decision, the quorum (应到, 实到, 需要),
the QR code members scan to sign in and staff's sign-in from the paper sheet, recording a
decision (with a council vote), the minutes, attachments, the chair's sign-off, the
members' opinions in an online consultation, and publishing a resolution from a signed,
adopted decision. Residents of the community read the signed minutes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from doorstep.accounts.typing import actor_of
from doorstep.core import links
from doorstep.core.ids import parse_id
from doorstep.deliberation import meetings, resolutions
from doorstep.deliberation.errors import DeliberationError
from doorstep.deliberation.models import AgendaItem, CouncilMember, Meeting, Outcome, SignIn

from .lists import narrowed


def _meeting(user: Any, pk: Any) -> Meeting:
    found = (
        Meeting.objects.visible_to(user)
        .select_related("council__node", "signed_by")
        .filter(pk=parse_id(pk) or 0)
        .first()
    )
    if found is None:
        raise Http404("会议不存在或无权查看")
    return found


def _detail(request: HttpRequest, meeting: Meeting, *, error: str = "", status: int = 200) -> Any:
    user = actor_of(request)
    keeps = meetings.may_keep(user, meeting)
    member = meetings.invited_member(meeting, user)
    signed_in = {s.member_id: s for s in meeting.sign_ins.all()}
    invited = [
        (m, signed_in.get(m.pk))
        for m in CouncilMember.objects.filter(
            pk__in=meeting.invitations.values("member_id")
        ).order_by("-is_chair", "kind", "pk")
    ]
    items = list(meeting.agenda.select_related("topic").prefetch_related("opinions"))
    published = {
        r.item_id: r for r in resolutions.Resolution.objects.visible_to(user).filter(item__in=items)
    }
    now = timezone.now()
    sign_url = reverse("deliberation:meeting_sign_in", args=[meeting.pk, meeting.token])
    return render(
        request,
        "deliberation/meeting.html",
        {
            "meeting": meeting,
            "quorum": meetings.quorum(meeting),
            "invited": invited,
            "items": [(i, published.get(i.pk)) for i in items],
            "keeps": keeps and meeting.signed_at is None,
            "publishes": meeting.signed_at is not None
            and resolutions.may(user, resolutions.PUBLISH, meeting.path),
            "qr": mark_safe(links.qr_svg(links.absolute(sign_url)))  # noqa: S308 - segno's own SVG
            if keeps and meeting.signed_at is None
            else "",
            "sign_url": sign_url,
            "member": member,
            "i_signed": member is not None and member.pk in signed_in,
            "consulting": meeting.format == "online"
            and member is not None
            and meeting.starts_at <= now <= meeting.ends_at
            and meeting.signed_at is None,
            "may_sign_off": member is not None and member.is_chair and meeting.signed_at is None,
            "why_not_sign": meetings.why_not_sign(meeting),
            "outcomes": Outcome.choices,
            "show_minutes": meeting.signed_at is not None or keeps or member is not None,
            "error": error,
            "form": request.POST,
        },
        status=status,
    )


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The meetings the user sees, with how many signed in (人次), narrowed to a figure."""
    user = actor_of(request)
    seen, asked = narrowed(request, user, Meeting.objects.visible_to(user), "starts_at")
    rows = list(
        seen.select_related("council").annotate(present=Count("sign_ins", distinct=True))[:500]
    )
    return render(
        request,
        "deliberation/meetings.html",
        {
            "rows": rows,
            "asked": asked,
            "pending_count": seen.count(),
            "attendance": SignIn.objects.filter(meeting__in=seen.values("pk")).count(),
        },
    )


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _meeting(actor_of(request), pk))


@login_required
def meeting_sign_in(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """Where the QR code leads: a member confirms (POST) and is signed in."""
    user = actor_of(request)
    meeting = _meeting(user, pk)
    if request.method == "POST":
        try:
            meetings.sign_in(actor=user, meeting=meeting, token=token)
        except DeliberationError as exc:
            return _detail(request, meeting, error=exc.message, status=exc.status)
        return redirect("deliberation:meeting", pk=meeting.pk)
    return render(
        request,
        "deliberation/meeting_sign_in.html",
        {"meeting": meeting, "token": token, "member": meetings.invited_member(meeting, user)},
    )


@login_required
def attachment(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    meeting = _meeting(actor_of(request), pk)
    found = meeting.attachments.filter(pk=file_id).first()
    if found is None:
        raise Http404("附件不存在")
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)


@login_required
@require_POST
def meeting_act(request: HttpRequest, pk: str, act: str) -> HttpResponse:
    user = actor_of(request)
    meeting = _meeting(user, pk)
    post = request.POST

    def item() -> AgendaItem:
        found = AgendaItem.objects.filter(
            meeting=meeting, pk=parse_id(post.get("item")) or 0
        ).first()
        if found is None:
            raise Http404("议程不存在")
        return found

    try:
        if act == "sign_in_for":
            member = CouncilMember.objects.filter(
                pk=parse_id(post.get("member")) or 0,
                pk__in=meeting.invitations.values("member_id"),
            ).first()
            if member is None:
                raise DeliberationError("该成员不在本次会议的参会名单中", "member")
            meetings.sign_in_for(actor=user, meeting=meeting, member=member)
        elif act == "decide":
            meetings.decide(
                actor=user, item=item(), decision=post.get("decision"), outcome=post.get("outcome"),
                yes=post.get("yes"), no=post.get("no"), abstain=post.get("abstain"),
            )  # fmt: skip
        elif act == "minutes":
            meetings.write_minutes(actor=user, meeting=meeting, minutes=post.get("minutes"))
        elif act == "attach":
            meetings.attach(
                actor=user, meeting=meeting, upload=request.FILES.get("file"), name=post.get("name")
            )
        elif act == "sign":
            meetings.sign_off(actor=user, meeting=meeting)
        elif act == "opinion":
            meetings.give_opinion(actor=user, item=item(), text_=post.get("text"))
        else:  # resolve
            agenda_item = item()
            resolution = resolutions.publish(
                actor=user, title=post.get("title") or agenda_item.topic.title,
                text_=post.get("text") or agenda_item.decision, item=agenda_item,
                notice_days=post.get("notice_days"),
            )  # fmt: skip
            return redirect("deliberation:resolution", pk=resolution.pk)
    except DeliberationError as exc:
        return _detail(request, _meeting(user, pk), error=exc.message, status=exc.status)
    return redirect("deliberation:meeting", pk=meeting.pk)

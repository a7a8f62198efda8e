"""The workbench's co-governance cards (共建共治): needs waiting for a match, matches to
confirm or complete, a unit's record, agreements ending soon."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from .cards import ROWS, Card, Row, kept_card


def needs_open(user: Any) -> Card | None:
    """Needs of the user's area nobody has matched yet, the longest waiting first."""
    from doorstep.cogov.models import NeedStatus
    from doorstep.cogov.web.views_lists import AGING_DAYS, visible_needs

    if not user.has_perm("cogov.add_match"):
        return None
    waiting = visible_needs(user).filter(status=NeedStatus.OPEN).order_by("created_at", "id")
    rows = []
    for need in waiting[:ROWS]:
        days = need.age_days()
        rows.append(
            Row(
                f"{need.title} · {need.node.name}",
                reverse("cogov:need", args=[need.pk]),
                f"已等待{days}天",
                "overdue" if days >= AGING_DAYS else "",
            )
        )
    url = reverse("cogov:needs") + "?status=unmatched"
    return Card("needs_open", "待对接的需求", url, waiting.count(), rows)


def _match_row(match: Any, today: dt.date) -> Row:
    late = match.due_on is not None and match.due_on < today
    note = f"{match.due_on:%m-%d}前认领" if match.due_on else ""
    return Row(
        f"{match.need.title} · {match.resource.title}",
        reverse("cogov:matches"),
        note,
        "overdue" if late else "",
    )


def matches_to_confirm(user: Any) -> Card | None:
    """A unit's liaison: matches staff made with the unit's resources, to take on (认领)."""
    from doorstep.cogov.web.views_matches import to_confirm

    if not user.has_perm("cogov.confirm_match"):
        return None
    waiting = to_confirm(user)
    today = timezone.localdate()
    rows = [_match_row(m, today) for m in waiting[:ROWS]]
    return Card(
        "matches_confirm", "待认领的供需对接", reverse("cogov:matches"), waiting.count(), rows
    )


def matches_to_complete(user: Any) -> Card | None:
    """Staff: matches the units took on, to record as done with the residents' rating."""
    from doorstep.cogov.web.views_matches import to_complete

    if not user.has_perm("cogov.add_match"):
        return None
    waiting = to_complete(user)
    rows = [
        Row(f"{m.need.title} · {m.resource.provider.name}", reverse("cogov:need", args=[m.need_id]))
        for m in waiting[:ROWS]
    ]
    return Card(
        "matches_complete", "已认领待办结的对接", reverse("cogov:matches"), waiting.count(), rows
    )


RENEW_DAYS = 60  # an agreement ending within this many days shows on the workbench


def my_units(user: Any) -> list[Card]:
    """A unit's liaison: the unit's page (what it offered, did and was rated) and its
    agreements ending soon."""
    from doorstep.accounts.models import Membership
    from doorstep.cogov.models import Agreement
    from doorstep.cogov.models.alliances import UNIT_KINDS

    units = [
        m.organisation
        for m in Membership.objects.active()
        .filter(user=user, organisation__kind__in=UNIT_KINDS)
        .select_related("organisation")
        .order_by("organisation__name")
    ]
    today = timezone.localdate()
    cards = []
    for unit in units:
        ending = Agreement.objects.filter(
            unit=unit, starts_on__lte=today, ends_on__gt=today,
            ends_on__lte=today + dt.timedelta(days=RENEW_DAYS),
        ).select_related("alliance")  # fmt: skip
        rows = [
            Row(a.alliance.name, reverse("cogov:unit", args=[unit.pk]),
                f"协议{a.ends_on:%Y-%m-%d}到期", "soon")
            for a in ending
        ]  # fmt: skip
        cards.append(
            Card(
                f"unit_{unit.pk}",
                f"{unit.name} · 共建成效",
                reverse("cogov:unit", args=[unit.pk]),
                rows=rows,
                hint="本单位提供的资源、完成的对接和项目、群众评价",
            )
        )
    return cards


def agreements_ending(user: Any) -> Card | None:
    """Staff who keep alliances: members' agreements ending soon, to renew or let go."""
    from doorstep.cogov.models import Agreement, Alliance

    if not user.has_perm("cogov.add_agreement"):
        return None
    today = timezone.localdate()
    ending = (
        Agreement.objects.filter(
            alliance__in=Alliance.objects.visible_to(user, "change"),
            starts_on__lte=today,
            ends_on__gt=today,
            ends_on__lte=today + dt.timedelta(days=RENEW_DAYS),
        )
        .select_related("alliance", "unit")
        .order_by("ends_on", "id")
    )
    if not ending.exists():
        return None
    rows = [
        Row(f"{a.unit.name} · {a.alliance.name}", reverse("cogov:alliance", args=[a.alliance_id]),
            f"{a.ends_on:%m-%d}到期", "soon")
        for a in ending[:ROWS]
    ]  # fmt: skip
    # A notice (no count to match a list): the rows lead to each alliance's members.
    return Card("agreements_ending", f"即将到期的共建协议（{ending.count()}份）",
                reverse("cogov:alliances"), rows=rows)  # fmt: skip


def links_due(user: Any) -> Card | None:
    """A linked cadre: the communities and grids they have not visited for a month."""
    from doorstep.cogov import pairings

    if not user.has_perm("service.add_visit"):
        return None
    due = pairings.due_links(user)
    rows = [
        Row(p.node.name, reverse("cogov:visits"),
            f"上次 {last:%m-%d}" if last else "尚未走访", "overdue")
        for p, last in due[:ROWS]
    ]  # fmt: skip
    return Card(
        "cadre_due",
        "待走访的联系点",
        reverse("cogov:visits"),
        len(due),
        rows,
        hint=f"{pairings.VISIT_EVERY}天内未走访的联系社区、挂钩网格",
    )


def cadre_record(user: Any) -> Card | None:
    """A linked cadre's 三结三问 so far, counted from the records."""
    from doorstep.cogov import pairings

    if not user.has_perm("service.add_visit"):
        return None
    record = pairings.record_of(user)
    url = reverse("cogov:visits")
    rows = [
        Row(f"走访 {record.visits} 次（问需{record.asks['need']} · 问计{record.asks['advice']}"
            f" · 问效{record.asks['effect']}）", url),
        Row(f"形成需求 {record.needs} 条，转办工单 {record.cases} 件", url),
        Row(f"推动办结民生实事 {record.deeds} 件", url),
    ]  # fmt: skip
    return Card("cadre_record", "我的三结三问", url, rows=rows)


@kept_card
def proposals_near(user: Any) -> Card | None:
    """A resident: the proposals open in their community, the most supported first."""
    from doorstep.cogov import proposals
    from doorstep.cogov.models import Proposal, ProposalStatus

    home = proposals.home_community(user)
    if home is None:
        return None
    open_ = Proposal.objects.visible_to(user).filter(status=ProposalStatus.OPEN)
    url = reverse("cogov:proposals")
    rows = [Row(p.title, url, f"{p.votes}人支持") for p in open_.order_by("-votes", "-id")[:ROWS]]
    return Card("proposals", f"{home.name} · 居民提议", url, rows=rows,
                hint="为社区提出想办的事，或支持邻居的提议")  # fmt: skip
